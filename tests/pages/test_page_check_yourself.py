from streamlit.testing.v1 import AppTest

from pagetest import button, metric, widget

from engine.lessons.quiz import make_question

PAGE = "../../pages/check_yourself.py"


def test_right_and_wrong_answers_update_the_score():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception and metric(at, "Score") == "0 of 0"
    q = make_question("output size", 1)
    widget(at.text_input, "Your answer").input(q.answer).run()
    button(at, "Check").click().run()
    assert "Right" in at.success[0].value and metric(at, "Score") == "1 of 1"
    button(at, "Next question").click().run()  # next question
    widget(at.text_input, "Your answer").input("-999").run()
    button(at, "Check").click().run()
    assert "Not quite" in at.error[0].value and metric(at, "Score") == "1 of 2"


def test_every_kind_renders():
    for kind in ["output size", "value under the window", "max-pool gradient", "parameters"]:
        at = AppTest.from_file(PAGE, default_timeout=30)
        at.session_state["kind"] = kind
        at.run()
        assert not at.exception, kind


def test_an_answer_that_is_not_a_number_is_not_counted():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    widget(at.text_input, "Your answer").input("banana").run()
    button(at, "Check").click().run()
    assert not at.exception
    assert "Type a number" in at.warning[0].value and metric(at, "Score") == "0 of 0"


def test_max_pool_cell_in_brackets_is_accepted():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["kind"] = "max-pool gradient"
    at.run()
    q = make_question("max-pool gradient", 1)
    row, col = q.answer.replace(" ", "").split(",")
    widget(at.text_input, "Your answer").input(f"({row}, {col})").run()
    button(at, "Check").click().run()
    assert "Right" in at.success[0].value and metric(at, "Score") == "1 of 1"
    button(at, "Next question").click().run()
    widget(at.text_input, "Your answer").input("7").run()
    button(at, "Check").click().run()
    assert "row, column" in at.warning[0].value and metric(at, "Score") == "1 of 1"
