"""The largest array the engine makes, checked before anything is allocated.

A padding of a million on an 8x8 image asks for a padded copy of 2,000,008 x 2,000,008 values;
NumPy would answer with a MemoryError ("Unable to allocate 14.6 TiB"), or, worse, start
filling a server's memory. Every public function that allocates from its arguments calls
check_allocation first, which raises ValueError with the shape, its size and the limit:

    a (1, 1, 2000008, 2000008) float32 padded input would take 14.6 TiB, more than the
    1 GiB limit per array (CONVLAB_MAX_ARRAY_MB)

The limit is per array, in MiB (2**20 bytes): 1024 (1 GiB) unless the environment variable
CONVLAB_MAX_ARRAY_MB says otherwise (read on every check, as the teacher's other CONVLAB_*
limits are), or set_max_array_mb() has set one from Python.

    >>> from engine import memory
    >>> memory.set_max_array_mb(64)     # for this process, whatever the environment says
    >>> memory.set_max_array_mb(None)   # back to CONVLAB_MAX_ARRAY_MB (or 1 GiB)
"""

import math
import os

import numpy as np

ENV_NAME = "CONVLAB_MAX_ARRAY_MB"
DEFAULT_MB = 1024
_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")

_set_mb = None  # a limit set from Python; None: the environment's


_env_seen = (None, DEFAULT_MB)  # (the variable's text, the limit it gives): parsed once per change


def _mb_from_env():
    """CONVLAB_MAX_ARRAY_MB as a whole number of at least 1; the default when unset or not a number."""
    global _env_seen
    raw = os.environ.get(ENV_NAME)
    if raw != _env_seen[0]:
        try:
            value = max(int(raw), 1)
        except (TypeError, ValueError):
            value = DEFAULT_MB
        _env_seen = (raw, value)
    return _env_seen[1]


def max_array_mb():
    """The limit per array in force now, in MiB."""
    return _set_mb if _set_mb is not None else _mb_from_env()


def max_array_bytes():
    """The limit per array in force now, in bytes."""
    return max_array_mb() * 2**20


def set_max_array_mb(mb):
    """Set the limit per array for this process, in MiB (a whole number >= 1); None goes back
    to CONVLAB_MAX_ARRAY_MB (or 1 GiB). Returns the limit that was set before, as given."""
    global _set_mb
    if mb is not None:
        from engine.arguments import whole_number

        mb = whole_number(mb, "largest array size in MiB", 1)
    before, _set_mb = _set_mb, mb
    return before


def format_bytes(n):
    """n bytes in binary units with three significant digits: '14.6 TiB', '512 bytes'."""
    n = int(n)
    unit = 0
    size = float(n) if n < 2**1000 else math.inf
    while size >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    if unit == 0:
        return f"{n} bytes"
    return f"{size:.3g} {_UNITS[unit]}" if size < 1000 else f"{size:,.0f} {_UNITS[unit]}"


def nbytes(shape, dtype):
    """Bytes an array of this shape and dtype takes, as an exact Python int (no overflow)."""
    return math.prod(max(int(n), 0) for n in shape) * np.dtype(dtype).itemsize


def check_allocation(shape, dtype, what):
    """ValueError when an array of `shape` and `dtype` would be larger than the limit per array.

    shape: a tuple of whole numbers (Python ints, so that no product overflows); what: words
    for the array, such as "padded input". Costs a few multiplications: call it before the
    allocation, not after.
    """
    size = math.prod(shape) * np.dtype(dtype).itemsize  # Python ints: no overflow
    if size <= 2**20:  # below the smallest limit there is: nothing more to look up
        return
    limit = max_array_bytes()
    if size > limit:
        shape_text = "(" + ", ".join(str(int(n)) for n in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"a {shape_text} {np.dtype(dtype).name} {what} would take {format_bytes(size)}, "
                         f"more than the {format_bytes(limit)} limit per array ({ENV_NAME})")
