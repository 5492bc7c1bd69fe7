"""Flatten: feature maps laid out as one vector per image, for the dense layers after them."""

import math

from engine.nn.layers.base import Module, register
from engine.nn.layers.codegen import KerasCode, TorchCode


@register
class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W), channel by channel, row by row: the bridge from feature maps
    to dense layers. No parameters."""

    def forward(self, x, training=True):
        x = self._input(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten takes a batch (N, ...), not an input with {x.ndim} axes")
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        shape = self._need_cache()
        return self._gradient(dy, (shape[0], math.prod(shape[1:]))).reshape(shape)

    def output_shape(self, in_shape):
        self.check_input_shape(in_shape)
        return (math.prod(in_shape),)

    def multiply_adds(self, in_shape):
        return 0  # a new view of the same numbers

    def window(self, in_shape):
        return None

    def to_pytorch(self, in_shape):
        return TorchCode("nn.Flatten()")

    def to_keras(self, in_shape):
        if len(in_shape) == 3:
            # Keras keeps images as (H, W, C): back to (C, H, W) first, so that the dense weights line up
            return KerasCode(("layers.Permute((3, 1, 2))", "layers.Flatten()"))
        return KerasCode(("layers.Flatten()",))
