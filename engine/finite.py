"""all_finite(a): whether an array holds no NaN and no infinity, in one pass that allocates
nothing (np.isfinite(a).all() builds a boolean array first)."""

import numpy as np

from engine._kernels import loss as loss_kernels

PARALLEL_FROM = 65536  # values; smaller arrays are checked on one thread

_EXPONENT_BITS = {  # float dtype -> (unsigned integer of its width, mask of its exponent bits)
    np.dtype(np.float32): (np.uint32, np.uint32(0x7F800000)),
    np.dtype(np.float64): (np.uint64, np.uint64(0x7FF0000000000000)),
}


def all_finite(a):
    """True when no value of a (any shape, any numeric dtype) is NaN or infinite."""
    a = np.asarray(a)
    bits = _EXPONENT_BITS.get(a.dtype)
    if bits is None or not a.flags.c_contiguous:
        return bool(np.isfinite(a).all())
    as_int, exponent = bits
    check = loss_kernels.all_finite_bits_parallel if a.size >= PARALLEL_FROM else loss_kernels.all_finite_bits
    return bool(check(a.reshape(-1).view(as_int), exponent))
