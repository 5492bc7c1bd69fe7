"""What the PyTorch and Keras export writes for one layer.

Only values checked here reach the generated code: whole numbers, finite floats, pairs of
whole numbers and words from a fixed list. A value from anywhere else (a model file, a layer
whose attributes were changed by hand) is refused, never pasted.
"""

import math
from numbers import Integral, Real
from typing import NamedTuple

from engine.arguments import shown


class TorchCode(NamedTuple):
    """module: the torch.nn expression; weights: (attribute, array key, numpy suffix) for each
    array to copy in, e.g. ("weight", "param.w", ".T.copy()"); holder: where in the module the
    arrays go ("" for the module itself, "[1]" for the second part of a small nn.Sequential)."""
    module: str
    weights: tuple = ()
    holder: str = ""


class KerasCode(NamedTuple):
    """layers: keras.layers expressions, in order; weights: (array key, numpy suffix) for
    set_weights on the last of them."""
    layers: tuple
    weights: tuple = ()


def number(value):
    """A whole number, a finite float or a pair of whole numbers, as Python source."""
    if isinstance(value, tuple) and len(value) == 2:
        return f"({whole(value[0])}, {whole(value[1])})"
    if isinstance(value, Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value):
        return repr(float(value))
    raise ValueError(f"the export writes only numbers here, not {shown(value)}")


def whole(value):
    """A whole number as Python source."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return str(int(value))
    raise ValueError(f"the export writes only whole numbers here, not {shown(value)}")


def word(value, allowed):
    """One of the allowed words, quoted, as Python source."""
    if type(value) is str and value in allowed:
        return repr(value)
    raise ValueError(f"the export writes only {' or '.join(map(repr, allowed))} here, not {shown(value)}")
