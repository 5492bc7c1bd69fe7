"""Layers of a CNN. Each has forward(x, training=True) and backward(dy), and keeps its
parameters and their gradients in plain dicts `params` and `grads` with the same keys.

Gradients accumulate (+=) until zero_grad(), as in micrograd and PyTorch. forward keeps in
`self.cache` only what backward needs; backward before forward raises a clear error.
Shapes: images x: (N, C, H, W); vectors x: (N, D).
"""

from typing import NamedTuple

import numba
import numpy as np

from engine import _kernels_dropout as KD
from engine import _kernels_dense as KDN
from engine import _kernels_optim as KO
from engine import _kernels_pool as KP
from engine import pool as P
from engine.conv import _conv2d_backward, _pair, _resolve_padding, conv2d
from engine.shapes import window_output_size


class Module:
    """Base class: parameters, gradients, zero_grad, dtype conversion and a readable name."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}  # state that is saved but not trained (batch-norm running statistics)
        self.cache = None

    def parameters(self):
        """(name, value, gradient) for every trainable array."""
        return [(k, self.params[k], self.grads[k]) for k in self.params]

    def zero_grad(self):
        for g in self.grads.values():
            # big ones over the threads, in the blocks each thread fills next (see KO.fill_zero)
            if g.size >= 65536 and g.flags.c_contiguous:
                KO.fill_zero(g.reshape(-1))
            else:
                g[...] = 0

    @property
    def n_params(self):
        return int(sum(p.size for p in self.params.values()))

    def astype(self, dtype):
        for d in (self.params, self.buffers):
            for k in d:
                d[k] = d[k].astype(dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        return self

    def config(self):
        """Constructor arguments, for saving the architecture as JSON."""
        return {}

    def output_shape(self, in_shape):
        """Shape of one output (without the batch axis) for one input of shape in_shape."""
        return tuple(in_shape)

    def _need_cache(self):
        if self.cache is None:
            raise RuntimeError(f"{self.name}: call forward before backward")
        return self.cache

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return self.name


def _init_param(shape, fan_in, fan_out, rng, dtype):
    """Glorot (Xavier) uniform initialisation, Keras' default: U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


