"""Argument checks that the engine's public functions share: each raises ValueError with a
sentence that names the argument and what is wrong with it."""

import math
from numbers import Integral, Real

import numpy as np

from engine.finite import all_finite


def shown(value, limit=40):
    """repr(value) for a message, cut short: a hostile value must not make a page of text."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def as_array(x, name):
    """np.asarray(x), or ValueError naming `name` for ragged lists, which make no array."""
    try:
        return np.asarray(x)
    except (ValueError, TypeError):
        raise ValueError(f"the {name} must be an array of numbers (lists of equal lengths), "
                         f"not {shown(x)}") from None


def as_float_array(x, name):
    """x as a float array: float64 kept, any other numbers as float32; ValueError otherwise."""
    arr = as_array(x, name)
    if arr.dtype == np.float64:
        return arr
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"the {name} must hold numbers, not {arr.dtype}")
    return arr.astype(np.float32)


class NotFiniteError(ValueError):
    """An array holds NaN or infinity (a training step reads this as activations that overflowed)."""


def check_finite(arr, name):
    """NotFiniteError (a ValueError) naming `name` when arr holds NaN or infinity."""
    if not all_finite(arr):
        raise NotFiniteError(f"the {name} contains NaN or infinity")


def whole_number(value, name, minimum):
    """value as an int >= minimum; bools, floats and text are refused."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"the {name} must be a whole number, not {shown(value)}")
    if value < minimum:
        raise ValueError(f"the {name} must be at least {minimum}, not {value}")
    return int(value)


def flag(value, name):
    """value as a bool: True or False (NumPy's too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, not {shown(value)}")
    return bool(value)


def pair(value, name, minimum):
    """An int or an (h, w) pair of whole numbers >= minimum, as a tuple (h, w)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"the {name} must be one number or a pair (height, width), not {shown(value)}")
        values = tuple(value)
    else:
        values = (value, value)
    return whole_number(values[0], name, minimum), whole_number(values[1], name, minimum)


def real_number(value, name, at_least=None, above=None, below=None):
    """value as a finite float within the bounds given (each one optional); ValueError otherwise."""
    rules = [f"{word} {bound:g}" for word, bound in (("at least", at_least), ("above", above), ("below", below))
             if bound is not None]
    ok = (isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
          and (at_least is None or value >= at_least) and (above is None or value > above)
          and (below is None or value < below))
    if not ok:
        raise ValueError(f"the {name} must be a number{' ' + ' and '.join(rules) if rules else ''}, "
                         f"not {shown(value)}")
    return float(value)
