"""Sequential: layers run one after another, with a Keras-like summary and .npz saving."""

import json
import zipfile

import numpy as np

from engine.finite import all_finite
from engine.nn import fusion
from engine.nn.layers import LAYER_TYPES

FORMAT_VERSION = 1


class Sequential:
    """A stack of layers. x: (N, ...) -> the last layer's output.

    `activations` holds each layer's output from the last forward pass, for visualisation.
    """

    def __init__(self, layers):
        self.layers = list(layers)
        self._steps = fusion.group(self.layers)

    # -- running
    def forward(self, x, training=True):
        x = np.asarray(x)
        if x.dtype != np.float64:
            x = x.astype(np.float32, copy=False)
        if not all_finite(x):
            raise ValueError("the input contains NaN or infinity")
        for step in self._steps:
            x = step.forward(x, training)
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

        parts = [softmax(self.forward(x[i:i + batch_size], training=False))
                 for i in range(0, len(x), batch_size)]
        return np.concatenate(parts)

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
        arch = [{"type": type(layer).__name__, "config": layer.config()} for layer in self.layers]
        arrays = {"format_version": np.int64(FORMAT_VERSION), "architecture": np.array(json.dumps(arch))}
        for i, layer in enumerate(self.layers):
            for kind, store in (("param", layer.params), ("buffer", layer.buffers)):
                for name, value in store.items():
                    arrays[f"{i}.{kind}.{name}"] = value
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path):
        """Read a model written by save(); a file from another format version is refused."""
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise ValueError(f"this file is not a saved ConvLab model ({err})") from None
        with data:
            if "format_version" not in data or "architecture" not in data:
                raise ValueError("this file is not a saved ConvLab model (no architecture inside)")
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"this model file has format version {version}, but this version of "
                                 f"ConvLab reads version {FORMAT_VERSION}; save it again from a matching version")
            layers = []
            for spec in json.loads(str(data["architecture"])):
                if spec["type"] not in LAYER_TYPES:
                    raise ValueError(f"unknown layer type {spec['type']!r} in the model file")
                try:
                    layers.append(LAYER_TYPES[spec["type"]](**spec["config"]))
                except TypeError as err:
                    raise ValueError(f"the model file describes a {spec['type']} layer this version cannot build ({err})") from None
            model = cls(layers)
            for i, layer in enumerate(layers):
                for kind, store in (("param", layer.params), ("buffer", layer.buffers)):
                    for name in store:
                        value = data[f"{i}.{kind}.{name}"]
                        if value.shape != store[name].shape:
                            raise ValueError(f"layer {i} ({layer.name}): saved {name} has shape "
                                             f"{value.shape}, expected {store[name].shape}")
                        store[name] = value
                layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}
        model._steps = fusion.group(model.layers)
        return model
