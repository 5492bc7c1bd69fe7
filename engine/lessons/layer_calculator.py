"""Layer-by-layer shapes and parameter counts, like Keras' model.summary(), from real layers
built without weights (VGG-16's 138 million numbers are counted, never allocated).

A network is a list of layer specs, each a registered layer type (engine.nn.LAYER_TYPES) and
its options, the constructor arguments a learner picks (the layer's `options`; the input
shape gives the rest, such as a convolution's input channels):

    {"type": "Conv2D", "out_ch": 10, "size": 3, "stride": 1, "padding": 1 or "same" or "valid"}
    {"type": "MaxPool2D", "size": 2, "stride": 2}, {"type": "Dense", "n_out": 10},
    {"type": "Flatten"}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.5}, {"type": "BatchNorm2D"}

Options left out take the layer's defaults. Shapes are (channels, height, width) for images
and (features,) after a Flatten.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np

from engine.arguments import shown, whole_number
from engine.memory import check_allocation
from engine.nn import LAYER_TYPES

LAYER_KINDS = list(LAYER_TYPES)


@dataclass(frozen=True)
class Row:
    index: int
    name: str
    output_shape: tuple
    params: int
    formula: str  # how the parameter count is made, e.g. "(3·3·3)·10 + 10"


def _option(value):
    """A table cell as the layer takes it: whole numbers as ints (10.0 and "10" are 10)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, Real) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def build_layer(spec, in_shape):
    """The layer a spec describes, for inputs of in_shape, without weights."""
    if not isinstance(spec, dict):
        raise ValueError(f"a layer is a table such as {{'type': 'Conv2D', 'out_ch': 8}}, not {shown(spec)}")
    kind = spec.get("type")
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {shown(kind)}; use one of {', '.join(LAYER_KINDS)}")
    cls = LAYER_TYPES[kind]
    options = {k: _option(v) for k, v in spec.items() if k != "type" and v is not None}
    unknown = sorted(set(options) - set(cls.options))
    if unknown:
        raise ValueError(f"a {kind} layer has no option {shown(unknown[0])}")
    return cls.for_input(in_shape, weights=False, **options)


def summarize(specs, input_shape):
    """Rows (index, name, output shape, parameter count, formula) for each layer.

    Raises ValueError naming the first layer that does not fit the shape it receives, or whose
    output for one input or one of whose weight arrays (in float32) would be larger than the
    limit per array (engine.memory): a network that could never be built here.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (1, 3):
        raise ValueError(f"the input shape is (channels, height, width) or (features,), not {shown(input_shape)}")
    if isinstance(specs, (str, dict)) or not hasattr(specs, "__iter__"):
        raise ValueError(f"the layers are a list of tables, one per layer, not {shown(specs)}")
    shape = tuple(whole_number(v, "input size", 1) for v in input_shape)
    check_allocation(shape, np.float32, "input")
    rows = []
    for i, spec in enumerate(specs, start=1):
        try:
            layer = build_layer(spec, shape)
            shape = layer.output_shape(shape)
            check_allocation(shape, np.float32, "output for one input")
            for name, weights in layer.param_shapes().items():
                check_allocation(weights, np.float32, f"weight array {name!r}")
        except ValueError as err:
            kind = spec.get("type") if isinstance(spec, dict) else None
            raise ValueError(f"layer {i} ({kind[:40] if isinstance(kind, str) else shown(kind)}): {err}") from None
        rows.append(Row(i, layer.name, shape, layer.n_params, layer.param_formula()))
    return rows


def total_params(rows):
    return sum(r.params for r in rows)


def _conv(k, f, s=1, p=0):
    return {"type": "Conv2D", "out_ch": k, "size": f, "stride": s, "padding": p}


def _pool(f=2, s=None):
    return {"type": "MaxPool2D", "size": f, "stride": s or f}


def _dense(n):
    return {"type": "Dense", "n_out": n}


def _dropout(p):
    return {"type": "Dropout", "p": p}


RELU, FLATTEN = {"type": "ReLU"}, {"type": "Flatten"}


def _vgg16():
    layers = []
    for width, repeat in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        layers += [_conv(width, 3, 1, 1)] * repeat + [_pool(2)]
    return layers + [FLATTEN, _dense(4096), _dense(4096), _dense(1000)]


# name: (input shape, specs, a note). Counts are computed from these, never typed in.
PRESETS = {
    "CIFAR-10 stack (lecture)": ((3, 32, 32), [
        _conv(10, 3, 1, 1), RELU, _conv(10, 3, 1, 1), RELU, _pool(2),
        _conv(10, 3, 1, 1), RELU, _conv(10, 3, 1, 1), RELU, _pool(2),
    ], "The lecture's small stack for 32x32 colour images."),
    "Digit recognizer (default)": ((1, 28, 28), [
        _conv(8, 5, 1, "same"), RELU, _pool(2), _dropout(0.25),
        _conv(16, 3, 1, "same"), RELU, _pool(2), _dropout(0.25),
        FLATTEN, _dense(256), RELU, _dropout(0.5), _dense(10),
    ], "The network the training page uses."),
    "LeNet-5": ((1, 32, 32), [
        _conv(6, 5), _pool(2), _conv(16, 5), _pool(2), FLATTEN, _dense(120), _dense(84), _dense(10),
    ], "LeCun's 1998 digit reader (activations left out: they have no parameters)."),
    "AlexNet": ((3, 227, 227), [
        _conv(96, 11, 4), _pool(3, 2), _conv(256, 5, 1, 2), _pool(3, 2), _conv(384, 3, 1, 1),
        _conv(384, 3, 1, 1), _conv(256, 3, 1, 1), _pool(3, 2), FLATTEN, _dense(4096), _dense(4096), _dense(1000),
    ], "The 2012 ImageNet winner, without its two-GPU split (activations left out)."),
    "VGG-16": ((3, 224, 224), _vgg16(), "Thirteen 3x3 convolutions and three dense layers (activations left out)."),
}
