"""Convolution for the lessons and the networks: 1D convolution, 2D cross-correlation,
its gradients, and padding.

Layout NCHW: x: (N, C, H, W), w: (K, C, FH, FW), b: (K,), out: (N, K, H', W') with

    H' = floor((H + 2P - D(F-1) - 1) / S) + 1

(the lecture's floor((W - F + 2P) / S) + 1 when the dilation D is 1). Like every deep-learning
framework, conv2d computes cross-correlation: the kernel is not flipped.
"""

from numbers import Integral

import numpy as np

from engine import _kernels_conv as K
from engine import _kernels_filter as KF
from engine.finite import all_finite
from engine.shapes import window_output_size

PAD_MODES = {"zero": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# ---------------------------------------------------------------- argument checks

def _as_float_array(x, name):
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        return arr
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"the {name} must hold numbers, not {arr.dtype}")
    return arr.astype(np.float32)


def _check_finite(arr, name):
    if not all_finite(arr):
        raise ValueError(f"the {name} contains NaN or infinity")


def _pair(value, name, minimum):
    """An int or an (h, w) pair of whole numbers >= minimum, as a tuple (h, w)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"the {name} must be one number or a pair (height, width), not {value!r}")
        pair = tuple(value)
    else:
        pair = (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, Integral):
            raise ValueError(f"the {name} must be a whole number, not {v!r}")
        if v < minimum:
            raise ValueError(f"the {name} must be at least {minimum}, not {v}")
    return int(pair[0]), int(pair[1])


def _same_padding(n, f, stride, dilation):
    """(before, after) padding that makes the output ceil(n / stride) long; the odd cell goes after."""
    eff = dilation * (f - 1) + 1
    out = -(-n // stride)
    total = max((out - 1) * stride + eff - n, 0)
    return total // 2, total - total // 2


def _resolve_padding(padding, h, w, fh, fw, stride, dilation):
    """Padding as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            return _same_padding(h, fh, stride[0], dilation[0]) + _same_padding(w, fw, stride[1], dilation[1])
        raise ValueError(f"padding must be a number, a pair, 'valid' or 'same', not {padding!r}")
    ph, pw = _pair(padding, "padding", 0)
    return ph, ph, pw, pw


def _conv_setup(x, w, stride, padding, dilation):
    """Checks shapes and returns (x, w, stride, dilation, pads, (Ho, Wo)) in a common dtype."""
    x = _as_float_array(x, "input")
    w = _as_float_array(w, "kernel")
    if x.ndim != 4:
        hint = " (for one image of shape (C, H, W) use x[None])" if x.ndim == 3 else ""
        raise ValueError(f"the input must have 4 axes (batch, channels, height, width), not {x.ndim}{hint}")
    if w.ndim != 4:
        raise ValueError(f"the kernels must have 4 axes (filters, channels, height, width), not {w.ndim}")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"the kernel expects {w.shape[1]} input channels but the image has {x.shape[1]}")
    if 0 in w.shape or 0 in x.shape:
        raise ValueError("the input and the kernels must not be empty")
    dtype = np.result_type(x.dtype, w.dtype)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    stride = _pair(stride, "stride", 1)
    dilation = _pair(dilation, "dilation", 1)
    _, _, h, wd = x.shape
    fh, fw = w.shape[2], w.shape[3]
    pads = _resolve_padding(padding, h, wd, fh, fw, stride, dilation)
    ho = window_output_size(h, fh, stride[0], pads[0], pads[1], dilation[0])
    wo = window_output_size(wd, fw, stride[1], pads[2], pads[3], dilation[1])
    if ho < 1 or wo < 1:
        size = f"{fh}x{fw}" if dilation == (1, 1) else f"{fh}x{fw} (dilation {dilation[0]}x{dilation[1]})"
        pad_text = pads[0] if len(set(pads)) == 1 else pads
        raise ValueError(f"a {size} kernel does not fit in a {h}x{wd} input with padding {pad_text}")
    return x, w, stride, dilation, pads, (ho, wo)


# ---------------------------------------------------------------- padding

