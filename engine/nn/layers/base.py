"""What every layer shares: the Module base class and the registry of layer types.

A layer type owns everything about itself, in its own module:

    forward(x, training) / backward(dy)      the computation; both check shapes and say what is wrong
    param_shapes() / buffer_shapes()          the arrays it learns and keeps, known before any exist
    output_shape(in_shape), param_formula()   what summary() and the layer calculator show
    multiply_adds(in_shape)                   its work for one input, for the model-file limits
    window(in_shape)                          how it slides over an image, for receptive fields
    config() / from_config(config)            its constructor arguments, for saving as JSON
    to_pytorch(in_shape) / to_keras(in_shape) the same layer in those frameworks (engine/export.py)

and @register puts it in LAYER_TYPES, where model files, the calculator and export find it.
Shapes without the batch axis: an image is (C, H, W), a vector (D,).

Gradients accumulate (+=) until zero_grad(), as in micrograd and PyTorch. forward keeps in
`self.cache` only what backward needs; backward before forward raises a clear error.
"""

import inspect
import math
from typing import NamedTuple

import numpy as np

from engine._kernels import optim as optim_kernels
from engine.arguments import as_float_array, pair, shown
from engine.memory import check_allocation

LAYER_TYPES = {}
"""Every layer type by its class name, as model files and the layer calculator name them."""

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
BUILD_ARGUMENTS = ("seed", "dtype", "weights")  # constructor arguments that are not the layer's settings


def register(cls):
    """Class decorator: make a layer type known by its name."""
    LAYER_TYPES[cls.__name__] = cls
    return cls


def layer_from_config(kind, config, weights=True):
    """The layer that {"type": kind, "config": config} in a model file describes."""
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {shown(kind)}; the known ones are {', '.join(LAYER_TYPES)}")
    return LAYER_TYPES[kind].from_config(config, weights=weights)


class Window(NamedTuple):
    """How a layer slides over an image, per axis as (rows, columns) pairs."""
    size: tuple     # the window, in input cells
    stride: tuple   # input cells between neighbouring outputs
    pad: tuple      # padding before the first row and column


def compact_pair(value, name, minimum):
    """A validated int or (h, w) pair, kept as an int when both are equal (1 rather than (1, 1))."""
    h, w = pair(value, name, minimum)
    return h if h == w else (h, w)


