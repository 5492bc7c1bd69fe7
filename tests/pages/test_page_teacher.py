"""The teacher page (pages/teacher.py): start a class, open its board with the key, watch it, send
the class to a page, export it and end it."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from pages.server import classroom
from pages.server.codes import show_code
from pages.server.store import Store

PAGE = "../../pages/teacher.py"


@pytest.fixture
def store():
    return Store.open()


def teacher():
    return AppTest.from_file(PAGE, default_timeout=30).run()


def button(at, label):
    return [b for b in at.button if b.label == label][0]


def open_board(code, key):
    at = teacher()
    at.text_input(key="code").input(code)
    at.text_input(key="board_key").input(key).run()
    button(at, "Open the board").click().run()
    assert not at.exception
    return at


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_starting_a_class_shows_its_code_and_its_key_once(store):
    at = teacher()
    assert not at.exception and at.title[0].value == "Teacher"
    assert button(at, "Start the class").disabled
    at.text_input(key="class_name").input("Period 3").run()
    at.number_input(key="class_size").set_value(25).run()
    button(at, "Start the class").click().run()
    assert not at.exception
    code = at.query_params["code"]
    row = store.class_by_code(code.replace("-", ""))
    assert row["name"] == "Period 3" and row["max_students"] == 25
    key = at.code[0].value
    assert classroom.open_board(store, code, key)["id"] == row["id"]
    assert metrics(at)["Students"] == "0 of 25"
    assert f"**{code}**" in at.markdown[1].value
    button(at, "I have kept the key").click().run()
    assert not at.code, "the key is still shown"


def test_the_board_needs_the_key_and_wrong_keys_slow_down(store):
    made = classroom.create_class(store, "Period 3")
    for _ in range(classroom.FREE_KEY_TRIES - 1):
        at = open_board(made.code, "wrong")
        assert "not the teacher key" in at.error[0].value and not at.metric
    at = open_board(made.code, "wrong")
    assert "Wait 1 s" in at.error[0].value
    at = open_board(made.code, made.key)  # still inside the wait: refused without being tried
    assert "Too many wrong keys" in at.error[0].value and not at.metric
    time.sleep(1.1)
    at = open_board(show_code(made.code).lower(), made.key)
    assert not at.error and metrics(at)["Students"] == "0 of 100"
    assert at.query_params["code"] == show_code(made.code)
    assert "board_key" not in at.query_params  # the key never goes into the address


def test_the_board_shows_students_answers_and_the_leaderboard(store):
    made = classroom.create_class(store, "Period 3")
    ana = classroom.join(store, made.code, "Ana")
    bad = classroom.join(store, made.code, "<script>alert(1)</script>")
    store.seen(ana.student_id, "pooling", time.time())
    classroom.record_answer(store, ana, "output size", 1, "13", right=True)
    classroom.record_answer(store, bad, "output size", 1, "12", right=False)
    classroom.record_run(store, ana, 0.985, {"lr": 0.01}, 14.2)
    at = open_board(made.code, made.key)
    assert metrics(at) == {"Students": "2 of 100", "Here now": "2", "Answers": "2", "Finished runs": "1"}
    people, kinds, hardest, runs = (d.value for d in at.dataframe)
    assert set(people["student"]) == {"Ana", "<script>alert(1)</script>"}  # shown as text, in a table
    assert people.set_index("student").loc["Ana", "page"] == "Pooling"
    size = kinds.set_index("kind of question").loc["output size"]
    assert (size["right"], size["wrong"]) == (1, 1)
    assert size["commonest wrong answers"] == "12 (1x, question 1)"
    assert kinds.set_index("kind of question").loc["parameters", "not answered yet"].startswith("2: ")
    assert hardest.iloc[0]["question"] == "output size, question 1"
    assert runs.iloc[0].to_dict() == {"rank": 1, "student": "Ana", "test accuracy": "98.50%",
                                      "settings changed": "lr=0.01", "time": "14 s"}
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["Board (CSV)", "Every answer (CSV)", "Runs (CSV)"]


def test_sending_the_class_to_a_page_and_taking_the_banner_away(store):
    made = classroom.create_class(store, "Period 3")
    at = open_board(made.code, made.key)
    at.text_input(key="push_address").input("http://evil.example/x/pooling?size=3&stride=1&student=stolen").run()
    button(at, "Send the class there").click().run()
    assert store.class_by_id(made.id)["push_link"] == "pooling?size=3&stride=1"
    assert "Pooling with size=3, stride=1" in at.caption[-1].value.replace("\\", "")
    at.text_input(key="push_address").input("https://elsewhere.example/phishing").run()
    button(at, "Send the class there").click().run()
    assert "not one of the lesson pages" in at.error[0].value
    at.text_input(key="push_address").input("").run()
    at.selectbox(key="push_page").set_value("train").run()
    button(at, "Send the class there").click().run()
    assert store.class_by_id(made.id)["push_link"] == "train"
    button(at, "Take the banner away").click().run()
    assert store.class_by_id(made.id)["push_link"] is None


def test_ending_the_class_deletes_it(store):
    made = classroom.create_class(store, "Period 3")
    classroom.join(store, made.code, "Ana")
    at = open_board(made.code, made.key)
    assert button(at, "End the class").disabled
    at.checkbox(key="end_sure").check().run()
    button(at, "End the class").click().run()
    assert not at.exception
    assert "has ended" in at.success[0].value
    assert store.class_by_code(made.code) is None
    assert not at.metric and button(at, "Start the class")


def test_a_board_whose_class_ended_elsewhere_goes_back_to_the_start(store):
    made = classroom.create_class(store, "Period 3")
    at = open_board(made.code, made.key)
    store.delete_class(made.id)
    at.run()
    assert not at.exception and "has ended" in at.info[0].value and not at.metric
