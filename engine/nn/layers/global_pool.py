"""GlobalAvgPool2D: each feature map averaged to one number, as modern CNNs end."""

import math

import numpy as np

from engine.nn.layers.base import Module, Window, register
from engine.nn.layers.codegen import KerasCode, TorchCode


@register
class GlobalAvgPool2D(Module):
    """The mean of each whole feature map: x: (N, C, H, W) -> (N, C). No parameters.

    It replaces Flatten and a big dense layer at the end of a network: C numbers instead of
    C·H·W, whatever the image size. The gradient spreads each dy evenly over its H·W inputs.
    """

    input_kind = "image"

    def forward(self, x, training=True):
        x = self._input(x, 4, "images (N, C, H, W)")
        self.cache = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dy):
        n, c, h, w = self._need_cache()
        dy = self._gradient(dy, (n, c))
        return np.broadcast_to((dy / (h * w))[:, :, None, None], (n, c, h, w)).copy()

    def output_shape(self, in_shape):
        self.check_input_shape(in_shape)
        return (in_shape[0],)

    def multiply_adds(self, in_shape):
        self.check_input_shape(in_shape)
        return math.prod(in_shape)

    def window(self, in_shape):
        _, h, w = in_shape
        return Window((h, w), (h, w), (0, 0))

    def to_pytorch(self, in_shape):
        return TorchCode("nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())")

    def to_keras(self, in_shape):
        return KerasCode(("layers.GlobalAveragePooling2D()",))
