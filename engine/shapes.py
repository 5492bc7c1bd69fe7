"""Output sizes of sliding windows (convolution and pooling), with the arithmetic shown.

For an input of size n, a window of size f with dilation d (effective size d(f-1)+1),
padding p on each side and stride s:

    n_out = floor((n + 2p - d(f-1) - 1) / s) + 1

which for d = 1 is the lecture's floor((n - f + 2p) / s) + 1.
"""

from dataclasses import dataclass
from numbers import Integral


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"the {name} must be a whole number, not {value!r}")
    if value < minimum:
        raise ValueError(f"the {name} must be at least {minimum}, not {value}")
    return int(value)


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


def conv_output_size(n, f, stride=1, padding=0, dilation=1):
    """Output size of a window of size f sliding over n cells, and whether it fits.

    Returns an OutputSize with:
      size      floor((n + 2P - D(F-1) - 1) / S) + 1
      fits      True when the last window ends exactly on the last (padded) cell
      unused    0-based indices of input cells (before padding) that no window covers
      formula   the formula as text with these numbers filled in

    A window larger than the padded input raises ValueError.

    >>> conv_output_size(7, 3, stride=3).unused
    (6,)
    """
    n = _check_int("input size", n, 1)
    f = _check_int("kernel size", f, 1)
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    dilation = _check_int("dilation", dilation, 1)

    eff = dilation * (f - 1) + 1
    padded = n + 2 * padding
    if eff > padded:
        what = f"{f}x{f} kernel" if dilation == 1 else f"{f}x{f} kernel with dilation {dilation} (it spans {eff} cells)"
        raise ValueError(f"a {what} does not fit in a {n}x{n} input with padding {padding}")

    size = window_output_size(n, f, stride, padding, padding, dilation)
    fits = (padded - eff) % stride == 0
    covered = set()
    for start in range(0, size * stride, stride):
        covered.update(start + k * dilation - padding for k in range(f))
    unused = tuple(i for i in range(n) if i not in covered)

    if dilation == 1:
        text = f"W_out = floor(({n} - {f} + 2·{padding}) / {stride}) + 1"
    else:
        text = (f"W_out = floor(({n} - {eff} + 2·{padding}) / {stride}) + 1"
                f"   (effective kernel {dilation}·({f} - 1) + 1 = {eff})")
    exact = (padded - eff) / stride
    text += f" = floor({exact:g}) + 1 = {size}" if not fits else f" = {int(exact)} + 1 = {size}"
    return OutputSize(n, f, stride, padding, dilation, size, fits, unused, eff, padded, text)
