"""BatchNorm2D and BatchNorm1D: normalise each channel over the batch, then scale and shift."""

from typing import NamedTuple

import numpy as np

from engine.arguments import real_number, whole_number
from engine.nn.layers.base import Elementwise, register
from engine.nn.layers.codegen import KerasCode, TorchCode, number, whole


class _BatchNorm(Elementwise):
    """Normalise each channel over the batch, then scale by gamma and shift by beta.

    Training uses the batch's mean and variance and updates running averages,
    running = momentum · running + (1 - momentum) · batch; inference (training=False) uses
    the running averages. params: gamma, beta (channels,): 2 · channels numbers.
    """

    axes = None
    torch_name = None
    options = ()

    class Cache(NamedTuple):
        xhat: np.ndarray  # the normalised input
        inv_std: np.ndarray  # 1 / sqrt(var + eps), per channel
        training: bool = True  # whether mean and variance came from the batch (they then depend on x)

    def __init__(self, channels, momentum=0.9, eps=1e-5, dtype=np.float32, weights=True):
        super().__init__()
        self.channels = whole_number(channels, "number of channels", 1)
        self.momentum = real_number(momentum, "batch-norm momentum", at_least=0, below=1)
        self.eps = real_number(eps, "batch-norm epsilon", above=0)
        c = self.channels
        self._new_weights(weights, lambda: {"gamma": np.ones(c, dtype), "beta": np.zeros(c, dtype)},
                          lambda: {"running_mean": np.zeros(c, dtype), "running_var": np.ones(c, dtype)}, dtype=dtype)

    @classmethod
    def for_input(cls, in_shape, weights=True, **options):
        cls.check_input_shape(in_shape)
        return cls(in_shape[0], weights=weights, **options)

    def _shape(self, v, ndim):
        return v.reshape((1, -1) + (1,) * (ndim - 2))

    def forward(self, x, training=True):
        self._need_weights()
        x = self._input(x, len(self.axes) + 1, self.what)
        if x.shape[1] != self.channels:
            raise ValueError(f"{self.name} expects {self.channels} channels but gets {x.shape[1]}")
        if training:
            mean = x.mean(axis=self.axes)
            var = x.var(axis=self.axes)
            m = self.momentum
            self.buffers["running_mean"] = (m * self.buffers["running_mean"] + (1 - m) * mean).astype(x.dtype)
            self.buffers["running_var"] = (m * self.buffers["running_var"] + (1 - m) * var).astype(x.dtype)
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype)
        xhat = (x - self._shape(mean, x.ndim)) * self._shape(inv_std, x.ndim)
        self.cache = self.Cache(xhat, inv_std, training)
        return self._shape(self.params["gamma"], x.ndim) * xhat + self._shape(self.params["beta"], x.ndim)

    def backward(self, dy):
        xhat, inv_std, training = self._need_cache()
        dy = self._gradient(dy, xhat.shape)
        self.grads["gamma"] += (dy * xhat).sum(axis=self.axes)
        self.grads["beta"] += dy.sum(axis=self.axes)
        m = dy.size // dy.shape[1]
        dxhat = dy * self._shape(self.params["gamma"], dy.ndim)
        if not training:  # the running averages are constants: a fixed scale per channel
            return dxhat * self._shape(inv_std, dy.ndim)
        # d/dx of (x - mean) / std over the batch: the three terms of the batch-norm gradient.
        return (self._shape(inv_std, dy.ndim) / m) * (
            m * dxhat
            - dxhat.sum(axis=self.axes, keepdims=True)
            - xhat * (dxhat * xhat).sum(axis=self.axes, keepdims=True)
        )

    def config(self):
        return {"channels": self.channels, "momentum": self.momentum, "eps": self.eps}

    def param_shapes(self):
        return {"gamma": (self.channels,), "beta": (self.channels,)}

    def buffer_shapes(self):
        return {"running_mean": (self.channels,), "running_var": (self.channels,)}

    def param_formula(self):
        return f"2·{self.channels} (scale and shift)"

    def output_shape(self, in_shape):
        self.check_input_shape(in_shape)
        if in_shape[0] != self.channels:
            raise ValueError(f"{self.name} expects {self.channels} channels but gets {in_shape[0]}")
        return tuple(in_shape)

    def to_pytorch(self, in_shape):
        self.output_shape(in_shape)
        # PyTorch's momentum is the weight of the new batch: 1 - ConvLab's
        return TorchCode(f"nn.{self.torch_name}({whole(self.channels)}, eps={number(self.eps)}, "
                         f"momentum={number(round(1 - self.momentum, 12))})",
                         (("weight", "param.gamma", ""), ("bias", "param.beta", ""),
                          ("running_mean", "buffer.running_mean", ""), ("running_var", "buffer.running_var", "")))

    def to_keras(self, in_shape):
        self.output_shape(in_shape)
        return KerasCode((f"layers.BatchNormalization(epsilon={number(self.eps)}, momentum={number(self.momentum)})",),
                         (("param.gamma", ""), ("param.beta", ""), ("buffer.running_mean", ""),
                          ("buffer.running_var", "")))


@register
class BatchNorm2D(_BatchNorm):
    """Batch norm for images: x: (N, C, H, W), statistics per channel over N, H and W."""
    axes = (0, 2, 3)
    input_kind, what, torch_name = "image", "images (N, C, H, W)", "BatchNorm2d"


@register
class BatchNorm1D(_BatchNorm):
    """Batch norm for vectors: x: (N, D), statistics per feature over N."""
    axes = (0,)
    input_kind, what, torch_name = "vector", "vectors (N, D)", "BatchNorm1d"
