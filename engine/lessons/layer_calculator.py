"""Layer-by-layer shapes and parameter counts, like Keras' model.summary(), without
building any weights (VGG-16's 138 million numbers are counted, never allocated).

A network is a list of layer specs (dicts):

    {"type": "conv", "filters": K, "size": F, "stride": S, "padding": P or "same" or "valid"}
    {"type": "pool", "size": F, "stride": S}                  (max or average: no parameters)
    {"type": "dense", "units": N}
    {"type": "flatten"}, {"type": "relu"}, {"type": "dropout", "rate": r}, {"type": "batchnorm"}

Shapes are (channels, height, width) for images and (features,) after flatten.
"""

from dataclasses import dataclass

from engine.shapes import conv_output_size

LAYER_KINDS = ["conv", "pool", "dense", "flatten", "relu", "dropout", "batchnorm"]


@dataclass(frozen=True)
class Row:
    index: int
    name: str
    output_shape: tuple
    params: int
    formula: str  # how the parameter count is made, e.g. "(3·3·3)·10 + 10"


def _spatial(n, f, stride, padding, what):
    if padding == "same":
        if stride != 1:
            return -(-n // stride)
        return n
    pad = 0 if padding in (None, "valid", "") else int(padding)
    try:
        return conv_output_size(n, f, stride, pad).size
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None


def _int(spec, key, default, minimum=1):
    value = spec.get(key, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a whole number, not {value!r}") from None
    if value < minimum:
        raise ValueError(f"{key} must be at least {minimum}, not {value}")
    return value


def summarize(specs, input_shape):
    """Rows (index, name, output shape, parameter count, formula) for each layer.

    Raises ValueError naming the first layer that does not fit the shape it receives.
    """
    shape = tuple(int(v) for v in input_shape)
    rows = []
    for i, spec in enumerate(specs, start=1):
        kind = spec.get("type")
        where = f"layer {i} ({kind})"
        try:
            if kind == "conv":
                if len(shape) != 3:
                    raise ValueError("a convolution needs an image (channels, height, width); it comes after a flatten here")
                c, h, w = shape
                k, f, s = _int(spec, "filters", 1), _int(spec, "size", 3), _int(spec, "stride", 1)
                p = spec.get("padding", 0)
                p = p if p in ("same", "valid") else _int(spec, "padding", 0, minimum=0)
                shape = (k, _spatial(h, f, s, p, where), _spatial(w, f, s, p, where))
                params, formula = f * f * c * k + k, f"({f}·{f}·{c})·{k} + {k}"
                pad_text = p if isinstance(p, str) else f"pad {p}"
                name = f"Conv {k} @ {f}x{f}, stride {s}, {pad_text}"
            elif kind == "pool":
                if len(shape) != 3:
                    raise ValueError("pooling needs an image (channels, height, width)")
                c, h, w = shape
                f = _int(spec, "size", 2)
                s = _int(spec, "stride", f)
                shape = (c, _spatial(h, f, s, 0, where), _spatial(w, f, s, 0, where))
                params, formula, name = 0, "0", f"Pool {f}x{f}, stride {s}"
            elif kind == "dense":
                if len(shape) != 1:
                    raise ValueError("a dense layer needs a flat vector: add a flatten layer before it")
                n = _int(spec, "units", 10)
                params, formula = shape[0] * n + n, f"{shape[0]}·{n} + {n}"
                shape, name = (n,), f"Dense {n}"
            elif kind == "flatten":
                size = 1
                for v in shape:
                    size *= v
                shape, params, formula, name = (size,), 0, "0", "Flatten"
            elif kind == "relu":
                params, formula, name = 0, "0", "ReLU"
            elif kind == "dropout":
                rate = float(spec.get("rate", 0.5))
                if not 0 <= rate < 1:
                    raise ValueError(f"the dropout rate must be at least 0 and below 1, not {rate}")
                params, formula, name = 0, "0", f"Dropout {rate:g}"
            elif kind == "batchnorm":
                params, formula, name = 2 * shape[0], f"2·{shape[0]} (scale and shift)", "Batch norm"
            else:
                raise ValueError(f"unknown layer type {kind!r}; use one of {', '.join(LAYER_KINDS)}")
        except ValueError as err:
            message = str(err)
            raise ValueError(message if message.startswith("layer ") else f"{where}: {message}") from None
        if min(shape) < 1:
            raise ValueError(f"{where}: the output would be empty")
        rows.append(Row(i, name, shape, params, formula))
    return rows


def total_params(rows):
    return sum(r.params for r in rows)


def _conv(k, f, s=1, p=0):
    return {"type": "conv", "filters": k, "size": f, "stride": s, "padding": p}


def _pool(f=2, s=None):
    return {"type": "pool", "size": f, "stride": s or f}


def _dense(n):
    return {"type": "dense", "units": n}


RELU, FLATTEN = {"type": "relu"}, {"type": "flatten"}


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
        _conv(8, 5, 1, "same"), RELU, _pool(2), {"type": "dropout", "rate": 0.25},
        _conv(16, 3, 1, "same"), RELU, _pool(2), {"type": "dropout", "rate": 0.25},
        FLATTEN, _dense(256), RELU, {"type": "dropout", "rate": 0.5}, _dense(10),
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
