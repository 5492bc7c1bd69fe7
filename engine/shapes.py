"""Output sizes of sliding windows (convolution and pooling), with the arithmetic shown.

For an input of size n, a window of size f with dilation d (effective size d(f-1)+1),
padding p on each side and stride s:

    n_out = floor((n + 2p - d(f-1) - 1) / s) + 1

which for d = 1 is the lecture's floor((n - f + 2p) / s) + 1.
"""

import math
from dataclasses import dataclass

from engine.arguments import whole_number

MAX_LISTED = 100_000
"""conv_output_size lists at most this many unused cells; more raise ValueError."""

SCAN_CELLS = 2**16
"""Inputs whose covered part is at most this many cells are checked cell by cell."""

SCAN_STRIDES = 2**16
"""Otherwise a dilated window is worked out residue by residue for strides up to this."""


def window_output_size(n, f, stride=1, pad_before=0, pad_after=0, dilation=1):
    """floor((n + pad_before + pad_after - dilation*(f-1) - 1) / stride) + 1, no checks.

    The one formula that code and tests share; returns 0 or less when the window does not fit.
    """
    return (n + pad_before + pad_after - dilation * (f - 1) - 1) // stride + 1


@dataclass(frozen=True)
class OutputSize:
    """The result of conv_output_size: the size and how the windows cover the input."""

    n: int
    f: int
    stride: int
    padding: int
    dilation: int
    size: int
    fits: bool
    unused: tuple
    effective_kernel: int
    padded: int
    formula: str


class _TooMany(Exception):
    """More unused cells than MAX_LISTED: they are not listed."""


