"""Saliency (engine/explain/saliency.py): the engine's backward pass down to the pixels, checked
against numerical gradients in float64."""

from pathlib import Path

import numpy as np
import pytest

from engine import explain, nn
from gradcheck import assert_gradients_close, numerical_gradient

ROOT = Path(__file__).resolve().parents[2]
rng = np.random.default_rng(5)


def mixed_net():
    """Every kind of layer a learner's network may have, batch norm and dropout included."""
    return nn.Sequential([
        nn.Conv2D(2, 3, 3, padding="same", seed=0), nn.BatchNorm2D(3), nn.ReLU(), nn.MaxPool2D(2),
        nn.Dropout(0.25, seed=1), nn.Conv2D(3, 4, 3, padding=1, seed=2), nn.Tanh(), nn.AvgPool2D(2),
        nn.Flatten(), nn.Dense(16, 6, seed=3), nn.BatchNorm1D(6), nn.LeakyReLU(), nn.Dropout(0.5, seed=4),
        nn.Dense(6, 4, seed=5), nn.Sigmoid(), nn.Dense(4, 3, seed=6),
    ])


def trained_a_little(model, x, y):
    """A few steps, so batch norm's running averages are not the 0 and 1 they start at."""
    opt = nn.SGD(model, 0.1)
    for _ in range(5):
        nn.train_step(model, opt, x, y)
    return model


def check_saliency(model, x, target):
    scores = lambda v: model.forward(v, training=False)  # noqa: E731
    df = np.zeros_like(scores(x))
    df[np.arange(len(x)), target] = 1
    numeric = numerical_gradient(scores, x.copy(), df)
    assert_gradients_close(explain.input_gradient(model, x, target), numeric, tol=1e-6)


def test_saliency_of_a_network_with_every_kind_of_layer():
    x = rng.standard_normal((3, 2, 8, 8))
    model = trained_a_little(mixed_net().astype(np.float64), x, np.array([0, 1, 2]))
    check_saliency(model, x, np.array([2, 0, 1]))
    check_saliency(model, x, 1)


def test_saliency_of_the_pretrained_digit_network():
    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz").astype(np.float64)
    # noise, not a digit: a digit's black background gives pooling windows with ties, where the
    # function has no derivative
    x = rng.random((1, 1, 28, 28))
    check_saliency(model, x, 3)


def test_the_model_s_gradients_are_left_alone_and_float32_stays_float32():
    model = mixed_net()
    x = rng.standard_normal((2, 2, 8, 8)).astype(np.float32)
    nn.train_step(model, nn.SGD(model, 0.1), x, np.array([0, 1]))
    before = {(id(layer), k): g.copy() for layer in model.layers for k, g in layer.grads.items()}
    g = explain.input_gradient(model, x, [1, 2])
    assert g.shape == x.shape and g.dtype == np.float32
    for layer in model.layers:
        for k, grad in layer.grads.items():
            np.testing.assert_array_equal(grad, before[(id(layer), k)])
    g64 = explain.input_gradient(model.astype(np.float64), x.astype(np.float64), [1, 2])
    assert g64.dtype == np.float64
    np.testing.assert_allclose(g, g64, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("x, target, message", [
    (np.zeros((2, 8, 8)), 0, r"shape \(N, C, H, W\)"),
    (np.zeros((1, 1, 8, 8)), 0, "2 channel"),
    (np.zeros((2, 2, 8, 8)), 3, "classes 0 to 2, not 3"),
    (np.zeros((2, 2, 8, 8)), -1, "classes 0 to 2, not -1"),
    (np.zeros((2, 2, 8, 8)), [0, 1, 2], "2 images but 3 classes"),
    (np.zeros((2, 2, 8, 8)), 1.5, "whole number"),
    (np.full((1, 2, 8, 8), np.nan), 0, "NaN"),
])
def test_bad_arguments_are_explained(x, target, message):
    with pytest.raises(ValueError, match=message):
        explain.input_gradient(mixed_net(), x, target)


@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm2D(3), (4, 3, 5, 5)), (nn.BatchNorm1D(3), (4, 3))])
def test_batch_norm_at_inference_passes_back_a_fixed_scale_per_channel(layer, shape):
    layer.astype(np.float64)
    layer.params["gamma"][:] = [0.5, 2.0, -1.0]
    layer.buffers["running_var"][:] = [4.0, 1.0, 0.25]
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(shape)
    layer.forward(x, training=False)
    dx = layer.backward(dy)
    numeric = numerical_gradient(lambda v: layer.forward(v, training=False), x.copy(), dy)
    assert_gradients_close(dx, numeric)
