"""Dropout: while training, zero each value with probability p."""

import numpy as np

from engine._kernels import dropout as dropout_kernels
from engine.arguments import real_number
from engine.nn.layers.base import Elementwise, register
from engine.nn.layers.codegen import KerasCode, TorchCode, number


@register
class Dropout(Elementwise):
    """Inverted dropout: while training, zero each value with probability p and scale the
    rest by 1 / (1 - p), so that nothing needs rescaling at test time (training=False).
    x: any shape -> the same shape."""

    options = ("p",)

    def __init__(self, p=0.5, seed=None):
        super().__init__()
        self.p = real_number(p, "dropout probability", at_least=0, below=1)
        self.rng = np.random.default_rng(seed)

    def forward(self, x, training=True):
        x = self._input(x)
        if not training or self.p == 0:
            self.cache = np.broadcast_to(np.ones((), dtype=x.dtype), x.shape)  # a mask of ones, no memory
            return x
        x = np.ascontiguousarray(x)
        out, mask = np.empty_like(x), np.empty_like(x)
        big = x.size >= dropout_kernels.PARALLEL_FROM
        forward = dropout_kernels.dropout_forward_parallel if big else dropout_kernels.dropout_forward
        forward(x.reshape(-1), *self.new_mask_key(), out.reshape(-1), mask.reshape(-1))
        self.cache = mask
        return out

    def new_mask_key(self):
        """(key, threshold, scale) for one training batch's mask, as the dropout kernels take them:
        a fresh key from the layer's seeded generator, threshold = p * 2**32 (uint32)."""
        key = np.uint32(self.rng.integers(2**32))
        threshold = np.uint32(min(round(self.p * 2**32), 2**32 - 1))
        return key, threshold, 1 / (1 - self.p)

    def backward(self, dy):
        mask = self._need_cache()
        dy = self._gradient(dy, mask.shape)
        if mask.size < dropout_kernels.PARALLEL_FROM or dy.dtype != mask.dtype or not mask.flags.c_contiguous:
            return dy * mask
        dy = np.ascontiguousarray(dy)
        dx = np.empty_like(dy)
        dropout_kernels.scale_by_mask(dy.reshape(-1), mask.reshape(-1), dx.reshape(-1))
        return dx

    def config(self):
        return {"p": self.p}

    @property
    def name(self):
        return f"Dropout({self.p:g})"

    def to_pytorch(self, in_shape):
        return TorchCode(f"nn.Dropout({number(self.p)})")

    def to_keras(self, in_shape):
        return KerasCode((f"layers.Dropout({number(self.p)})",))
