"""The dense layer's two-thread matrix products against NumPy's."""

import numpy as np
import pytest

from engine import _kernels_dense as KDN, nn

pytestmark = pytest.mark.skipif(not KDN.HAVE_BLAS, reason="needs SciPy's BLAS")


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
