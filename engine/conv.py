"""Convolution for the lessons and the networks: 1D convolution, 2D cross-correlation
and its gradients (padding is in engine/padding.py).

Layout NCHW: x: (N, C, H, W), w: (K, C, FH, FW), b: (K,), out: (N, K, H', W') with

    H' = floor((H + 2P - D(F-1) - 1) / S) + 1

(the lecture's floor((W - F + 2P) / S) + 1 when the dilation D is 1). Like every deep-learning
framework, conv2d computes cross-correlation: the kernel is not flipped.
"""

import numpy as np

from engine._kernels import conv as conv_kernels
from engine._kernels import filter as filter_kernels
from engine.arguments import as_float_array, check_finite, flag, pair, shown
from engine.memory import check_allocation
from engine.padding import flat_padded, pad2d, resolve_padding
from engine.shapes import window_output_size


def _conv_setup(x, w, stride, padding, dilation):
    """Checks shapes and returns (x, w, stride, dilation, pads, (Ho, Wo)) in a common dtype."""
    x = as_float_array(x, "input")
    w = as_float_array(w, "kernel")
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
    stride = pair(stride, "stride", 1)
    dilation = pair(dilation, "dilation", 1)
    _, _, h, wd = x.shape
    fh, fw = w.shape[2], w.shape[3]
    pads = resolve_padding(padding, h, wd, fh, fw, stride, dilation)
    ho = window_output_size(h, fh, stride[0], pads[0], pads[1], dilation[0])
    wo = window_output_size(wd, fw, stride[1], pads[2], pads[3], dilation[1])
    if ho < 1 or wo < 1:
        size = f"{fh}x{fw}" if dilation == (1, 1) else f"{fh}x{fw} (dilation {dilation[0]}x{dilation[1]})"
        pad_text = pads[0] if len(set(pads)) == 1 else pads
        raise ValueError(f"a {size} kernel does not fit in a {h}x{wd} input with padding {pad_text}")
    n, k = x.shape[0], w.shape[0]
    hp, wp = h + pads[0] + pads[1], wd + pads[2] + pads[3]
    check_allocation((n, x.shape[1], hp, wp), dtype, "padded input")
    check_allocation((n, k, ho, wo), dtype, "output")
    # A stride beyond the padded input leaves one window either way, and a dilation beyond it
    # can only be a 1-wide kernel's, where it changes nothing: the kernels take int64.
    stride = (min(stride[0], hp), min(stride[1], wp))
    dilation = (min(dilation[0], hp), min(dilation[1], wp))
    if stride == (1, 1):  # the wide-row kernels keep output rows as wide as the padded input
        check_allocation((n, k, ho, wp), dtype, "output with rows as wide as the padded input")
    return x, w, stride, dilation, pads, (ho, wo)


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
    check_finite(x, "input")
    check_finite(w, "kernel")
    w = np.ascontiguousarray(w)
    if b is not None:
        b = as_float_array(b, "bias").astype(x.dtype, copy=False)
        if b.shape != (w.shape[0],):
            raise ValueError(f"the bias must have one value per filter ({w.shape[0]}), not shape {b.shape}")
        check_finite(b, "bias")
    if stride == (1, 1) and _filter_path_pays(wo):
        return _filter_forward(x, w, b, pads, dilation, (ho, wo))
    if stride == (1, 1):
        xpf, wp = flat_padded(x, pads, w.shape[3], dilation[1])
        outw = np.zeros((x.shape[0], w.shape[0], ho * wp), dtype=x.dtype)
        conv_kernels.corr2d_forward_wide(xpf, w, dilation[0], dilation[1], wp, outw)
        out = np.ascontiguousarray(outw.reshape(x.shape[0], w.shape[0], ho, wp)[:, :, :, :wo])
    else:
        xp = np.ascontiguousarray(pad2d(x, pads) if any(pads) else x)
        out = np.zeros((x.shape[0], w.shape[0], ho, wo), dtype=x.dtype)
        conv_kernels.corr2d_forward(xp, w, stride[0], stride[1], dilation[0], dilation[1], out)
    if b is not None:
        out += b[None, :, None, None]
    return out


