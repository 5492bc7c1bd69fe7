"""Step-by-step views of convolution for the lessons: which values meet at each position.

These are slow on purpose: they spell out the products that conv1d and conv2d add up.
"""

from dataclasses import dataclass

import numpy as np

from engine.conv import conv1d, pad2d


@dataclass(frozen=True)
class Step1D:
    """Output index i of the full 1D convolution: x[k] meets kernel value kernel[k] for k in `positions`."""

    index: int
    positions: tuple   # indices k of x under the kernel
    kernel: tuple      # the (flipped, if convolving) kernel values over those positions
    products: tuple
    total: float
    in_same: bool      # this output is also part of the 'same' result
    in_valid: bool     # ... and of the 'valid' result


def conv1d_steps(x, w, flip=True):
    """Every position of the full 1D convolution of x: (n,) with w: (m,), as Step1D records.

    Output i is sum_k x[k] * w[i - k] when flipping (convolution), sum_k x[k] * w[k - i + m - 1]
    otherwise (cross-correlation, the kernel read left to right).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    full = conv1d(x, w, "full", flip)
    n, m = len(x), len(w)
    same_start = (m - 1) // 2
    steps = []
    for i in range(n + m - 1):
        ks = [k for k in range(n) if 0 <= i - k < m]
        kernel = [w[i - k] if flip else w[m - 1 - (i - k)] for k in ks]
        products = [x[k] * v for k, v in zip(ks, kernel)]
        steps.append(Step1D(i, tuple(ks), tuple(kernel), tuple(products), float(full[i]),
                            same_start <= i < same_start + n,
                            min(n, m) - 1 <= i < max(n, m)))
    return steps


def placed_kernel(n, w, index, flip=True):
    """The kernel laid under x for output `index` of the full convolution: an (n + 2(m-1),)
    row over the zero-padded signal, NaN where the kernel is absent (for drawing)."""
    w = np.asarray(w, dtype=np.float64)
    m = len(w)
    row = np.full(n + 2 * (m - 1), np.nan)
    row[index:index + m] = w[::-1] if flip else w
    return row


@dataclass(frozen=True)
class Window2D:
    """The window of a 2D cross-correlation at output (i, j)."""

    rows: tuple         # padded-input rows covered
    cols: tuple         # padded-input columns covered
    patch: np.ndarray   # the input values under the kernel, (FH, FW)
    products: np.ndarray
    total: float


def conv2d_window(x, w, i, j, stride=1, padding=0, dilation=1, mode="zero"):
    """The values under the kernel w: (F, F) at output (i, j) of the cross-correlation of
    a single grid x: (H, W) padded by `padding` cells in `mode`."""
    xp = pad2d(np.asarray(x, dtype=np.float64), padding, mode) if padding else np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    f = w.shape[0]
    rows = tuple(i * stride + p * dilation for p in range(f))
    cols = tuple(j * stride + q * dilation for q in range(w.shape[1]))
    patch = xp[np.ix_(rows, cols)]
    products = patch * w
    return Window2D(rows, cols, patch, products, float(products.sum()))


def params_conv_vs_dense(h, w, depth, filters, f, out_h, out_w):
    """Weight counts for one layer on an (H, W, D) input: (conv, unshared, dense).

    conv      F*F*D*K + K: every position shares the K filters
    unshared  (H*W*D)*K*(F*F*D + 1): the lecture's count when every input position had its own
              K filters (10 5x5 filters on 32x32x3: 30,720 * 76, about 2.3 million)
    dense     (H*W*D)*(H'*W'*K) + H'*W'*K: a fully connected layer making as many outputs
    """
    conv = f * f * depth * filters + filters
    unshared = h * w * depth * filters * (f * f * depth + 1)
    outputs = out_h * out_w * filters
    dense = h * w * depth * outputs + outputs
    return conv, unshared, dense


def window_coverage(n, f, stride=1, padding=0, dilation=1):
    """How many window positions cover each cell of the padded row of n + 2*padding cells,
    and the start of every window: (counts: (n + 2P,) ints, starts: list of ints).

    In 2D the count of a cell is the product of its row count and its column count.
    """
    eff = dilation * (f - 1) + 1
    padded = n + 2 * padding
    starts = list(range(0, padded - eff + 1, stride))
    counts = np.zeros(padded, dtype=np.int64)
    for s in starts:
        counts[[s + k * dilation for k in range(f)]] += 1
    return counts, starts