def pad2d(x, padding, mode="zero"):
    """Pad the last two axes of x: (N, C, H, W) or a single (H, W) grid.

    padding: an int, (ph, pw), or (top, bottom, left, right).
    mode: 'zero' (zeros), 'reflect' (mirror without repeating the edge: 3 2 | 1 2 3 | 2 1),
    'replicate' (repeat the edge: 1 1 | 1 2 3 | 3 3) or 'circular' (wrap around: 2 3 | 1 2 3 | 1 2).
    """
    if mode not in PAD_MODES:
        raise ValueError(f"padding mode must be one of {', '.join(PAD_MODES)}, not {mode!r}")
    x = _as_float_array(x, "input")
    if x.ndim not in (2, 4):
        raise ValueError(f"pad2d takes an (H, W) grid or an (N, C, H, W) batch, not {x.ndim} axes")
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        for v in padding:
            _pair(v, "padding", 0)
        top, bottom, left, right = (int(v) for v in padding)
    else:
        ph, pw = _pair(padding, "padding", 0)
        top, bottom, left, right = ph, ph, pw, pw
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"reflect padding must be smaller than the input ({h}x{w}); "
                         f"use 'replicate' or 'circular' for wider borders")
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ValueError(f"circular padding can wrap around at most once ({h}x{w} input)")
    if x.size == 0 and mode != "zero":
        raise ValueError("cannot pad an empty input")
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=PAD_MODES[mode])


# ---------------------------------------------------------------- 2D

def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """2D cross-correlation, as in every deep-learning framework.

    x: (N, C, H, W); w: (K, C, FH, FW); b: (K,) or None -> out: (N, K, H', W') with
    H' = floor((H + 2P - D(FH-1) - 1) / S) + 1.
    stride, dilation: int or (h, w). padding: int, (h, w), 'valid' (no padding) or 'same'
    (output ceil(H / S) by H; when the padding needed is odd, the extra row and column go
    at the bottom and right, as in TensorFlow).
    float32 by default; float64 inputs give a float64 output.
    """
    x, w, stride, dilation, pads, (ho, wo) = _conv_setup(x, w, stride, padding, dilation)
    _check_finite(x, "input")
    _check_finite(w, "kernel")
    w = np.ascontiguousarray(w)
    if b is not None:
        b = np.asarray(b, dtype=x.dtype)
        if b.shape != (w.shape[0],):
            raise ValueError(f"the bias must have one value per filter ({w.shape[0]}), not shape {b.shape}")
    if stride == (1, 1) and _filter_path_pays(wo):
        return _filter_forward(x, w, b, pads, dilation, (ho, wo))
    if stride == (1, 1):
        xpf, wp = _flat_padded(x, pads, w.shape[3], dilation[1])
        outw = np.zeros((x.shape[0], w.shape[0], ho * wp), dtype=x.dtype)
        K.corr2d_forward_wide(xpf, w, dilation[0], dilation[1], wp, outw)
        out = np.ascontiguousarray(outw.reshape(x.shape[0], w.shape[0], ho, wp)[:, :, :, :wo])
    else:
        xp = np.ascontiguousarray(pad2d(x, pads) if any(pads) else x)
        out = np.zeros((x.shape[0], w.shape[0], ho, wo), dtype=x.dtype)
        K.corr2d_forward(xp, w, stride[0], stride[1], dilation[0], dilation[1], out)
    if b is not None:
        out += b[None, :, None, None]
    return out


# Output rows at least this wide go to the row-parallel filter kernel (engine/_kernels_filter.py),
# narrower ones to the wide-row kernel. The filter kernel works along one output row at a time,
# so it needs long rows; the wide-row kernel treats a whole plane as one long row, but loads and
# stores the output once per tap, which gets slow once the plane no longer fits in the cache
# (one image, 8 filters 5x5, one thread: wide rows 0.02 ms against 0.035 ms at 28x28, 0.74 ms
# against 0.19 ms at 128x128; the two cross near 80 columns).
FILTER_MIN_WIDTH = 96


def _filter_path_pays(wo):
    """Whether a stride-1 convolution with output rows wo wide runs faster in the filter kernel."""
    return wo >= FILTER_MIN_WIDTH


