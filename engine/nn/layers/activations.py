"""Activations, value by value: ReLU, LeakyReLU, Sigmoid and Tanh. No parameters."""

import numpy as np

from engine.arguments import real_number
from engine.nn.layers.base import Elementwise, register
from engine.nn.layers.codegen import KerasCode, TorchCode, number


@register
class ReLU(Elementwise):
    """max(0, x), elementwise; the gradient passes where x > 0."""

    def forward(self, x, training=True):
        x = self._input(x)
        mask = x > 0
        self.cache = mask
        return x * mask

    def backward(self, dy):
        mask = self._need_cache()
        return self._gradient(dy, mask.shape) * mask

    def to_pytorch(self, in_shape):
        return TorchCode("nn.ReLU()")

    def to_keras(self, in_shape):
        return KerasCode(("layers.ReLU()",))


@register
class LeakyReLU(Elementwise):
    """x for x > 0, alpha * x otherwise: a small slope keeps negative units learning."""

    options = ("alpha",)

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = real_number(alpha, "slope of a leaky ReLU")

    def forward(self, x, training=True):
        x = self._input(x)
        mask = x > 0
        self.cache = mask
        return np.where(mask, x, x * x.dtype.type(self.alpha))

    def backward(self, dy):
        mask = self._need_cache()
        dy = self._gradient(dy, mask.shape)
        return np.where(mask, dy, dy * dy.dtype.type(self.alpha))

    def config(self):
        return {"alpha": self.alpha}

    def to_pytorch(self, in_shape):
        return TorchCode(f"nn.LeakyReLU({number(self.alpha)})")

    def to_keras(self, in_shape):
        return KerasCode((f"layers.LeakyReLU({number(self.alpha)})",))


@register
class Sigmoid(Elementwise):
    """1 / (1 + e^-x); derivative y (1 - y), at most 1/4."""

    def forward(self, x, training=True):
        x = self._input(x)
        y = np.empty_like(x)
        pos = x >= 0
        y[pos] = 1 / (1 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        y[~pos] = ex / (1 + ex)
        self.cache = y
        return y

    def backward(self, dy):
        y = self._need_cache()
        return self._gradient(dy, y.shape) * y * (1 - y)

    def to_pytorch(self, in_shape):
        return TorchCode("nn.Sigmoid()")

    def to_keras(self, in_shape):
        return KerasCode(("layers.Activation('sigmoid')",))


@register
class Tanh(Elementwise):
    """tanh(x); derivative 1 - y^2, at most 1."""

    def forward(self, x, training=True):
        y = np.tanh(self._input(x))
        self.cache = y
        return y

    def backward(self, dy):
        y = self._need_cache()
        return self._gradient(dy, y.shape) * (1 - y * y)

    def to_pytorch(self, in_shape):
        return TorchCode("nn.Tanh()")

    def to_keras(self, in_shape):
        return KerasCode(("layers.Activation('tanh')",))
