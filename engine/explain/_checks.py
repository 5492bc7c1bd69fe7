"""Argument checks shared by the explanation functions: each raises ValueError with a sentence."""

from numbers import Integral

import numpy as np

from engine import nn
from engine.arguments import whole_number


def model(m):
    if not isinstance(m, nn.Sequential):
        raise ValueError(f"the model must be an engine.nn.Sequential, not {type(m).__name__}")
    return m


def images(x, what="images"):
    """x as a float32 (or float64, kept) array of shape (N, C, H, W) with N >= 1."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"the {what} must hold numbers, not {arr.dtype}")
    if arr.ndim != 4:
        raise ValueError(f"the {what} must have shape (N, C, H, W), not {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"there are no {what}: give at least one")
    return arr if arr.dtype == np.float64 else arr.astype(np.float32, copy=False)


def image(x):
    """One image as (C, H, W); a grey (H, W) image gets its channel axis."""
    arr = np.asarray(x)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"the image must have shape (C, H, W) or (H, W), not {arr.shape}")
    return images(arr[None], "image")[0]


def whole(value, name, minimum, maximum=None):
    """arguments.whole_number, with an upper bound as well."""
    value = whole_number(value, name, minimum)
    if maximum is not None and value > maximum:
        raise ValueError(f"the {name} must be at most {maximum}, not {value}")
    return int(value)


def classes(target, n, n_classes):
    """target as an (n,) int64 array of class indices in [0, n_classes): one int for every image,
    or one per image."""
    t = np.asarray(target)
    if t.dtype.kind not in "iu" or t.ndim > 1:
        raise ValueError(f"the class must be a whole number or one whole number per image, not {target!r}")
    t = np.broadcast_to(t, (n,)) if t.ndim == 0 else t
    if t.shape != (n,):
        raise ValueError(f"there are {n} images but {t.shape[0]} classes: give one class per image")
    if t.min() < 0 or t.max() >= n_classes:
        wrong = int(t.min() if t.min() < 0 else t.max())
        raise ValueError(f"this model has classes 0 to {n_classes - 1}, not {wrong}")
    return t.astype(np.int64)


def conv_layer(m, layer):
    """The index of a Conv2D layer of the model, checked."""
    convs = [i for i, each in enumerate(m.layers) if isinstance(each, nn.Conv2D)]
    if not convs:
        raise ValueError("this model has no convolution layer")
    listed = ", ".join(str(i) for i in convs)
    if isinstance(layer, bool) or not isinstance(layer, Integral) or not 0 <= layer < len(m.layers):
        raise ValueError(f"this model has layers 0 to {len(m.layers) - 1}, not {layer!r}; "
                         f"its convolutions are layers {listed}")
    if layer not in convs:
        raise ValueError(f"layer {layer} is {m.layers[layer].name}, not a convolution; "
                         f"the convolutions are layers {listed}")
    return int(layer)


def first_layer_input(m, x):
    """Refuse images whose channels the first convolution cannot take, before any work."""
    first = m.layers[0] if m.layers else None
    if isinstance(first, nn.Conv2D) and x.shape[1] != first.in_ch:
        raise ValueError(f"this model takes images with {first.in_ch} channel(s), not {x.shape[1]}")
