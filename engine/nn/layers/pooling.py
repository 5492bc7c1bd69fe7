"""MaxPool2D and AvgPool2D: F x F windows, stride S (S = F by default: side by side)."""

import math
from typing import NamedTuple

import numpy as np

from engine import pool
from engine._kernels import pool as pool_kernels
from engine.arguments import pair
from engine.nn.layers.base import Module, Window, compact_pair, register
from engine.nn.layers.codegen import KerasCode, TorchCode, number
from engine.shapes import window_output_size


class _Pool(Module):
    """x: (N, C, H, W) -> (N, C, floor((H - F) / S) + 1, floor((W - F) / S) + 1); no parameters."""

    kind = None
    torch_name = keras_name = None
    input_kind = "image"
    options = ("size", "stride")

    class Cache(NamedTuple):
        x: np.ndarray    # (N, C, H, W)
        out: np.ndarray  # (N, C, H', W'), for the L2 gradient
        arg: np.ndarray  # (N, C, H', W') int32, where each window's max/min was

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size = compact_pair(size, "pool size", 1)
        self.stride = None if stride is None else compact_pair(stride, "stride", 1)

    def _sizes(self):
        """((fh, fw), (sh, sw))."""
        f = pair(self.size, "pool size", 1)
        return f, pair(self.stride, "stride", 1) if self.stride is not None else f

    def forward(self, x, training=True):
        out, arg = pool.pool_forward(x, self.size, self.stride, self.kind)
        self.cache = self.Cache(np.ascontiguousarray(x, dtype=out.dtype), out, arg)
        return out

    def backward(self, dy):
        x, out, arg = self._need_cache()
        dy = self._gradient(dy, out.shape)  # the kernel trusts dy's shape: a wrong one writes anywhere
        (fh, fw), (sh, sw) = self._sizes()
        sh, sw = min(sh, x.shape[2]), min(sw, x.shape[3])  # as pool_forward ran it (the kernels take int64)
        dx = np.zeros_like(x)
        pool_kernels.pool_backward(np.ascontiguousarray(dy, dtype=x.dtype), x, out, arg, fh, fw, sh, sw, self.kind, dx)
        return dx

    def config(self):
        return {"size": self.size, "stride": self.stride}

    def output_shape(self, in_shape):
        self.check_input_shape(in_shape)
        c, h, w = in_shape
        (fh, fw), (sh, sw) = self._sizes()
        if fh > h or fw > w:
            raise ValueError(f"a {fh}x{fw} pooling window does not fit in a {h}x{w} input")
        return (c, window_output_size(h, fh, sh), window_output_size(w, fw, sw))

    def multiply_adds(self, in_shape):
        (fh, fw), _ = self._sizes()
        return math.prod(self.output_shape(in_shape)) * fh * fw

    def window(self, in_shape):
        size, stride = self._sizes()
        return Window(size, stride, (0, 0))

    @property
    def name(self):
        stride = "" if self.stride in (None, self.size) else f", stride {self.stride}"
        return f"{type(self).__name__}({self.size}{stride})"

    def to_pytorch(self, in_shape):
        self.output_shape(in_shape)
        size, stride = self._sizes()
        return TorchCode(f"nn.{self.torch_name}({number(_compact(size))}, stride={number(_compact(stride))})")

    def to_keras(self, in_shape):
        self.output_shape(in_shape)
        size, stride = self._sizes()
        return KerasCode((f"layers.{self.keras_name}({number(_compact(size))}, strides={number(_compact(stride))})",))


def _compact(hw):
    return hw[0] if hw[0] == hw[1] else hw


@register
class MaxPool2D(_Pool):
    """Max pooling: each window's largest value; its gradient goes to that input alone.
    x: (N, C, H, W) -> (N, C, floor((H - F) / S) + 1, ...); no parameters."""
    kind = pool_kernels.MAX
    torch_name, keras_name = "MaxPool2d", "MaxPooling2D"


@register
class AvgPool2D(_Pool):
    """Average pooling: each window's mean; its gradient is shared evenly.
    x: (N, C, H, W) -> (N, C, floor((H - F) / S) + 1, ...); no parameters."""
    kind = pool_kernels.AVG
    torch_name, keras_name = "AvgPool2d", "AveragePooling2D"