class Conv2D(Module):
    """Convolution layer (cross-correlation). x: (N, in_ch, H, W) -> (N, out_ch, H', W'),
    H' = floor((H + 2P - F) / S) + 1; 'same' padding keeps H' = ceil(H / S).

    params: w (out_ch, in_ch, size, size), b (out_ch,); F*F*in_ch*out_ch + out_ch numbers.
    """

    class Cache(NamedTuple):
        x: np.ndarray  # (N, C, H, W), the input, needed for dw

    def __init__(self, in_ch, out_ch, size, stride=1, padding=0, seed=None, dtype=np.float32):
        super().__init__()
        for what, v in (("input channels", in_ch), ("filters", out_ch), ("kernel size", size)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"the number of {what} must be a whole number of at least 1, not {v!r}")
        self.in_ch, self.out_ch, self.size = int(in_ch), int(out_ch), int(size)
        self.stride, self.padding = stride, padding
        _pair(stride, "stride", 1)
        rng = np.random.default_rng(seed)
        self.params = {
            "w": _init_param((out_ch, in_ch, size, size), in_ch * size * size, out_ch * size * size, rng, dtype),
            "b": np.zeros(out_ch, dtype=dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x, training=True):
        out = conv2d(x, self.params["w"], self.params["b"], self.stride, self.padding)
        self.cache = self.Cache(x)
        return out

    def backward(self, dy, need_dx=True):
        """dx (None when need_dx is False: a network's first layer has no use for it)."""
        (x,) = self._need_cache()
        dx, dw, db = _conv2d_backward(dy, x, self.params["w"], self.stride, self.padding, 1, need_dx)
        self.grads["w"] += dw
        self.grads["b"] += db
        return dx

    def config(self):
        return {"in_ch": self.in_ch, "out_ch": self.out_ch, "size": self.size,
                "stride": self.stride, "padding": self.padding}

    def output_shape(self, in_shape):
        c, h, w = in_shape
        if c != self.in_ch:
            raise ValueError(f"{self.name} expects {self.in_ch} input channels but gets {c}")
        s = _pair(self.stride, "stride", 1)
        pads = _resolve_padding(self.padding, h, w, self.size, self.size, s, (1, 1))
        ho = window_output_size(h, self.size, s[0], pads[0], pads[1])
        wo = window_output_size(w, self.size, s[1], pads[2], pads[3])
        if ho < 1 or wo < 1:
            raise ValueError(f"a {self.size}x{self.size} kernel does not fit in a {h}x{w} input "
                             f"with padding {self.padding}")
        return (self.out_ch, ho, wo)

    @property
    def name(self):
        pad = self.padding if isinstance(self.padding, str) else f"pad {self.padding}"
        stride = "" if self.stride == 1 else f", stride {self.stride}"
        return f"Conv2D({self.in_ch}→{self.out_ch}, {self.size}x{self.size}, {pad}{stride})"


class _Pool(Module):
    kind = None

    class Cache(NamedTuple):
        x: np.ndarray    # (N, C, H, W)
        out: np.ndarray  # (N, C, H', W'), for the L2 gradient
        arg: np.ndarray  # (N, C, H', W') int32, where each window's max/min was

    def __init__(self, size=2, stride=None):
        super().__init__()
        _pair(size, "pool size", 1)
        self.size, self.stride = size, stride

    def forward(self, x, training=True):
        out, arg = P._forward(x, self.size, self.stride, self.kind)
        self.cache = self.Cache(np.ascontiguousarray(x), out, arg)
        return out

    def backward(self, dy):
        x, out, arg = self._need_cache()
        fh, fw = _pair(self.size, "pool size", 1)
        sh, sw = _pair(self.stride if self.stride is not None else self.size, "stride", 1)
        dx = np.zeros_like(x)
        KP.pool_backward(np.ascontiguousarray(dy, dtype=x.dtype), x, out, arg, fh, fw, sh, sw, self.kind, dx)
        return dx

    def config(self):
        return {"size": self.size, "stride": self.stride}

    def output_shape(self, in_shape):
        c, h, w = in_shape
        fh, fw = _pair(self.size, "pool size", 1)
        sh, sw = _pair(self.stride if self.stride is not None else self.size, "stride", 1)
        if fh > h or fw > w:
            raise ValueError(f"a {fh}x{fw} pooling window does not fit in a {h}x{w} input")
        return (c, window_output_size(h, fh, sh), window_output_size(w, fw, sw))

    @property
    def name(self):
        stride = "" if self.stride in (None, self.size) else f", stride {self.stride}"
        return f"{type(self).__name__}({self.size}{stride})"


class MaxPool2D(_Pool):
    """Max pooling: x: (N, C, H, W) -> (N, C, floor((H - F)/S) + 1, ...); no parameters."""
    kind = KP.MAX


class AvgPool2D(_Pool):
    """Average pooling: x: (N, C, H, W) -> (N, C, floor((H - F)/S) + 1, ...); no parameters."""
    kind = KP.AVG


class ReLU(Module):
    """max(0, x), elementwise; the gradient passes where x > 0."""

    def forward(self, x, training=True):
        mask = x > 0
        self.cache = mask
        return x * mask

    def backward(self, dy):
        return dy * self._need_cache()


class LeakyReLU(Module):
    """x for x > 0, alpha * x otherwise: a small slope keeps negative units learning."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x, training=True):
        mask = x > 0
        self.cache = mask
        return np.where(mask, x, x * x.dtype.type(self.alpha))

    def backward(self, dy):
        mask = self._need_cache()
        return np.where(mask, dy, dy * dy.dtype.type(self.alpha))

    def config(self):
        return {"alpha": self.alpha}


class Sigmoid(Module):
    """1 / (1 + e^-x); derivative y (1 - y), at most 1/4."""

    def forward(self, x, training=True):
        y = np.empty_like(x)
        pos = x >= 0
        y[pos] = 1 / (1 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        y[~pos] = ex / (1 + ex)
        self.cache = y
        return y

    def backward(self, dy):
        y = self._need_cache()
        return dy * y * (1 - y)


class Tanh(Module):
    """tanh(x); derivative 1 - y^2, at most 1."""

    def forward(self, x, training=True):
        y = np.tanh(x)
        self.cache = y
        return y

    def backward(self, dy):
        y = self._need_cache()
        return dy * (1 - y * y)


class Dropout(Module):
    """Inverted dropout: while training, zero each value with probability p and scale the
    rest by 1 / (1 - p), so that nothing needs rescaling at test time (training=False)."""

    def __init__(self, p=0.5, seed=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"the dropout probability must be at least 0 and below 1, not {p}")
        self.p = float(p)
        self.rng = np.random.default_rng(seed)

    def forward(self, x, training=True):
        if not training or self.p == 0:
            self.cache = np.ones(1, dtype=x.dtype)
            return x
        x = np.ascontiguousarray(x)
        out, mask = np.empty_like(x), np.empty_like(x)
        forward = KD.dropout_forward_parallel if x.size >= KD.PARALLEL_FROM else KD.dropout_forward
        forward(x.reshape(-1), *self.new_mask_key(), out.reshape(-1), mask.reshape(-1))
        self.cache = mask
        return out

    def new_mask_key(self):
        """(key, threshold, scale) for one training batch's mask, as _kernels_dropout takes them:
        a fresh key from the layer's seeded generator, threshold = p * 2**32 (uint32)."""
        key = np.uint32(self.rng.integers(2**32))
        threshold = np.uint32(min(round(self.p * 2**32), 2**32 - 1))
        return key, threshold, 1 / (1 - self.p)

    def backward(self, dy):
        mask = self._need_cache()
        if mask.size < KD.PARALLEL_FROM or dy.shape != mask.shape or dy.dtype != mask.dtype:
            return dy * mask
        dy = np.ascontiguousarray(dy)
        dx = np.empty_like(dy)
        KD.scale_by_mask(dy.reshape(-1), mask.reshape(-1), dx.reshape(-1))
        return dx

    def config(self):
        return {"p": self.p}

    @property
    def name(self):
        return f"Dropout({self.p:g})"


class _BatchNorm(Module):
    """Normalise each channel over the batch, then scale by gamma and shift by beta.

    Training uses the batch's mean and variance and updates running averages; inference
    (training=False) uses the running averages.
    """

    axes = None

    class Cache(NamedTuple):
        xhat: np.ndarray  # the normalised input
        inv_std: np.ndarray  # 1 / sqrt(var + eps), per channel
        training: bool = True  # whether mean and variance came from the batch (they then depend on x)

    def __init__(self, channels, momentum=0.9, eps=1e-5, dtype=np.float32):
        super().__init__()
        self.channels, self.momentum, self.eps = int(channels), float(momentum), float(eps)
        self.params = {"gamma": np.ones(channels, dtype), "beta": np.zeros(channels, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(channels, dtype), "running_var": np.ones(channels, dtype)}

    def _shape(self, v, ndim):
        return v.reshape((1, -1) + (1,) * (ndim - 2))

    def forward(self, x, training=True):
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


class BatchNorm2D(_BatchNorm):
    """Batch norm for images: x: (N, C, H, W), statistics per channel over N, H and W."""
    axes = (0, 2, 3)


class BatchNorm1D(_BatchNorm):
    """Batch norm for vectors: x: (N, D), statistics per feature over N."""
    axes = (0,)


class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W), the bridge from feature maps to dense layers."""

    def forward(self, x, training=True):
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(self._need_cache())

    def output_shape(self, in_shape):
        return (int(np.prod(in_shape)),)


def _two_threads_pay(x, w):
    """Whether a dense layer's products go to the two-thread kernels: this thread may use
    two (see engine/nn/train.py), the products are big enough (a million multiply-adds,
    about 15 us on one thread, the digit network's first layer from batch 5 on) and of one
    float dtype, which is what those kernels take."""
    return (KDN.HAVE_BLAS and numba.get_num_threads() > 1 and x.shape[0] >= 2
            and x.shape[0] * w.size >= 1_000_000 and x.dtype == w.dtype
            and w.dtype in (np.float32, np.float64) and w.flags.c_contiguous)


class Dense(Module):
    """Fully connected: x: (N, n_in) -> x @ w + b: (N, n_out); n_in*n_out + n_out numbers."""

    class Cache(NamedTuple):
        x: np.ndarray  # (N, n_in), needed for dw
        halves: tuple = None  # x's two halves, when the two threads split the inputs

    def __init__(self, n_in, n_out, seed=None, dtype=np.float32):
        super().__init__()
        for what, v in (("inputs", n_in), ("outputs", n_out)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"the number of {what} of a dense layer must be at least 1, not {v!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        rng = np.random.default_rng(seed)
        self.params = {"w": _init_param((n_in, n_out), n_in, n_out, rng, dtype), "b": np.zeros(n_out, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x, training=True):
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"{self.name} expects inputs of shape (N, {self.n_in}), not {x.shape}"
                             + (" (add a Flatten layer before it)" if x.ndim > 2 else ""))
        w, b = self.params["w"], self.params["b"]
        if not _two_threads_pay(x, w) or b.dtype != w.dtype:
            self.cache = self.Cache(x)
            return x @ w + b
        n, h = x.shape[0], self.n_in // 2
        out = np.empty((n, self.n_out), dtype=w.dtype)
        if n <= KDN.SPLIT_INPUTS_UP_TO and h >= 1:
            halves = (np.empty((n, h), dtype=w.dtype), np.empty((n, self.n_in - h), dtype=w.dtype))
            part = np.empty((2, n, self.n_out), dtype=w.dtype)
            KDN.forward_split_inputs(x, w, b, *halves, part, out)
            self.cache = self.Cache(x, halves)
            return out
        self.cache = self.Cache(x)
        KDN.matmul_split_rows(np.ascontiguousarray(x), w, out)
        out += b
        return out

    def backward(self, dy):
        x, halves = self._need_cache()
        w = self.params["w"]
        gw = self.grads["w"]
        two_threads = (_two_threads_pay(x, w) and dy.dtype == w.dtype and gw.dtype == w.dtype
                       and gw.flags.c_contiguous)
        if two_threads and halves is not None:
            xa, xb = halves
            dx = np.empty(x.shape, dtype=w.dtype)
            scratch = [np.empty_like(xa), np.empty_like(xb),
                       np.empty((xa.shape[1], self.n_out), dtype=w.dtype),
                       np.empty((xb.shape[1], self.n_out), dtype=w.dtype)]
            KDN.backward_split_inputs(xa, xb, np.ascontiguousarray(dy), w, gw, dx, *scratch)
        else:
            if two_threads:
                dx, dw = np.empty(x.shape, dtype=w.dtype), np.empty_like(w)
                KDN.dense_backward(np.ascontiguousarray(x), np.ascontiguousarray(dy), w, dx, dw)
            else:
                # np.dot, not @: with a batch of one, matmul skips BLAS (five times slower here)
                dx, dw = dy @ w.T, np.dot(x.T, dy)
            self.grads["w"] += dw
        self.grads["b"] += dy.sum(axis=0)
        return dx

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out}

    def output_shape(self, in_shape):
        if tuple(in_shape) != (self.n_in,):
            raise ValueError(f"{self.name} expects {self.n_in} inputs but gets shape {tuple(in_shape)}")
        return (self.n_out,)

    @property
    def name(self):
        return f"Dense({self.n_in}→{self.n_out})"


LAYER_TYPES = {cls.__name__: cls for cls in (
    Conv2D, MaxPool2D, AvgPool2D, ReLU, LeakyReLU, Sigmoid, Tanh, Dropout,
    BatchNorm2D, BatchNorm1D, Flatten, Dense)}
