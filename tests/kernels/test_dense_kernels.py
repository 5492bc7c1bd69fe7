"""The dense layer's two-thread matrix products against NumPy's."""

import numpy as np
import pytest

from engine import nn
from engine._kernels import dense as dense_kernels

pytestmark = pytest.mark.skipif(not dense_kernels.HAVE_BLAS, reason="needs SciPy's BLAS")


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("batch", [5, 64, 257])
def test_a_big_dense_layer_gives_numpys_products(dtype, tol, batch):
    rng = np.random.default_rng(batch)
    layer = nn.Dense(784, 256, seed=1).astype(dtype)
    x = rng.standard_normal((batch, 784)).astype(dtype)
    dy = rng.standard_normal((batch, 256)).astype(dtype)
    w, b = layer.params["w"], layer.params["b"]
    out = layer.forward(x)
    dx = layer.backward(dy)
    for mine, numpy_s in ((out, x @ w + b), (dx, dy @ w.T), (layer.grads["w"], x.T @ dy)):
        assert mine.dtype == dtype
        assert np.abs(mine - numpy_s).max() <= tol * np.abs(numpy_s).max()


@pytest.mark.parametrize("batch", [64, 200])  # split by inputs, split by rows
def test_odd_inputs_strided_x_and_gradients_that_add_up(batch):
    rng = np.random.default_rng(7)
    layer = nn.Dense(785, 300, seed=2).astype(np.float64)  # halves of 392 and 393 inputs
    x = rng.standard_normal((batch, 2 * 785))[:, ::2]       # not contiguous
    dy = rng.standard_normal((batch, 300))
    w, b = layer.params["w"], layer.params["b"]
    np.testing.assert_allclose(layer.forward(x), x @ w + b, rtol=1e-12, atol=1e-12)
    layer.backward(dy)
    dx = layer.backward(dy)  # a second backward adds to the gradients, as the NumPy path does
    np.testing.assert_allclose(dx, dy @ w.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["w"], 2 * (x.T @ dy), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], 2 * dy.sum(axis=0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch", [64, 200])  # split by inputs, split by rows
def test_after_zero_grad_the_gradient_is_written_and_then_added_to(batch):
    rng = np.random.default_rng(8)
    layer = nn.Dense(784, 256, seed=3)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    dy = rng.standard_normal((batch, 256)).astype(np.float32)
    expected = x.T @ dy
    tol = 1e-5 * np.abs(expected).max()
    layer.grads["w"][...] = 7.0  # stale values that zero_grad() must clear
    layer.zero_grad()
    layer.forward(x)
    layer.backward(dy)
    assert np.abs(layer.grads["w"] - expected).max() <= tol
    layer.forward(x)
    layer.backward(dy)  # no zero_grad() in between: added to
    assert np.abs(layer.grads["w"] - 2 * expected).max() <= 2 * tol
    layer.zero_grad()
    layer.astype(np.float32)  # new gradient arrays: not the ones zero_grad() cleared
    layer.grads["w"][...] = 1.0
    layer.forward(x)
    layer.backward(dy)
    assert np.abs(layer.grads["w"] - (expected + 1)).max() <= tol