def _filter_forward(x, w, b, pads, dilation, out_hw):
    """Stride-1 conv2d by the filter kernel, parallel over blocks of output rows.

    x: (N, C, H, W), w: (K, C, FH, FW) contiguous, b: (K,) or None, pads: (top, bottom, left,
    right), dilation: (dh, dw), out_hw: (H', W') -> out: (N, K, H', W')."""
    n, k = x.shape[0], w.shape[0]
    ho, wo = out_hw
    out = np.empty((n, k, ho, wo), dtype=x.dtype)
    bias = np.zeros(k, dtype=x.dtype) if b is None else np.ascontiguousarray(b)
    # Blocks of an even number of rows (the kernel pairs rows), 2 to 16, at least 16 blocks in
    # all when the image is tall enough, so that both threads get work.
    rows = min(16, max(2, 2 * -(-n * ho // 32)))
    KF.filter_forward(np.ascontiguousarray(x), w, bias, pads[0], pads[2], dilation[0], dilation[1],
                      rows, out)
    return out


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """Gradients of conv2d: returns (dx, dw, db) for the upstream gradient dy: (N, K, H', W').

    dw is the cross-correlation of the input with dy, summed over the batch; dx is dy spread
    back through the kernel (a "full" convolution); db sums dy over batch and positions.
    """
    return _conv2d_backward(dy, x, w, stride, padding, dilation, need_dx=True)


def _flat_padded(x, pads, fw, dw):
    """x: (N, C, H, W) padded and flattened to (N, C, Hp*Wp + tail) with a zero tail of
    (fw-1)*dw values, so the last taps of the last wide row stay inside; returns (xpf, Wp)."""
    xpf, wp = _flat_padded_empty(x.shape, pads, fw, dw, x.dtype)
    K.pad_flat(np.ascontiguousarray(x), pads[0], pads[2], wp, xpf)
    return xpf, wp


def _flat_padded_empty(shape, pads, fw, dw, dtype):
    """An empty array shaped like _flat_padded's for images of shape (N, C, H, W), and Wp."""
    top, bottom, left, right = pads
    n, c, h, w = shape
    wp = w + left + right
    return np.empty((n, c, (h + top + bottom) * wp + (fw - 1) * dw), dtype=dtype), wp


def _conv2d_backward(dy, x, w, stride, padding, dilation, need_dx):
    """conv2d_backward; with need_dx=False dx is None (the first layer of a network needs none)."""
    x, w, stride, dilation, pads, (ho, wo) = _conv_setup(x, w, stride, padding, dilation)
    dy = np.asarray(dy, dtype=x.dtype)
    expected = (x.shape[0], w.shape[0], ho, wo)
    if dy.shape != expected:
        raise ValueError(f"the upstream gradient must have the output's shape {expected}, not {dy.shape}")
    _check_finite(dy, "upstream gradient")
    dy = np.ascontiguousarray(dy)
    w = np.ascontiguousarray(w)
    dw = np.zeros_like(w)
    top, bottom, left, right = pads
    n, c, h, width = x.shape
    dx = None
    if stride == (1, 1):
        xpf, wp = _flat_padded(x, pads, w.shape[3], dilation[1])
        dyw = np.zeros((n, w.shape[0], ho, wp), dtype=x.dtype)
        dyw[:, :, :, :wo] = dy
        dyw = dyw.reshape(n, w.shape[0], ho * wp)
        K.corr2d_backward_weight_wide(dyw, xpf, dilation[0], dilation[1], wp, dw)
        if need_dx:
            dxpf = np.zeros_like(xpf)
            K.corr2d_backward_input_wide(dyw, w, dilation[0], dilation[1], wp, dxpf)
            hp = h + top + bottom
            dx = dxpf[:, :, :hp * wp].reshape(n, c, hp, wp)[:, :, top:top + h, left:left + width]
    else:
        xp = np.ascontiguousarray(pad2d(x, pads) if any(pads) else x)
        K.corr2d_backward_weight(dy, xp, stride[0], stride[1], dilation[0], dilation[1], dw)
        if need_dx:
            dxp = np.zeros_like(xp)
            K.corr2d_backward_input(dy, w, stride[0], stride[1], dilation[0], dilation[1], dxp)
            dx = dxp[:, :, top:dxp.shape[2] - bottom, left:dxp.shape[3] - right]
    if dx is not None:
        dx = np.ascontiguousarray(dx)
    return dx, dw, dy.sum(axis=(0, 2, 3))


# ---------------------------------------------------------------- 1D

def conv1d(x, w, mode="full", flip=True):
    """1D convolution of a signal x: (n,) with a kernel w: (m,).

    flip=True is true convolution, y[i] = sum_k x[k] w[i - k] (the kernel flipped as it
    slides); flip=False is cross-correlation (not flipped). mode 'full' gives n + m - 1
    values (every overlap), 'same' the centred n values, 'valid' the max(n, m) - min(n, m) + 1
    values where the two overlap completely.

    >>> conv1d([0, 1, 2, 3, 4], [1, -1, 2])
    array([0., 1., 1., 3., 5., 2., 8.], dtype=float32)
    """
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")
    x = _as_float_array(x, "signal")
    w = _as_float_array(w, "kernel")
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError("conv1d takes a 1D signal and a 1D kernel")
    if x.size == 0 or w.size == 0:
        raise ValueError("the signal and the kernel need at least one value each")
    _check_finite(x, "signal")
    _check_finite(w, "kernel")
    dtype = np.result_type(x.dtype, w.dtype)
    k = w if flip else w[::-1]
    n, m = x.size, w.size
    full = np.zeros(n + m - 1, dtype=dtype)
    for j in range(m):  # m shifted copies of x, each scaled by one kernel value
        full[j:j + n] += k[j] * x
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start:start + n]
    return full[min(n, m) - 1:max(n, m)]