# Output rows at least this wide go to the row-parallel filter kernel (engine/_kernels/filter.py),
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
    filter_kernels.filter_forward(np.ascontiguousarray(x), w, bias, pads[0], pads[2], dilation[0], dilation[1],
                      rows, out)
    return out


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, need_dx=True):
    """Gradients of conv2d: returns (dx, dw, db) for the upstream gradient dy: (N, K, H', W').

    dw is the cross-correlation of the input with dy, summed over the batch; dx is dy spread
    back through the kernel (a "full" convolution); db sums dy over batch and positions.
    With need_dx=False dx is None and is not computed (a network's first layer needs none).
    """
    return backward_unscanned(dy, x, w, stride, padding, dilation, need_dx, scan=True)


def backward_unscanned(dy, x, w, stride=1, padding=0, dilation=1, need_dx=True, scan=False):
    """conv2d_backward without looking at every value of x and w for NaN (scan=False): for a
    layer whose forward pass has just checked them. Shapes and dy are checked all the same."""
    x, w, stride, dilation, pads, (ho, wo) = _conv_setup(x, w, stride, padding, dilation)
    dy = as_float_array(dy, "upstream gradient").astype(x.dtype, copy=False)
    expected = (x.shape[0], w.shape[0], ho, wo)
    if dy.shape != expected:
        raise ValueError(f"the upstream gradient must have the output's shape {expected}, not {dy.shape}")
    check_finite(dy, "upstream gradient")
    if scan:
        check_finite(x, "input")
        check_finite(w, "kernel")
    dy = np.ascontiguousarray(dy)
    w = np.ascontiguousarray(w)
    dw = np.zeros_like(w)
    top, bottom, left, right = pads
    n, c, h, width = x.shape
    dx = None
    if stride == (1, 1):
        xpf, wp = flat_padded(x, pads, w.shape[3], dilation[1])
        dyw = np.zeros((n, w.shape[0], ho, wp), dtype=x.dtype)
        dyw[:, :, :, :wo] = dy
        dyw = dyw.reshape(n, w.shape[0], ho * wp)
        conv_kernels.corr2d_backward_weight_wide(dyw, xpf, dilation[0], dilation[1], wp, dw)
        if need_dx:
            dxpf = np.zeros_like(xpf)
            conv_kernels.corr2d_backward_input_wide(dyw, w, dilation[0], dilation[1], wp, dxpf)
            hp = h + top + bottom
            dx = dxpf[:, :, :hp * wp].reshape(n, c, hp, wp)[:, :, top:top + h, left:left + width]
    else:
        xp = np.ascontiguousarray(pad2d(x, pads) if any(pads) else x)
        conv_kernels.corr2d_backward_weight(dy, xp, stride[0], stride[1], dilation[0], dilation[1], dw)
        if need_dx:
            dxp = np.zeros_like(xp)
            conv_kernels.corr2d_backward_input(dy, w, stride[0], stride[1], dilation[0], dilation[1], dxp)
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
    if not isinstance(mode, str) or mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', not {shown(mode)}")
    flip = flag(flip, "flip")
    x = as_float_array(x, "signal")
    w = as_float_array(w, "kernel")
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError("conv1d takes a 1D signal and a 1D kernel")
    if x.size == 0 or w.size == 0:
        raise ValueError("the signal and the kernel need at least one value each")
    check_finite(x, "signal")
    check_finite(w, "kernel")
    dtype = np.result_type(x.dtype, w.dtype)
    k = w if flip else w[::-1]
    n, m = x.size, w.size
    check_allocation((n + m - 1,), dtype, "full convolution")
    full = np.zeros(n + m - 1, dtype=dtype)
    for j in range(m):  # m shifted copies of x, each scaled by one kernel value
        full[j:j + n] += k[j] * x
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start:start + n]
    return full[min(n, m) - 1:max(n, m)]
