"""Sequential: layers run one after another, with a Keras-like summary and .npz saving."""

import numpy as np

from engine.arguments import as_float_array, check_finite, shown, whole_number
from engine.finite import all_finite
from engine.nn import fusion, model_file
from engine.nn.layers.base import FLOATS, Module

FORMAT_VERSION = model_file.FORMAT_VERSION


def _batch(x):
    """x as a float array with a batch axis and at least one input: for predicting."""
    if not (isinstance(x, np.ndarray) and x.dtype in FLOATS):
        x = as_float_array(x, "input")
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"the input must be a batch (N, ...) of at least one input, not an array of shape {x.shape}")
    return x


class Sequential:
    """A stack of layers. x: (N, ...) -> the last layer's output.

    `activations` holds each layer's output from the last forward pass, for visualisation.
    """

    def __init__(self, layers):
        if isinstance(layers, (str, dict, Module)) or not hasattr(layers, "__iter__"):
            raise ValueError(f"a Sequential model takes a list of layers such as [nn.Conv2D(...), nn.ReLU()], "
                             f"not {shown(layers)}")
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("a Sequential model needs at least one layer")
        for layer in self.layers:
            if not isinstance(layer, Module):
                raise ValueError(f"a Sequential model takes layers such as nn.Conv2D(...), not {type(layer).__name__}")
        self._steps = fusion.group(self.layers)

    # -- running
    def forward(self, x, training=True, input_checked=False):
        """The last layer's output for x: (N, ...). input_checked: the caller has made sure that x
        holds no NaN or infinity (nn.train_step does), so it is not scanned again."""
        if not (isinstance(x, np.ndarray) and x.dtype in FLOATS):
            x = as_float_array(x, "input")
            input_checked = False
        if x.ndim < 2:
            raise ValueError(f"the input must be a batch (N, ...), not one array of shape {x.shape}; "
                             "for a single image or vector use x[None]")
        if not input_checked:
            check_finite(x, "input")
        for step in self._steps:
            # the first step's input is the model's, just checked; later steps check their own
            x = step.forward(x, training, checked=step is self._steps[0])
        return x

    def backward(self, dy, need_dx=True):
        """Gradients of every layer from dy, the gradient of the loss w.r.t. the output.

        Returns the gradient w.r.t. the input, or None with need_dx=False (training has no use
        for it, and a first convolution layer then skips computing it).
        """
        for i, step in enumerate(reversed(self._steps)):
            first = i == len(self._steps) - 1
            dy = step.backward(dy, need_dx=need_dx) if first else step.backward(dy)
        return dy

    @property
    def activations(self):
        """Each layer's output from the last forward pass, in order (None before any)."""
        return [out for step in self._steps for out in step.outputs]

    @property
    def output(self):
        """The last layer's output from the last forward pass (the logits), without the other
        layers' maps: after a training step those are worked out again only when asked for."""
        return self._steps[-1].last_output

    def predict_proba(self, x, batch_size=256):
        """Softmax probabilities (N, classes), in batches small enough that each batch's feature
        maps stay in the CPU caches (256 images ran twice as fast as 1,000)."""
        from engine.nn.losses import softmax

        x = _batch(x)
        batch_size = whole_number(batch_size, "batch size", 1)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN weights are refused just below
            parts = [softmax(self.forward(x[i:i + batch_size], training=False))
                     for i in range(0, len(x), batch_size)]
        out = np.concatenate(parts)
        if not all_finite(out):  # the input was checked: the weights themselves hold NaN or infinity
            raise ValueError("the model's output is NaN or infinite: its weights hold NaN or infinity "
                             "(train it again, with a smaller learning rate)")
        return out

    def predict(self, x, batch_size=256):
        """The most likely class of each input: (N,) int64."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    # -- parameters
    def parameters(self):
        """(layer, name) for every trainable array, in layer order; a frozen layer's
        (nn.transfer.freeze) are left out, so no optimizer updates them."""
        return [(layer, name) for layer in self.layers if not getattr(layer, "frozen", False)
                for name in layer.params]

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    @property
    def n_params(self):
        return sum(layer.n_params for layer in self.layers)

    def astype(self, dtype):
        """Convert every parameter (e.g. to float64 for gradient checks); returns self."""
        for layer in self.layers:
            layer.astype(dtype)
        return self

    # -- description
    def summary(self, input_shape=(1, 28, 28)):
        """Rows (layer name, output shape, parameter count), like Keras' model.summary().

        input_shape is one input without the batch axis, e.g. (1, 28, 28).
        """
        rows, shape = [], tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
            rows.append((layer.name, shape, layer.n_params))
        return rows

    def format_summary(self, input_shape=(1, 28, 28)):
        """summary() as a text table with the total."""
        rows = self.summary(input_shape)
        lines = [f"{'Layer':<34}{'Output shape':<18}{'Params':>10}", "-" * 62]
        lines += [f"{name:<34}{str(shape):<18}{n:>10,}" for name, shape, n in rows]
        lines += ["-" * 62, f"{'Total':<52}{self.n_params:>10,}"]
        return "\n".join(lines)

    def __repr__(self):
        return "Sequential([" + ", ".join(layer.name for layer in self.layers) + "])"

    # -- saving
    def save(self, path):
        """Write the architecture (JSON text) and every array to an .npz file, without pickle."""
        model_file.save(self, path)

    @classmethod
    def load(cls, path, input_shape=None, limits=None):
        """Read a model written by save() from a file name or a binary file.

        The file is checked throughout before anything in it is used (see engine/nn/model_file.py):
        anything wrong raises nn.ModelFileError, a ValueError, with a sentence. limits
        (nn.ModelLimits) caps the model's size; with input_shape, one input without the batch
        axis such as (1, 28, 28), the layers must fit it and stay within the limits' work for it.
        """
        return cls(model_file.load(path, input_shape, limits))
