"""Argument checks that the engine's public functions share: each raises ValueError with a
sentence that names the argument and what is wrong with it."""

from numbers import Integral

import numpy as np

from engine.finite import all_finite


def as_float_array(x, name):
    """x as a float array: float64 kept, any other numbers as float32; ValueError otherwise."""
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        return arr
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"the {name} must hold numbers, not {arr.dtype}")
    return arr.astype(np.float32)


def check_finite(arr, name):
    """ValueError naming `name` when arr holds NaN or infinity."""
    if not all_finite(arr):
        raise ValueError(f"the {name} contains NaN or infinity")


def pair(value, name, minimum):
    """An int or an (h, w) pair of whole numbers >= minimum, as a tuple (h, w)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"the {name} must be one number or a pair (height, width), not {value!r}")
        values = tuple(value)
    else:
        values = (value, value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, Integral):
            raise ValueError(f"the {name} must be a whole number, not {v!r}")
        if v < minimum:
            raise ValueError(f"the {name} must be at least {minimum}, not {v}")
    return int(values[0]), int(values[1])
