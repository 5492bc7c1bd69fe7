"""Padding: the borders added around an image before a window slides over it.

pad2d pads with zeros or copies of the image (reflect, replicate, circular); same_padding and
resolve_padding turn a layer's padding setting into rows and columns; flat_padded lays padded
images out as the convolution kernels read them.
"""

import numpy as np

from engine._kernels import conv as conv_kernels
from engine.arguments import as_float_array, pair, shown, whole_number
from engine.memory import check_allocation

PAD_MODES = {"zero": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad2d(x, padding, mode="zero"):
    """Pad the last two axes of x: (N, C, H, W) or a single (H, W) grid.

    padding: an int, (ph, pw), or (top, bottom, left, right).
    mode: 'zero' (zeros), 'reflect' (mirror without repeating the edge: 3 2 | 1 2 3 | 2 1),
    'replicate' (repeat the edge: 1 1 | 1 2 3 | 3 3) or 'circular' (wrap around: 2 3 | 1 2 3 | 1 2).
    """
    if not isinstance(mode, str) or mode not in PAD_MODES:
        raise ValueError(f"the padding mode must be one of {', '.join(PAD_MODES)}, not {shown(mode)}")
    x = as_float_array(x, "input")
    if x.ndim not in (2, 4):
        raise ValueError(f"pad2d takes an (H, W) grid or an (N, C, H, W) batch, not {x.ndim} axes")
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        top, bottom, left, right = (whole_number(v, "padding", 0) for v in padding)
    else:
        ph, pw = pair(padding, "padding", 0)
        top, bottom, left, right = ph, ph, pw, pw
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"reflect padding must be smaller than the input ({h}x{w}); "
                         f"use 'replicate' or 'circular' for wider borders")
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ValueError(f"circular padding can wrap around at most once ({h}x{w} input)")
    if x.size == 0 and mode != "zero":
        raise ValueError("cannot pad an empty input")
    check_allocation(x.shape[:-2] + (h + top + bottom, w + left + right), x.dtype, "padded input")
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=PAD_MODES[mode])


def same_padding(n, f, stride, dilation):
    """(before, after) padding that makes the output ceil(n / stride) long; the odd cell goes after."""
    eff = dilation * (f - 1) + 1
    out = -(-n // stride)
    total = max((out - 1) * stride + eff - n, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, h, w, fh, fw, stride, dilation):
    """Padding as (top, bottom, left, right) for an h x w input and an fh x fw window.

    padding: an int, an (h, w) pair, 'valid' (none) or 'same' (same_padding on each axis);
    stride and dilation are (h, w) pairs.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            return same_padding(h, fh, stride[0], dilation[0]) + same_padding(w, fw, stride[1], dilation[1])
        raise ValueError(f"padding must be a number, a pair, 'valid' or 'same', not {padding!r}")
    ph, pw = pair(padding, "padding", 0)
    return ph, ph, pw, pw


def flat_padded(x, pads, fw, dw):
    """x: (N, C, H, W) padded and flattened to (N, C, Hp*Wp + tail) with a zero tail of
    (fw-1)*dw values, so the last taps of the last wide row stay inside; returns (xpf, Wp)."""
    xpf, wp = flat_padded_empty(x.shape, pads, fw, dw, x.dtype)
    conv_kernels.pad_flat(np.ascontiguousarray(x), pads[0], pads[2], wp, xpf)
    return xpf, wp


def flat_padded_empty(shape, pads, fw, dw, dtype):
    """An empty array shaped like flat_padded's for images of shape (N, C, H, W), and Wp."""
    top, bottom, left, right = pads
    n, c, h, w = shape
    wp = w + left + right
    check_allocation((n, c, (h + top + bottom) * wp + (fw - 1) * dw), dtype, "padded input, laid out flat")
    return np.empty((n, c, (h + top + bottom) * wp + (fw - 1) * dw), dtype=dtype), wp
