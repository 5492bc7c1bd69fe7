"""Numba kernel for dropout masks: fast and reproducible from a seed.

Each value's coin flip is a hash of (key, its index) -- Wellons' "lowbias32" mixer -- rather
than the next number of a sequential generator, so the loop has no state carried from one value
to the next and LLVM vectorises it (32-bit arithmetic throughout), and the same key always
gives the same mask. It runs on one thread: split over two, a batch of feature maps ran no
faster. The backward's product with the mask does gain from a second thread.
"""

import numpy as np
from numba import njit, prange

PARALLEL_FROM = 65536  # values; below this one thread is quicker for scale_by_mask

_GOLDEN = np.uint32(0x9E3779B9)
_MIX1 = np.uint32(0x7FEB352D)
_MIX2 = np.uint32(0x846CA68B)


@njit(cache=True, nogil=True, parallel=True)
def scale_by_mask(dy, mask, out):
    """out = dy * mask for flat (n,) arrays, over the threads: the dropout's backward."""
    for i in prange(dy.shape[0]):
        out[i] = dy[i] * mask[i]


@njit(cache=True, nogil=True)
def dropout_forward(x, key, threshold, scale, out, mask):
    """mask[i] = scale if hash(key, i) >= threshold else 0; out[i] = x[i] * mask[i].

    x, out, mask: (n,) flat arrays of one dtype; key, threshold: uint32, with
    threshold = p * 2**32 so that a value is dropped with probability p.
    Every step is cast back to uint32 because Numba widens integer arithmetic to 64 bits.
    """
    s = mask.dtype.type(scale)
    zero = mask.dtype.type(0)
    for i in range(x.shape[0]):
        z = np.uint32(key ^ np.uint32(np.uint32(i) * _GOLDEN))
        z = np.uint32(z ^ (z >> np.uint32(16)))
        z = np.uint32(z * _MIX1)
        z = np.uint32(z ^ (z >> np.uint32(15)))
        z = np.uint32(z * _MIX2)
        z = np.uint32(z ^ (z >> np.uint32(16)))
        m = s if z >= threshold else zero
        mask[i] = m
        out[i] = x[i] * m