def _uncovered_runs(first, step, length, count, lo, hi, budget):
    """The parts of [lo, hi] that none of the intervals [first + i·step, first + i·step + length - 1],
    i = 0 .. count - 1, covers, as (start, stop) pairs (stop exclusive), in order, in time that
    grows with the number of parts, not with hi - lo. _TooMany once they hold more than budget cells."""
    runs = []
    end = first + (count - 1) * step + length - 1  # the last interval's last cell
    if step > length and count > 1:  # gaps between neighbouring intervals
        i_lo = max(0, -(-(lo - first + 1 - step) // step))  # ceil((lo - first + 1 - step) / step)
        i_hi = min(count - 2, (hi - first - length) // step)
        if i_hi - i_lo + 1 > budget:
            raise _TooMany
        for i in range(i_lo, i_hi + 1):
            runs.append((max(lo, first + i * step + length), min(hi, first + (i + 1) * step - 1) + 1))
    runs.insert(0, (lo, min(hi, first - 1) + 1))
    runs.append((max(lo, end + 1), hi + 1))
    runs = [(a, b) for a, b in runs if a < b]
    if sum(b - a for a, b in runs) > budget:
        raise _TooMany
    return runs


def _covered(j, f, stride, dilation, size, g, m, inverse):
    """Whether padded cell j is a tap t·S + k·D of some window, 0 <= t < size, 0 <= k < f: in O(1),
    since k·D = j (mod S) fixes k modulo m = S / gcd(S, D)."""
    if j % g:
        return False
    k0 = (j // g) % m * inverse % m
    k_lo = max(0, -(-(j - (size - 1) * stride) // dilation))
    k_hi = min(f - 1, j // dilation)
    return k_lo <= k_hi and k_lo + (k0 - k_lo) % m <= k_hi


def unused_cells(n, f, stride, padding, dilation, size):
    """0-based input cells (before padding) that no tap of any of the `size` windows covers, as a
    tuple, worked out from the arithmetic of the windows rather than by visiting every cell:

      - the cells after the last window's last tap;
      - with dilation 1, the gaps between windows when the stride is larger than the kernel;
      - with dilation, also the holes between a window's taps that no other window fills.

    _TooMany when there are more than MAX_LISTED of them (conv_output_size says they are too
    many to list), ValueError when a dilated window with a stride above SCAN_STRIDES slides over
    more than SCAN_CELLS cells (too much work to follow every tap); the output size itself is
    never in doubt.
    """
    s, d, p = stride, dilation, padding
    last = (size - 1) * s + (f - 1) * d  # the last padded cell any window reaches
    lo, hi = p, min(p + n - 1, last)  # the input cells some window may reach, in padded coordinates
    budget = MAX_LISTED - (n - (max(p, last + 1) - p))  # the tail after the last tap is unused
    if budget < 0:
        raise _TooMany
    progressions = []  # (first, stop, step) in padded coordinates
    if lo <= hi and d == 1:
        progressions = [(a, b, 1) for a, b in _uncovered_runs(0, s, f, size, lo, hi, budget)]
    elif lo <= hi and hi - lo < SCAN_CELLS:
        g = math.gcd(s, d)
        m = s // g
        inverse = pow(d // g, -1, m) if m > 1 else 0
        progressions = [(j, j + 1, 1) for j in range(lo, hi + 1) if not _covered(j, f, s, d, size, g, m, inverse)]
        if len(progressions) > budget:
            raise _TooMany
    elif lo <= hi and s <= SCAN_STRIDES:
        # Cells j = r + q·S of one residue r: window t's tap k lands on q = t + (k·D - r) / S.
        # The taps with k·D = r (mod S) are k0, k0 + m, ..., so in q they cover intervals of
        # `size` cells, D / g apart: the gaps follow from _uncovered_runs.
        g = math.gcd(s, d)
        m = s // g
        inverse = pow(d // g, -1, m) if m > 1 else 0
        for r in range(s):
            q_lo, q_hi = -(-(lo - r) // s), (hi - r) // s
            if q_lo > q_hi:
                continue
            k0 = (r // g) % m * inverse % m
            if r % g or k0 >= f:
                runs = [(q_lo, q_hi + 1)]
            else:
                count = (f - 1 - k0) // m + 1
                runs = _uncovered_runs((k0 * d - r) // s, d // g, size, count, q_lo, q_hi, budget)
            for a, b in runs:
                progressions.append((r + a * s, r + (b - 1) * s + 1, s))
                budget -= b - a
                if budget < 0:
                    raise _TooMany
    elif lo <= hi:
        raise ValueError(f"a {f:,}-cell window with dilation {d:,} and stride {s:,} over {n:,} cells is too much "
                         f"work to follow tap by tap; the output size is {size}")
    cells = sorted(j - p for a, b, step in progressions for j in range(a, b, step))
    return tuple(cells) + tuple(range(max(p, last + 1) - p, n))


def conv_output_size(n, f, stride=1, padding=0, dilation=1):
    """Output size of a window of size f sliding over n cells, and whether it fits.

    Returns an OutputSize with:
      size      floor((n + 2P - D(F-1) - 1) / S) + 1
      fits      True when the last window ends exactly on the last (padded) cell
      unused    0-based indices of input cells (before padding) that no window covers
      formula   the formula as text with these numbers filled in

    A window larger than the padded input raises ValueError, and so does an input with more
    than MAX_LISTED (100,000) unused cells, which are too many to list (see unused_cells).
    Every number may be as large as Python's ints go: the work does not grow with n.

    >>> conv_output_size(7, 3, stride=3).unused
    (6,)
    """
    n = whole_number(n, "input size", 1)
    f = whole_number(f, "kernel size", 1)
    stride = whole_number(stride, "stride", 1)
    padding = whole_number(padding, "padding", 0)
    dilation = whole_number(dilation, "dilation", 1)

    eff = dilation * (f - 1) + 1
    padded = n + 2 * padding
    if eff > padded:
        what = f"{f}x{f} kernel" if dilation == 1 else f"{f}x{f} kernel with dilation {dilation} (it spans {eff} cells)"
        raise ValueError(f"a {what} does not fit in a {n}x{n} input with padding {padding}")

    size = window_output_size(n, f, stride, padding, padding, dilation)
    fits = (padded - eff) % stride == 0
    try:
        unused = unused_cells(n, f, stride, padding, dilation, size)
    except _TooMany:
        raise ValueError(f"more than {MAX_LISTED:,} of the {n:,} input cells are never covered by a window: "
                         f"too many to list (the output size is {size:,})") from None

    if dilation == 1:
        text = f"W_out = floor(({n} - {f} + 2·{padding}) / {stride}) + 1"
    else:
        text = (f"W_out = floor(({n} - {eff} + 2·{padding}) / {stride}) + 1"
                f"   (effective kernel {dilation}·({f} - 1) + 1 = {eff})")
    whole, rest = divmod(padded - eff, stride)
    text += f" = floor({_quotient(padded - eff, stride)}) + 1 = {size}" if rest else f" = {whole} + 1 = {size}"
    return OutputSize(n, f, stride, padding, dilation, size, fits, unused, eff, padded, text)


def _quotient(a, b):
    """a / b (a >= 0, b >= 1) to six significant digits, exactly as :g prints it for floats, but
    without turning huge ints into floats that overflow."""
    try:
        return f"{a / b:g}"
    except OverflowError:
        return f"{a // b}.{(a % b) * 10**6 // b:06d}"
