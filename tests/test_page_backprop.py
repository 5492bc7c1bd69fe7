"""The backpropagation page: stepping the graph, the L2 term, XOR training, the filter gradient."""

import math

from streamlit.testing.v1 import AppTest


def _page():
    at = AppTest.from_file("../pages/backprop.py", default_timeout=30).run()
    assert not at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_stepping_forward_then_backward_fills_values_then_error_signals():
    at = _page()
    assert at.title[0].value == "Backpropagation"
    assert at.slider(key="stage").max == 7   # z, y, L forward; L, y, z backward; then w, b
    for _ in range(3):
        _button(at, "step ▶").click().run()
    assert at.session_state.stage == 3
    y = 1 / (1 + math.exp(-2.0))
    assert any(f"{0.5 * (y - 1) ** 2:.6g}" in l.value for l in at.latex)
    at.slider(key="stage").set_value(7).run()
    assert not at.exception
    success = at.success[0].value
    assert f"{(y - 1) * y * (1 - y) * 1.5:.6g}" in success and f"{(y - 1) * y * (1 - y):.6g}" in success
    table = at.dataframe[0].value
    assert list(table["error signal"])[0] == f"{(y - 1) * y * (1 - y) * 1.5:.6g}"
    errors = at.dataframe[1].value["relative error"]
    assert all(float(e) < 1e-6 for e in errors)


def test_l2_term_adds_lambda_w_and_two_more_nodes():
    at = _page()
    at.toggle(key="l2").set_value(True).run()
    at.slider(key="lam").set_value(0.5).run()
    assert at.slider(key="stage").max == 11
    at.slider(key="stage").set_value(11).run()
    y = 1 / (1 + math.exp(-2.0))
    w_bar = (y - 1) * y * (1 - y) * 1.5 + 0.5 * 2.0
    assert f"{w_bar:.6g}" in at.success[0].value
    # turning L2 off again keeps the step inside the shorter walk
    at.toggle(key="l2").set_value(False).run()
    assert not at.exception and at.session_state.stage == 7


def test_saturated_unit_warns_and_extremes_do_not_break():
    at = _page()
    at.number_input(key="w").set_value(1000.0).run()
    at.number_input(key="x").set_value(1000.0).run()
    assert not at.exception
    assert any("saturated" in w.value for w in at.warning)


def test_xor_trains_step_by_step():
    at = _page()
    assert at.metric[0].value == "0"
    start = float(at.metric[1].value)
    _button(at, "200 steps").click().run()
    for _ in range(4):
        _button(at, "200 steps").click().run()
    assert at.metric[0].value == "1000"
    assert float(at.metric[1].value) < min(0.01, start)
    assert all(at.dataframe[2].value["correct"])
    _button(at, "reset").click().run()
    assert at.metric[0].value == "0"


def test_too_high_learning_rate_is_explained_not_a_traceback():
    at = _page()
    at.number_input(key="lr").set_value(50.0).run()
    for _ in range(3):
        _button(at, "200 steps").click().run()
    assert not at.exception


def test_filter_gradient_equals_correlation():
    at = _page()
    for seed in (0, 99):
        at.slider(key="cseed").set_value(seed).run()
        assert not at.exception
        vals = {m.label: float(m.value) for m in at.metric}
        assert vals["conv2d(x, ȳ) vs w̄"] < 1e-12
        assert vals["numerical vs w̄"] < 1e-6
    assert at.query_params["cseed"] == ["99"] or at.query_params["cseed"] == "99"
