"""Numba kernels for the optimizers' elementwise updates.

One pass over each parameter instead of NumPy's chain of temporaries (six full-size arrays
per parameter for Adam). Arrays arrive flattened; the formulas are in engine/nn/optim.py.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def _adam_one(p, g, m, v, i, b1, b2, lr_t, vs, e):
    one = p.dtype.type(1)
    gi = g[i]
    mi = b1 * m[i] + (one - b1) * gi
    vi = b2 * v[i] + (one - b2) * gi * gi
    m[i] = mi
    v[i] = vi
    p[i] -= lr_t * mi / (np.sqrt(vi * vs) + e)


@njit(cache=True, nogil=True, parallel=True)
def adam_update(p, g, m, v, beta1, beta2, step_size, v_scale, eps):
    """m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size m / (sqrt(v v_scale) + eps).

    p, g, m, v: (n,) of one dtype, updated in place; step_size = lr / (1 - b1^t) and
    v_scale = 1 / (1 - b2^t) carry the bias correction. prange also lets LLVM vectorise.
    """
    t = p.dtype.type
    b1, b2, lr_t, vs, e = t(beta1), t(beta2), t(step_size), t(v_scale), t(eps)
    for i in prange(p.shape[0]):
        _adam_one(p, g, m, v, i, b1, b2, lr_t, vs, e)


@njit(cache=True, nogil=True)
def adam_update_serial(p, g, m, v, beta1, beta2, step_size, v_scale, eps):
    """adam_update on one thread, for small parameters: waking the other threads costs more."""
    t = p.dtype.type
    b1, b2, lr_t, vs, e = t(beta1), t(beta2), t(step_size), t(v_scale), t(eps)
    for i in range(p.shape[0]):
        _adam_one(p, g, m, v, i, b1, b2, lr_t, vs, e)
