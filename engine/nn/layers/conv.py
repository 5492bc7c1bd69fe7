"""Conv2D: a convolution layer (cross-correlation, as in every deep-learning framework)."""

from typing import NamedTuple

import numpy as np

from engine.arguments import shown, whole_number
from engine.conv import backward_unscanned, conv2d
from engine.nn.layers.base import Module, Window, compact_pair, glorot_uniform, register
from engine.nn.layers.codegen import KerasCode, TorchCode, number, whole, word
from engine.padding import resolve_padding
from engine.shapes import window_output_size

PADDING_WORDS = ("same", "valid")


def padding_setting(padding):
    """'same', 'valid', or a validated whole number or (h, w) pair of them."""
    if isinstance(padding, str):
        if padding in PADDING_WORDS:
            return padding
        raise ValueError(f"the padding must be a number, a pair, 'valid' or 'same', not {shown(padding)}")
    return compact_pair(padding, "padding", 0)


@register
class Conv2D(Module):
    """Convolution layer. x: (N, in_ch, H, W) -> (N, out_ch, H', W') with

        H' = floor((H + 2P - F) / S) + 1;   'same' padding keeps H' = ceil(H / S)

    ('same' pads (F - 1) // 2 before and the rest after, as TensorFlow does, when the padding
    needed is odd). params: w (out_ch, in_ch, size, size), b (out_ch,): F·F·in_ch·out_ch + out_ch
    numbers. stride and padding take an int or an (h, w) pair; padding also 'same' or 'valid'.
    """

    input_kind = "image"
    options = ("out_ch", "size", "stride", "padding")

    class Cache(NamedTuple):
        x: np.ndarray     # (N, C, H, W), the input, needed for dw
        out_shape: tuple  # (N, K, H', W'), what dy must be

    def __init__(self, in_ch, out_ch, size, stride=1, padding=0, seed=None, dtype=np.float32, weights=True):
        super().__init__()
        self.in_ch = whole_number(in_ch, "number of input channels", 1)
        self.out_ch = whole_number(out_ch, "number of filters", 1)
        self.size = whole_number(size, "kernel size", 1)
        self.stride = compact_pair(stride, "stride", 1)
        self.padding = padding_setting(padding)
        rng = np.random.default_rng(seed)
        f, c, k = self.size, self.in_ch, self.out_ch
        self._new_weights(weights, lambda: {"w": glorot_uniform((k, c, f, f), c * f * f, k * f * f, rng, dtype),
                                            "b": np.zeros(k, dtype=dtype)}, dtype=dtype)

    @classmethod
    def for_input(cls, in_shape, weights=True, out_ch=1, size=3, **options):
        cls.check_input_shape(in_shape)
        return cls(in_shape[0], out_ch, size, weights=weights, **options)

    def forward(self, x, training=True):
        self._need_weights()
        out = conv2d(x, self.params["w"], self.params["b"], self.stride, self.padding)
        self.cache = self.Cache(x, out.shape)
        return out

    def backward(self, dy, need_dx=True):
        """dx (None when need_dx is False: a network's first layer has no use for it)."""
        x, out_shape = self._need_cache()
        dy = self._gradient(dy, out_shape)
        # forward checked x and the weights for NaN; dy is checked in conv2d_backward's own way
        dx, dw, db = backward_unscanned(dy, x, self.params["w"], self.stride, self.padding, 1, need_dx)
        self.grads["w"] += dw
        self.grads["b"] += db
        return dx

    def config(self):
        return {"in_ch": self.in_ch, "out_ch": self.out_ch, "size": self.size,
                "stride": self.stride, "padding": self.padding}

    # -- description
    def param_shapes(self):
        return {"w": (self.out_ch, self.in_ch, self.size, self.size), "b": (self.out_ch,)}

    def param_formula(self):
        f, c, k = self.size, self.in_ch, self.out_ch
        return f"({f}·{f}·{c})·{k} + {k}"

    def _pads(self, h, w):
        """(top, bottom, left, right) for an h x w input; 'same' worked out by engine.padding."""
        return resolve_padding(self.padding, h, w, self.size, self.size, self._strides(), (1, 1))

    def _strides(self):
        return self.stride if isinstance(self.stride, tuple) else (self.stride, self.stride)

    def output_shape(self, in_shape):
        self.check_input_shape(in_shape)
        c, h, w = in_shape
        if c != self.in_ch:
            raise ValueError(f"{self.name} expects {self.in_ch} input channels but gets {c}")
        top, bottom, left, right = self._pads(h, w)
        sh, sw = self._strides()
        ho = window_output_size(h, self.size, sh, top, bottom)
        wo = window_output_size(w, self.size, sw, left, right)
        if ho < 1 or wo < 1:
            raise ValueError(f"a {self.size}x{self.size} kernel does not fit in a {h}x{w} input "
                             f"with padding {self.padding}")
        return (self.out_ch, ho, wo)

    def multiply_adds(self, in_shape):
        k, ho, wo = self.output_shape(in_shape)
        return k * ho * wo * self.in_ch * self.size * self.size

    def window(self, in_shape):
        top, _, left, _ = self._pads(in_shape[1], in_shape[2])
        return Window((self.size, self.size), self._strides(), (top, left))

    @property
    def name(self):
        pad = self.padding if isinstance(self.padding, str) else f"pad {self.padding}"
        stride = "" if self.stride == 1 else f", stride {self.stride}"
        return f"Conv2D({self.in_ch}→{self.out_ch}, {self.size}x{self.size}, {pad}{stride})"

    # -- export
    def to_pytorch(self, in_shape):
        self.output_shape(in_shape)
        top, bottom, left, right = self._pads(in_shape[1], in_shape[2])
        conv = (f"nn.Conv2d({whole(self.in_ch)}, {whole(self.out_ch)}, {whole(self.size)}, "
                f"stride={number(self.stride)}, ")
        weights = (("weight", "param.w", ""), ("bias", "param.b", ""))
        if self.padding == "same" and self.stride == 1:  # PyTorch's 'same' also puts the odd row after
            return TorchCode(conv + f"padding={word(self.padding, PADDING_WORDS)})", weights)
        if top == bottom and left == right:
            return TorchCode(conv + f"padding={number(top if top == left else (top, left))})", weights)
        # 'same' with a stride: PyTorch's own 'same' takes no stride, so pad first, unevenly
        pad = f"nn.ZeroPad2d(({whole(left)}, {whole(right)}, {whole(top)}, {whole(bottom)}))"
        return TorchCode(f"nn.Sequential({pad}, {conv}padding=0))", weights, holder="[1]")

    def to_keras(self, in_shape):
        self.output_shape(in_shape)
        conv = f"layers.Conv2D({whole(self.out_ch)}, {whole(self.size)}, strides={number(self.stride)}, "
        weights = (("param.w", ".transpose(2, 3, 1, 0)"), ("param.b", ""))
        if isinstance(self.padding, str):  # Keras' 'same' is TensorFlow's, which ConvLab follows
            return KerasCode((conv + f"padding={word(self.padding, PADDING_WORDS)})",), weights)
        if self.padding == 0:
            return KerasCode((conv + "padding='valid')",), weights)
        return KerasCode((f"layers.ZeroPadding2D(padding={number(self.padding)})", conv + "padding='valid')"),
                         weights)
