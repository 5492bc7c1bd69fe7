"""Numba kernel for dropout masks: parallel, fast and reproducible from a seed.

Each value's coin flip is a hash of (key, its index) -- the "splitmix64" mixer -- rather than
the next number of a sequential generator, so threads can flip their coins in any order and
the same key always gives the same mask.
"""

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True, inline="always")
def _uniform(key, i):
    """A uniform number in [0, 1) from 24 well-mixed bits of hash(key, i)."""
    z = key + (np.uint64(i) + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return np.float32(z >> np.uint64(40)) * np.float32(1.0 / 16777216.0)


@njit(cache=True, nogil=True, parallel=True)
def dropout_forward(x, key, p, scale, out, mask):
    """mask[i] = scale if uniform(key, i) >= p else 0; out[i] = x[i] * mask[i].

    x, out, mask: (n,) flat arrays of one dtype; key: uint64.
    """
    zero = mask.dtype.type(0)
    s = mask.dtype.type(scale)
    p32 = np.float32(p)
    for i in prange(x.shape[0]):
        m = s if _uniform(key, i) >= p32 else zero
        mask[i] = m
        out[i] = x[i] * m
