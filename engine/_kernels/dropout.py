"""Numba kernel for dropout masks: fast and reproducible from a seed.

Each value's coin flip is a hash of (key, its index) -- Wellons' "lowbias32" mixer -- rather
than the next number of a sequential generator, so the loop has no state carried from one value
to the next and LLVM vectorises it (32-bit arithmetic throughout), and the same key always
gives the same mask, on any number of threads.

Big arrays go over the threads in equal contiguous blocks: after a fused convolution step,
which hands each thread the same block of images, each thread then reads the maps its own
core just wrote (a batch of 64 first-layer maps: 0.055 ms instead of 0.077 ms on one thread).
"""

import numpy as np
from numba import njit, prange

PARALLEL_FROM = 32768  # values; below this one thread is quicker

_GOLDEN = np.uint32(0x9E3779B9)
_MIX1 = np.uint32(0x7FEB352D)
_MIX2 = np.uint32(0x846CA68B)


@njit(cache=True, nogil=True, parallel=True)
def scale_by_mask(dy, mask, out):
    """out = dy * mask for flat (n,) arrays, over the threads: the dropout's backward."""
    for i in prange(dy.shape[0]):
        out[i] = dy[i] * mask[i]


@njit(cache=True, nogil=True, inline="always")
def keeps(key, i, threshold):
    """Whether value i survives: hash(key, i) >= threshold (key, threshold: uint32).

    Every step is cast back to uint32 because Numba widens integer arithmetic to 64 bits.
    Also used by the fused convolution step (_kernels/fused.py), which drops the pooled maps
    itself: both must give the same mask for the same key. Its cached kernels do not see edits
    here: delete engine/_kernels/__pycache__ after changing this function.
    """
    z = np.uint32(key ^ np.uint32(np.uint32(i) * _GOLDEN))
    z = np.uint32(z ^ (z >> np.uint32(16)))
    z = np.uint32(z * _MIX1)
    z = np.uint32(z ^ (z >> np.uint32(15)))
    z = np.uint32(z * _MIX2)
    z = np.uint32(z ^ (z >> np.uint32(16)))
    return z >= threshold


@njit(cache=True, nogil=True, inline="always")
def _drop_one(x, i, key, threshold, s, zero, out, mask):
    m = s if keeps(key, i, threshold) else zero
    mask[i] = m
    out[i] = x[i] * m


@njit(cache=True, nogil=True)
def dropout_forward(x, key, threshold, scale, out, mask):
    """mask[i] = scale if hash(key, i) >= threshold else 0; out[i] = x[i] * mask[i].

    x, out, mask: (n,) flat arrays of one dtype; key, threshold: uint32, with
    threshold = p * 2**32 so that a value is dropped with probability p.
    """
    s, zero = mask.dtype.type(scale), mask.dtype.type(0)
    for i in range(x.shape[0]):
        _drop_one(x, i, key, threshold, s, zero, out, mask)


@njit(cache=True, nogil=True, parallel=True)
def dropout_forward_parallel(x, key, threshold, scale, out, mask):
    """dropout_forward over the threads, for arrays of PARALLEL_FROM values or more."""
    s, zero = mask.dtype.type(scale), mask.dtype.type(0)
    for i in prange(x.shape[0]):
        _drop_one(x, i, key, threshold, s, zero, out, mask)


# ReLU then dropout, as after a hidden dense layer, in one pass each way.

@njit(cache=True, nogil=True, inline="always")
def _relu_drop_one(x, i, key, threshold, s, zero, one, out):
    relu = x[i] * (one if x[i] > zero else zero)  # as the ReLU layer: x * (x > 0), NaN stays NaN
    out[i] = relu * (s if keeps(key, i, threshold) else zero)


@njit(cache=True, nogil=True)
def relu_dropout_forward(x, key, threshold, scale, out):
    """out = dropout(ReLU(x)) with dropout_forward's mask for this key; the mask is not kept
    (the backward reads it from out). x, out: (n,) flat, of one float dtype; threshold 0
    drops nothing (with scale 1: a plain ReLU)."""
    s, zero, one = out.dtype.type(scale), out.dtype.type(0), out.dtype.type(1)
    for i in range(x.shape[0]):
        _relu_drop_one(x, i, key, threshold, s, zero, one, out)


@njit(cache=True, nogil=True, parallel=True)
def relu_dropout_forward_parallel(x, key, threshold, scale, out):
    """relu_dropout_forward over the threads, for arrays of PARALLEL_FROM values or more."""
    s, zero, one = out.dtype.type(scale), out.dtype.type(0), out.dtype.type(1)
    for i in prange(x.shape[0]):
        _relu_drop_one(x, i, key, threshold, s, zero, one, out)


@njit(cache=True, nogil=True, inline="always")
def _relu_drop_grad_one(dy, out, i, s, zero, dx):
    # out > 0 exactly where the value was positive and kept (scale >= 1 cannot round it to 0)
    dx[i] = dy[i] * (s if out[i] > zero else zero)


@njit(cache=True, nogil=True)
def relu_dropout_backward(dy, out, scale, dx):
    """dx = the gradient through relu_dropout_forward: dy * scale where out > 0, else dy * 0.
    dy, out, dx: (n,) flat, of one float dtype."""
    s, zero = dx.dtype.type(scale), dx.dtype.type(0)
    for i in range(dy.shape[0]):
        _relu_drop_grad_one(dy, out, i, s, zero, dx)


@njit(cache=True, nogil=True, parallel=True)
def relu_dropout_backward_parallel(dy, out, scale, dx):
    """relu_dropout_backward over the threads, for arrays of PARALLEL_FROM values or more."""
    s, zero = dx.dtype.type(scale), dx.dtype.type(0)
    for i in prange(dy.shape[0]):
        _relu_drop_grad_one(dy, out, i, s, zero, dx)
