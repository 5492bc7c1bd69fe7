from streamlit.testing.v1 import AppTest

from pagetest import button

PAGE = "../../pages/backprop.py"


def test_forward_then_backward_with_a_numerical_check():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    at.radio(key="phase").set_value("backward").run()
    table = at.dataframe[0].value
    assert list(table["gradient"]) == ["∂L/∂w", "∂L/∂b"]
    assert all(float(e) < 1e-6 for e in table["relative error"])


def test_xor_training_lowers_the_loss():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    button(at, "Train 500 steps").click().run()
    button(at, "Train 500 steps").click().run()
    caption = next(c.value for c in at.caption if c.value.startswith("1000 steps"))
    assert float(caption.split("loss now ")[1]) < 0.05


def test_xor_one_step_at_a_time():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    button(at, "Train 1 step").click().run()
    button(at, "Train 1 step").click().run()
    assert any(c.value.startswith("2 steps;") for c in at.caption)


def test_filter_gradient_is_the_correlation():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert any("every entry matches" in c.value for c in at.caption)


def test_extreme_values_do_not_break_the_page():
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in {"w": 10.0, "b": 10.0, "x": 10.0, "t": -10.0, "lam": 10.0, "phase": "backward"}.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
