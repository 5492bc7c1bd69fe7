from streamlit.testing.v1 import AppTest

from pagetest import run_page

PAGE = "../../pages/conv1d.py"


def run(**settings):
    return run_page("conv1d.py", **settings)


def test_lecture_example_is_the_default():
    at = run()
    assert not at.exception and not at.error
    outputs = at.code[0].value
    assert "full  = 0, 1, 1, 3, 5, 2, 8" in outputs and "same  = 1, 1, 3, 5, 2" in outputs


def test_stepping_shows_products_and_sum():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.slider(key="pos").set_value(6).run()
    assert any("y[6]" in m.value and "**8**" in m.value for m in at.markdown)


def test_cross_correlation_toggle():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.toggle(key="flip").set_value(False).run()
    assert "full  = 0, 2, 3, 5, 7, -1, 4" in at.code[0].value


def test_text_that_is_not_numbers_is_explained_and_kept():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.text_input(key="w").input("1, two, 3").run()
    assert not at.exception
    assert "'two' in the kernel w is not a number" in at.error[0].value
    assert at.text_input(key="w").value == "1, two, 3" and at.text_input(key="x").value == "0,1,2,3,4"


def test_empty_and_huge_inputs():
    at = run(x="")
    assert "at least one number" in at.error[0].value
    at = run(w="1e300")
    assert "between -1,000,000" in at.error[0].value
    at = run(x=",".join(["1"] * 41))
    assert "keep it to 40" in at.error[0].value


def test_kernel_longer_than_signal_and_position_clamped():
    at = run(x="1,2", w="1,1,1,1", pos=200)
    assert not at.exception and not at.error
    assert at.slider(key="pos").value == 4


def test_next_step_button_moves_the_kernel_and_wraps_around():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.button(key="next_step").click().run()
    assert at.slider(key="pos").value == 1
    assert any("y[1]" in m.value and "**1**" in m.value for m in at.markdown)
    at.slider(key="pos").set_value(6).run()
    at.button(key="next_step").click().run()
    assert at.slider(key="pos").value == 0 and not at.exception


def test_negative_factors_are_bracketed_and_one_value_is_singular():
    at = run(x="1,2,3", w="-1,2,-3", pos=2)
    assert not at.exception and not at.error
    terms = next(m.value for m in at.markdown if "y[2]" in m.value)
    assert "·(-" in terms and "·-" not in terms, terms
    assert [m.value for m in at.metric] == ["5 values", "3 values", "1 value"]
