import numpy as np

from engine.lessons import activation_lab as lab


def test_curves_and_slopes():
    y, s = lab.curve("sigmoid", [0.0])
    assert np.isclose(y[0], 0.5) and np.isclose(s[0], 0.25)
    y, s = lab.curve("ReLU", [-1.0, 2.0])
    assert y.tolist() == [0, 2] and s.tolist() == [0, 1]
    y, s = lab.curve("tanh", [0.0])
    assert np.isclose(s[0], 1)


def test_sigmoid_gradients_vanish_with_depth_and_relu_ones_do_not():
    sig, relu = lab.gradient_norms("sigmoid", 12), lab.gradient_norms("ReLU", 12)
    assert sig[0] < 1e-4 * sig[-1]
    assert relu[0] > 1e-2 * relu[-1]


def test_dead_fraction():
    assert lab.dead_fraction([[-1, 2, -3], [-1, -2, 4]]) == 1 / 3
