"""Pooling: max, average, min, sum and L2 over F x F windows, with their gradients.

x: (N, C, H, W) -> out: (N, C, H', W') with H' = floor((H - F) / S) + 1 and the stride S
defaulting to the window size F (windows side by side). When the windows do not tile the
input exactly, the last rows and columns that no window reaches are left out, as a
convolution without padding would. With S < F the windows overlap, and in the backward
pass an input in several windows adds up the gradients of all of them.

Max and min send each window's gradient to the one input that won (the first in reading
order on ties); average spreads it evenly; sum copies it to every input; L2 sends x / ||x||.
"""

import numpy as np

from engine._kernels import pool as pool_kernels
from engine.arguments import as_float_array, check_finite, pair
from engine.memory import check_allocation
from engine.shapes import window_output_size


def _setup(x, size, stride):
    x = as_float_array(x, "input")
    if x.ndim != 4:
        hint = " (for one grid of shape (H, W) use x[None, None])" if x.ndim == 2 else ""
        raise ValueError(f"the input must have 4 axes (batch, channels, height, width), not {x.ndim}{hint}")
    fh, fw = pair(size, "pool size", 1)
    sh, sw = pair(stride if stride is not None else (fh, fw), "stride", 1)
    h, w = x.shape[2], x.shape[3]
    if fh > h or fw > w:
        raise ValueError(f"a {fh}x{fw} pooling window does not fit in a {h}x{w} input")
    ho = window_output_size(h, fh, sh)
    wo = window_output_size(w, fw, sw)
    check_allocation(x.shape[:2] + (ho, wo), x.dtype, "pooled output")
    # a stride beyond the input leaves one window either way; the kernels take int64
    return np.ascontiguousarray(x), (fh, fw), (min(sh, h), min(sw, w)), (ho, wo)


def pool_forward(x, size, stride, kind):
    """(out, arg): the pooled maps (N, C, H', W') and, as int32 codes, where each window's
    max or min was (what the backward pass routes by); kind is one of the kernels' MAX, AVG,
    MIN, SUM, L2."""
    x, (fh, fw), (sh, sw), (ho, wo) = _setup(x, size, stride)
    check_finite(x, "input")
    out = np.empty(x.shape[:2] + (ho, wo), dtype=x.dtype)
    arg = np.empty(out.shape, dtype=np.int32)
    pool_kernels.pool_forward(x, fh, fw, sh, sw, kind, out, arg)
    return out, arg


def _backward(dy, x, size, stride, kind):
    x, (fh, fw), (sh, sw), (ho, wo) = _setup(x, size, stride)
    dy = np.ascontiguousarray(as_float_array(dy, "upstream gradient"), dtype=x.dtype)
    if dy.shape != x.shape[:2] + (ho, wo):
        raise ValueError(f"the upstream gradient must have the pooled shape {x.shape[:2] + (ho, wo)}, not {dy.shape}")
    check_finite(dy, "upstream gradient")
    check_allocation(x.shape, x.dtype, "input gradient")
    out, arg = pool_forward(x, size, stride, kind)
    dx = np.zeros_like(x)
    pool_kernels.pool_backward(dy, x, out, arg, fh, fw, sh, sw, kind, dx)
    return dx


def max_pool2d(x, size=2, stride=None):
    """The largest value in each window. x: (N, C, H, W) -> (N, C, H', W')."""
    return pool_forward(x, size, stride, pool_kernels.MAX)[0]


def max_pool2d_backward(dy, x, size=2, stride=None):
    """dx: each window's gradient goes to the input that was the maximum."""
    return _backward(dy, x, size, stride, pool_kernels.MAX)


def max_pool2d_argmax(x, size=2, stride=None):
    """Where each window's maximum sits: (rows, cols), each (N, C, H', W'), in input coordinates."""
    x, (fh, fw), (sh, sw), (ho, wo) = _setup(x, size, stride)
    _, arg = pool_forward(x, size, stride, pool_kernels.MAX)
    rows = arg // fw + (np.arange(ho) * sh)[:, None]
    cols = arg % fw + (np.arange(wo) * sw)[None, :]
    return rows, cols


def avg_pool2d(x, size=2, stride=None):
    """The mean of each window."""
    return pool_forward(x, size, stride, pool_kernels.AVG)[0]


def avg_pool2d_backward(dy, x, size=2, stride=None):
    """dx: each window's gradient split evenly over its F*F inputs."""
    return _backward(dy, x, size, stride, pool_kernels.AVG)


def min_pool2d(x, size=2, stride=None):
    """The smallest value in each window."""
    return pool_forward(x, size, stride, pool_kernels.MIN)[0]


def min_pool2d_backward(dy, x, size=2, stride=None):
    """dx: each window's gradient goes to the input that was the minimum."""
    return _backward(dy, x, size, stride, pool_kernels.MIN)


def sum_pool2d(x, size=2, stride=None):
    """The sum of each window."""
    return pool_forward(x, size, stride, pool_kernels.SUM)[0]


def sum_pool2d_backward(dy, x, size=2, stride=None):
    """dx: each window's gradient copied to all of its inputs."""
    return _backward(dy, x, size, stride, pool_kernels.SUM)


def l2_pool2d(x, size=2, stride=None):
    """The Euclidean norm sqrt(sum x^2) of each window."""
    return pool_forward(x, size, stride, pool_kernels.L2)[0]


def l2_pool2d_backward(dy, x, size=2, stride=None):
    """dx: x / ||x|| times each window's gradient (zero for an all-zero window)."""
    return _backward(dy, x, size, stride, pool_kernels.L2)