def glorot_uniform(shape, fan_in, fan_out, rng, dtype):
    """Glorot (Xavier) uniform initialisation, Keras' default: U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    check_allocation(shape, np.float64, "array of initial weights")  # drawn in float64 first
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


class Module:
    """Base class: parameters, gradients, zero_grad, dtype conversion, shape checks and a name."""

    input_kind = "any"  # "image": (C, H, W), "vector": (D,) or "any"
    options = ()        # the constructor arguments a learner picks in the layer calculator

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}  # state that is saved but not trained (batch-norm running statistics)
        self.cache = None
        self.weightless = False  # built with weights=False: counted, never run

    # -- building
    @classmethod
    def for_input(cls, in_shape, weights=True, **options):
        """The layer for inputs of shape in_shape, which gives the sizes it takes from its input
        (Conv2D's in_ch, Dense's n_in); options are the other constructor arguments."""
        cls.check_input_shape(in_shape)
        return cls(**options)

    @classmethod
    def settings(cls):
        """{name: inspect.Parameter} of the constructor arguments that config() gives."""
        params = dict(inspect.signature(cls.__init__).parameters)
        return {name: p for name, p in list(params.items())[1:] if name not in BUILD_ARGUMENTS}

    @classmethod
    def from_config(cls, config, weights=True):
        """The layer that config() described; weights=False builds it without allocating any."""
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise ValueError(f"a {cls.__name__} layer's settings must be a table of names and values")
        settings = cls.settings()
        unknown = sorted(set(config) - set(settings))
        if unknown:
            raise ValueError(f"a {cls.__name__} layer has no setting {shown(unknown[0])}")
        missing = [n for n, p in settings.items() if p.default is inspect.Parameter.empty and n not in config]
        if missing:
            raise ValueError(f"a {cls.__name__} layer needs its {', '.join(missing)}")
        takes_weights = "weights" in inspect.signature(cls.__init__).parameters
        return cls(**config, **({"weights": weights} if takes_weights else {}))

    def config(self):
        """Constructor arguments, for saving the architecture as JSON."""
        return {}

    # -- parameters
    def param_shapes(self):
        """{name: shape} of every trainable array, also for a layer built without weights."""
        return {}

    def buffer_shapes(self):
        """{name: shape} of every saved array that is not trained."""
        return {}

    def parameters(self):
        """(name, value, gradient) for every trainable array."""
        return [(k, self.params[k], self.grads[k]) for k in self.params]

    def zero_grad(self):
        for g in self.grads.values():
            # big ones over the threads, in the blocks each thread fills next (see optim_kernels.fill_zero)
            if g.size >= 65536 and g.flags.c_contiguous:
                optim_kernels.fill_zero(g.reshape(-1))
            else:
                g[...] = 0

    @property
    def n_params(self):
        return sum(math.prod(shape) for shape in self.param_shapes().values())

    def param_formula(self):
        """How n_params is made, e.g. "(3·3·3)·10 + 10" for ten 3x3 filters on 3 channels."""
        return "0"

    def astype(self, dtype):
        for d in (self.params, self.buffers):
            for k in d:
                d[k] = d[k].astype(dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        return self

    def _new_weights(self, weights, make_params, make_buffers=dict, dtype=np.float32):
        """Keep the arrays that make_params() and make_buffers() give (dicts), with zero
        gradients; with weights=False call neither: the layer is counted, never run. Each
        array of param_shapes() and buffer_shapes() is held against the limit per array
        (engine.memory) first."""
        if not weights:
            self.weightless = True
            return
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            dtype = None
        if dtype not in FLOATS:
            raise ValueError("a layer's weights are float32 or float64 (dtype=np.float32 or np.float64)")
        for name, shape in {**self.param_shapes(), **self.buffer_shapes()}.items():
            check_allocation(shape, dtype, f"array {name!r} of {self.name}")
        self.params = make_params()
        self.buffers = make_buffers()
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def take_weights(self, params, buffers):
        """Use these arrays (dicts as param_shapes() and buffer_shapes() name them, each of
        that shape) as the layer's own, with zero gradients: for a model read from a file."""
        for given, shapes in ((params, self.param_shapes()), (buffers, self.buffer_shapes())):
            if {k: v.shape for k, v in given.items()} != shapes:
                got = shown({k: v.shape for k, v in given.items()})
                raise ValueError(f"{self.name} needs the arrays {shapes}, not {got}")
        self.weightless = False
        self._new_weights(True, lambda: dict(params), lambda: dict(buffers))

    # -- shapes
    @classmethod
    def check_input_shape(cls, in_shape):
        """ValueError when one input of shape in_shape is not the kind this layer takes."""
        kind = "image" if len(in_shape) == 3 else "vector" if len(in_shape) == 1 else None
        if cls.input_kind == "image" and kind != "image":
            raise ValueError(f"{cls.__name__} needs an image (channels, height, width), but gets "
                             f"{_shape_text(in_shape)}: it cannot come after a Flatten or Dense layer")
        if cls.input_kind == "vector" and kind != "vector":
            raise ValueError(f"{cls.__name__} needs a flat vector, but gets {_shape_text(in_shape)}: "
                             "add a Flatten layer before it")
        if kind is None:
            raise ValueError(f"{cls.__name__} takes an image (channels, height, width) or a vector, "
                             f"not an input of shape {tuple(in_shape)}")

    def output_shape(self, in_shape):
        """Shape of one output (without the batch axis) for one input of shape in_shape."""
        self.check_input_shape(in_shape)
        return tuple(in_shape)

    def multiply_adds(self, in_shape):
        """Work for one input of shape in_shape, in multiply-adds (one per value for elementwise layers)."""
        return math.prod(in_shape)

    def window(self, in_shape):
        """How the layer maps an image's positions to its output's: a Window, or None when its
        output has no rows and columns any more (Flatten, Dense)."""
        raise ValueError(f"{self.name} does not say how it moves over its input, "
                         "so receptive fields cannot be followed through it")

    # -- export
    def to_pytorch(self, in_shape):
        raise ValueError(f"{self.name} has no PyTorch equivalent in ConvLab's export")

    def to_keras(self, in_shape):
        raise ValueError(f"{self.name} has no Keras equivalent in ConvLab's export")

    # -- checks for forward and backward
    def _input(self, x, ndim=None, what=None):
        """x as a float array (float32 and float64 kept), with ndim axes when ndim is given."""
        if not (isinstance(x, np.ndarray) and x.dtype in FLOATS):
            x = as_float_array(x, "input")
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"{self.name} takes {what}, so inputs with {ndim} axes, not {x.ndim} (shape {x.shape})")
        return x

    def _need_weights(self):
        if self.weightless:
            raise ValueError(f"{self.name} was built without weights (weights=False, to count them); "
                             "build it with weights to run it")

    def _need_cache(self):
        if self.cache is None:
            raise RuntimeError(f"{self.name}: call forward before backward")
        return self.cache

    def _gradient(self, dy, shape):
        """dy as a float array, when it has the shape of the last output; ValueError otherwise."""
        if not (isinstance(dy, np.ndarray) and dy.dtype in FLOATS):
            dy = as_float_array(dy, "upstream gradient")
        if dy.shape != tuple(shape):
            raise ValueError(f"{self.name}: the upstream gradient must have the shape of the last output, "
                             f"{tuple(shape)}, not {dy.shape}")
        return dy

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return self.name


class Elementwise(Module):
    """A layer that keeps its input's shape and works value by value (activations, dropout):
    every output position sees the one input position under it."""

    def window(self, in_shape):
        return Window((1, 1), (1, 1), (0, 0)) if len(in_shape) == 3 else None


def _shape_text(shape):
    if len(shape) == 1:
        return f"a flat vector of {shape[0]} values"
    if len(shape) == 3:
        return f"an image {' x '.join(map(str, shape))}"
    return f"an input of shape {tuple(shape)}"
