import numpy as np

from engine import nn
from engine.lessons.autodiff import Value, logistic_graph, numerical_gradient, xor_net, xor_train


def test_lecture_logistic_gradients_by_the_chain_rule():
    w, b, x, t = 2.0, -1.0, 1.5, 1.0
    g = logistic_graph(w, b, x, t)
    y = 1 / (1 + np.exp(-(w * x + b)))
    dz = (y - t) * y * (1 - y)
    assert np.isclose(g["L"].data, (y - t) ** 2 / 2)
    assert np.isclose(g["w"].grad, dz * x) and np.isclose(g["b"].grad, dz)


def test_l2_term_adds_lambda_w():
    plain, reg = logistic_graph(2.0, -1.0, 1.5, 1.0), logistic_graph(2.0, -1.0, 1.5, 1.0, lam=0.1)
    assert np.isclose(reg["w"].grad - plain["w"].grad, 0.1 * 2.0)
    assert np.isclose(reg["b"].grad, plain["b"].grad)


def test_backprop_matches_central_differences():
    for args in [(2.0, -1.0, 1.5, 1.0, 0.0), (-3.0, 0.5, 0.2, 0.0, 0.3), (0.1, 0.1, -2.0, 1.0, 1.0)]:
        g = logistic_graph(*args)
        nw, nb = numerical_gradient(*args)
        assert abs(g["w"].grad - nw) <= 1e-6 * max(abs(nw), 1e-8)
        assert abs(g["b"].grad - nb) <= 1e-6 * max(abs(nb), 1e-8)


def test_gradients_accumulate_over_shared_nodes():
    a = Value(3.0)
    out = a * a + a  # d/da = 2a + 1
    out.backward()
    assert a.grad == 7.0


def test_xor_is_learned():
    model = xor_net()
    losses = xor_train(model, nn.SGD(model, 2.0), 1500)
    assert losses[-1] < 0.01 < losses[0]
