"""Numba kernels for the optimizers' elementwise updates.

One pass over each parameter instead of NumPy's chain of temporaries (six full-size arrays
per parameter for Adam). Arrays arrive flattened; the formulas are in engine/nn/optim.py.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def _adam_one(p, g, m, v, backup, i, b1, b2, lr_t, vs, e, tiny):
    """Update p[i], m[i] and v[i], first saving p[i] in backup[i] if backup is not empty;
    returns 1 if the new p[i] is NaN or infinite, else 0. With a backup, a NaN or infinite
    g[i] leaves all three as they were and counts as bad: a checked step then needs no pass
    of its own over the gradients."""
    one, zero = p.dtype.type(1), p.dtype.type(0)
    gi = g[i]
    if backup.shape[0] > 0 and gi - gi != zero:
        backup[i] = p[i]
        return 1
    mi = b1 * m[i] + (one - b1) * gi
    vi = b2 * v[i] + (one - b2) * gi * gi
    # A weight whose gradient stays 0 (a dead unit) has its averages shrink geometrically into
    # subnormal numbers, which the CPU handles about 100 times slower: flush them to zero.
    mi = zero if abs(mi) < tiny else mi  # written so that NaN stays NaN
    vi = zero if vi < tiny else vi
    m[i] = mi
    v[i] = vi
    old = p[i]
    if backup.shape[0] > 0:
        backup[i] = old
    new = old - lr_t * mi / (np.sqrt(vi * vs) + e)
    p[i] = new
    return 1 if new - new != zero else 0  # inf - inf and NaN - NaN are NaN


@njit(cache=True, nogil=True, parallel=True)
def adam_update(p, g, m, v, beta1, beta2, step_size, v_scale, eps, tiny, backup):
    """m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size m / (sqrt(v v_scale) + eps).

    p, g, m, v: (n,) of one dtype, updated in place; step_size = lr / (1 - b1^t) and
    v_scale = 1 / (1 - b2^t) carry the bias correction; m and v below tiny (the dtype's
    smallest normal number) become 0; backup: (n,) out, p before the update, or (0,) for
    none (a checked step keeps it, in the same pass, to undo the step; it then also leaves
    p, m and v alone where g is NaN or infinite, and counts those as bad).
    Returns how many new values of p are NaN or infinite (or bad gradients, with a backup).
    prange also lets LLVM vectorise.
    """
    t = p.dtype.type
    b1, b2, lr_t, vs, e, tn = t(beta1), t(beta2), t(step_size), t(v_scale), t(eps), t(tiny)
    bad = 0
    for i in prange(p.shape[0]):
        bad += _adam_one(p, g, m, v, backup, i, b1, b2, lr_t, vs, e, tn)
    return bad


@njit(cache=True, nogil=True)
def adam_update_serial(p, g, m, v, beta1, beta2, step_size, v_scale, eps, tiny, backup):
    """adam_update on one thread, for small parameters: waking the other threads costs more."""
    t = p.dtype.type
    b1, b2, lr_t, vs, e, tn = t(beta1), t(beta2), t(step_size), t(v_scale), t(eps), t(tiny)
    bad = 0
    for i in range(p.shape[0]):
        bad += _adam_one(p, g, m, v, backup, i, b1, b2, lr_t, vs, e, tn)
    return bad


@njit(cache=True, nogil=True, parallel=True)
def fill_zero(a):
    """a[:] = 0 over the threads in equal contiguous blocks, for big gradients: each core then
    holds the block of a dense layer's weight gradient that it adds to next (_kernels/dense.py)."""
    zero = a.dtype.type(0)
    for i in prange(a.shape[0]):
        a[i] = zero
