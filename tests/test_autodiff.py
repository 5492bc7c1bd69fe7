"""The scalar graph, the XOR network and the conv filter gradient against numerical gradients."""

import math

import numpy as np
import pytest

from engine.autodiff import (Value, XorMLP, conv_filter_gradient, logistic_graph,
                             logistic_gradient_check, logistic_loss)
from gradcheck import numerical_gradient


def test_lecture_error_signals_follow_the_chain_rule():
    w, b, x, t = 2.0, -1.0, 1.5, 1.0
    g = logistic_graph(w, b, x, t)
    z = w * x + b
    y = 1 / (1 + math.exp(-z))
    assert g.node("z").value == pytest.approx(2.0)
    assert g.node("y").value == pytest.approx(y)
    assert g.node("L").value == pytest.approx(0.5 * (y - t) ** 2)
    # y_bar = y - t, z_bar = y_bar sigma'(z), w_bar = z_bar x, b_bar = z_bar
    assert g.node("y").grad == pytest.approx(y - t)
    assert g.node("z").grad == pytest.approx((y - t) * y * (1 - y))
    assert g.node("w").grad == pytest.approx((y - t) * y * (1 - y) * x)
    assert g.node("b").grad == pytest.approx((y - t) * y * (1 - y))
    assert [n.name for n in g.nodes] == ["w", "b", "x", "t", "z", "y", "L"]


def test_l2_term_adds_lambda_w_to_w_bar_only():
    plain = logistic_graph(0.5, 0.2, -1.0, 0.0)
    reg = logistic_graph(0.5, 0.2, -1.0, 0.0, lam=0.3)
    assert reg.node("w").grad == pytest.approx(plain.node("w").grad + 0.3 * 0.5)
    assert reg.node("b").grad == pytest.approx(plain.node("b").grad)
    assert reg.node("R").value == pytest.approx(0.125)
    assert reg.node("R").grad == pytest.approx(0.3)
    assert reg.loss == pytest.approx(plain.loss + 0.3 * 0.125)


@pytest.mark.parametrize("args", [(2, -1, 1.5, 1, 0), (-3, 0.5, 2, 0, 0.1), (0.1, 0.1, -4, 1, 2.0)])
def test_logistic_gradients_match_central_differences(args):
    for name, (analytic, numeric, err) in logistic_gradient_check(*args).items():
        assert err < 1e-6, name


def test_value_ops_against_numerical():
    def f(v):
        a = Value(v[0]); b = Value(v[1])
        out = (a * b + a.tanh() - b.sigmoid()).square() + (a - 3.0).relu()
        return out, (a, b)
    v = np.array([3.5, -0.7])
    out, (a, b) = f(v)
    out.backward()
    num = numerical_gradient(lambda p: np.array(f(p)[0].value), v.copy(), np.array(1.0))
    np.testing.assert_allclose([a.grad, b.grad], num, rtol=1e-6)


def test_fan_out_adds_error_signals():
    a = Value(3.0)
    out = a * a + a
    out.backward()
    assert a.grad == pytest.approx(7.0)


def test_bad_numbers_are_explained():
    with pytest.raises(ValueError, match="finite"):
        logistic_graph(float("nan"), 0, 1, 1)
    with pytest.raises(ValueError, match="negative"):
        logistic_graph(1, 0, 1, 1, lam=-1)
    assert logistic_loss(0, 0, 1, 1) == pytest.approx(0.125)


def test_xor_mlp_learns_and_its_backprop_matches_numerical():
    m = XorMLP(hidden=4, activation="tanh", lr=1.0, seed=1)
    for name, (_, _, err) in m.numerical_check().items():
        assert err < 1e-6, name
    m.step(1000)
    assert len(m.losses) == 1001 and m.losses[-1] < 0.01 < m.losses[0]
    assert np.array_equal(m.predictions() > 0.5, [False, True, True, False])
    xs, ys, out = m.surface(21)
    assert out.shape == (21, 21) and xs[0] == -0.5 and xs[-1] == 1.5


def test_xor_sigmoid_checks_and_bad_settings():
    m = XorMLP(hidden=2, activation="sigmoid", lr=5, seed=0)
    assert max(err for *_, err in m.numerical_check().values()) < 1e-6
    with pytest.raises(ValueError, match="learning rate"):
        XorMLP(lr=0)
    with pytest.raises(ValueError, match="activation"):
        XorMLP(activation="cube")


def test_filter_gradient_is_the_correlation_of_input_and_upstream_gradient():
    rng = np.random.default_rng(0)
    x, w, dy = rng.normal(size=(6, 6)), rng.normal(size=(3, 3)), rng.normal(size=(4, 4))
    dw, corr, num, err_corr, err_num = conv_filter_gradient(x, w, dy)
    assert err_corr < 1e-12 and err_num < 1e-6
    manual = np.array([[np.sum(x[i:i + 4, j:j + 4] * dy) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(dw, manual, rtol=1e-10)
    with pytest.raises(ValueError, match="shape"):
        conv_filter_gradient(x, w, dy[:3])
