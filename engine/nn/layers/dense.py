"""Dense: a fully connected layer, x @ w + b."""

from typing import NamedTuple

import numba
import numpy as np

from engine._kernels import dense as dense_kernels
from engine.arguments import whole_number
from engine.nn.layers.base import Module, glorot_uniform, register
from engine.nn.layers.codegen import KerasCode, TorchCode, whole


def _two_threads_pay(x, w):
    """Whether a dense layer's products go to the two-thread kernels: Numba's pool has two
    threads (whether this step may use both or one, see engine.runtime, the kernels and so the
    sums are the same: on one thread their two halves run one after the other), the products are big enough
    (a million multiply-adds, about 15 us on one thread, the digit network's first layer from
    batch 5 on) and of one float dtype, which is what those kernels take."""
    return (dense_kernels.HAVE_BLAS and numba.config.NUMBA_NUM_THREADS > 1 and x.shape[0] >= 2
            and x.shape[0] * w.size >= 1_000_000 and x.dtype == w.dtype
            and w.dtype in (np.float32, np.float64) and w.flags.c_contiguous)


@register
class Dense(Module):
    """Fully connected: x: (N, n_in) -> x @ w + b: (N, n_out).

    params: w (n_in, n_out), b (n_out,): n_in·n_out + n_out numbers.
    backward() adds to the gradients, as every layer's does; but from zero_grad() to the next
    backward() the layer takes its weight gradient to hold zeros, and the big kernels write the
    new gradient into it instead of adding (a training step's case: two passes over 200,960
    values fewer for the digit network). Set grads by hand after backward, not in between.
    """

    input_kind = "vector"
    options = ("n_out",)

    class Cache(NamedTuple):
        x: np.ndarray  # (N, n_in), needed for dw
        halves: tuple = None  # x's two halves, when the two threads split the inputs

    def __init__(self, n_in, n_out, seed=None, dtype=np.float32, weights=True):
        super().__init__()
        self.n_in = whole_number(n_in, "number of inputs of a dense layer", 1)
        self.n_out = whole_number(n_out, "number of outputs of a dense layer", 1)
        rng = np.random.default_rng(seed)
        n_in, n_out = self.n_in, self.n_out
        self._new_weights(weights, lambda: {"w": glorot_uniform((n_in, n_out), n_in, n_out, rng, dtype),
                                            "b": np.zeros(n_out, dtype)}, dtype=dtype)

    @classmethod
    def for_input(cls, in_shape, weights=True, n_out=10, **options):
        cls.check_input_shape(in_shape)
        return cls(in_shape[0], n_out, weights=weights, **options)

    def zero_grad(self):
        super().zero_grad()
        self._fresh_grads = self.grads.get("w")  # which array holds zeros now

    def forward(self, x, training=True):
        self._need_weights()
        x = self._input(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"{self.name} expects inputs of shape (N, {self.n_in}), not {x.shape}"
                             + (" (add a Flatten layer before it)" if x.ndim > 2 else ""))
        w, b = self.params["w"], self.params["b"]
        if not _two_threads_pay(x, w) or b.dtype != w.dtype:
            self.cache = self.Cache(x)
            return x @ w + b
        n, h = x.shape[0], self.n_in // 2
        out = np.empty((n, self.n_out), dtype=w.dtype)
        if n <= dense_kernels.SPLIT_INPUTS_UP_TO and h >= 1:
            halves = (np.empty((n, h), dtype=w.dtype), np.empty((n, self.n_in - h), dtype=w.dtype))
            part = np.empty((2, n, self.n_out), dtype=w.dtype)
            dense_kernels.forward_split_inputs(x, w, b, *halves, part, out)
            self.cache = self.Cache(x, halves)
            return out
        self.cache = self.Cache(x)
        dense_kernels.matmul_split_rows(np.ascontiguousarray(x), w, out)
        out += b
        return out

    def backward(self, dy):
        x, halves = self._need_cache()
        dy = self._gradient(dy, (x.shape[0], self.n_out))  # the kernels trust its shape
        w = self.params["w"]
        gw = self.grads["w"]
        fresh = getattr(self, "_fresh_grads", None) is gw
        self._fresh_grads = None
        two_threads = (_two_threads_pay(x, w) and dy.dtype == w.dtype and gw.dtype == w.dtype
                       and gw.flags.c_contiguous)
        if two_threads and halves is not None:
            xa, xb = halves
            dx = np.empty(x.shape, dtype=w.dtype)
            scratch = [np.empty_like(xa), np.empty_like(xb),
                       np.empty((xa.shape[1], self.n_out), dtype=w.dtype),
                       np.empty((xb.shape[1], self.n_out), dtype=w.dtype)]
            dense_kernels.backward_split_inputs(xa, xb, np.ascontiguousarray(dy), w, gw, dx, *scratch, fresh)
        else:
            if two_threads:
                dx, dw = np.empty(x.shape, dtype=w.dtype), (gw if fresh else np.empty_like(w))
                dense_kernels.dense_backward(np.ascontiguousarray(x), np.ascontiguousarray(dy), w, dx, dw)
            else:
                # np.dot, not @: with a batch of one, matmul skips BLAS (five times slower here)
                dx, dw = dy @ w.T, np.dot(x.T, dy)
            if dw is not gw:
                gw += dw
        self.grads["b"] += dy.sum(axis=0)
        return dx

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out}

    def param_shapes(self):
        return {"w": (self.n_in, self.n_out), "b": (self.n_out,)}

    def param_formula(self):
        return f"{self.n_in}·{self.n_out} + {self.n_out}"

    def output_shape(self, in_shape):
        self.check_input_shape(in_shape)
        if tuple(in_shape) != (self.n_in,):
            raise ValueError(f"{self.name} expects {self.n_in} inputs but gets {in_shape[0]}")
        return (self.n_out,)

    def multiply_adds(self, in_shape):
        self.output_shape(in_shape)
        return self.n_in * self.n_out

    def window(self, in_shape):
        return None

    @property
    def name(self):
        return f"Dense({self.n_in}→{self.n_out})"

    def to_pytorch(self, in_shape):
        self.output_shape(in_shape)
        return TorchCode(f"nn.Linear({whole(self.n_in)}, {whole(self.n_out)})",
                         (("weight", "param.w", ".T.copy()"), ("bias", "param.b", "")))

    def to_keras(self, in_shape):
        self.output_shape(in_shape)
        return KerasCode((f"layers.Dense({whole(self.n_out)})",), (("param.w", ""), ("param.b", "")))
