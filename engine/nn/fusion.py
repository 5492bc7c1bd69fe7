"""How Sequential runs its layers: as a list of steps.

A step covers one or more consecutive layers and has forward(x, training, checked) -> output
(checked: x is known to be finite, so a step need not look again),
backward(dy) -> dx and `outputs`, the list of outputs of each layer it covers after the
last forward (for Sequential.activations). Most layers are their own step. The pattern every
small CNN repeats, Conv2D (stride 1) -> ReLU -> MaxPool2D(2), with the Dropout that often
follows, runs as one fused step that gives the same output and leaves the same gradients in
the convolution's `grads` as the layers would. So does ReLU -> Dropout, as after a hidden
dense layer.
"""

import math

import numba
import numpy as np

from engine._kernels import dropout as dropout_kernels
from engine._kernels import fused as fused_kernels
from engine.arguments import as_float_array, check_finite
from engine.padding import flat_padded_empty, resolve_padding
from engine.nn.layers import Conv2D, Dropout, MaxPool2D, ReLU
from engine.nn.layers.base import FLOATS


# Inference keeps the convolution's maps of up to this many images, for the pages that show
# them; evaluating 10,000 digits in batches of 256 took 0.15 s instead of 0.20 s without them.
KEEP_MAPS_UP_TO = 16


def _aligned_empty(shape, dtype, zero=False):
    """np.empty (or np.zeros) of shape and dtype, starting on a 64-byte cache line.

    For the kernels' scratch: NumPy starts arrays on 16 bytes, so a 512-bit load or store of a
    map row could straddle two cache lines. Aligned, the batch-64 kernels ran 6-10% faster
    (both forwards 0.54-0.59 ms instead of 0.60-0.64, the second layer's backward 0.36-0.38
    instead of 0.39-0.40; three alternating runs), and scoring the 10,000 test digits took
    0.121-0.124 s instead of 0.130-0.132.
    """
    itemsize = np.dtype(dtype).itemsize
    size = math.prod(shape)
    buf = (np.zeros if zero else np.empty)(size + 64 // itemsize, dtype)
    start = (-buf.__array_interface__["data"][0] % 64) // itemsize
    return buf[start:start + size].reshape(shape)


def _real(dy):
    """dy, refused with a sentence unless it holds real numbers (a cast would drop an imaginary part)."""
    if isinstance(dy, np.ndarray) and dy.dtype in FLOATS:
        return dy
    return as_float_array(dy, "upstream gradient")


def _threads(n):
    """How many parts the kernels split n images into: one per thread of Numba's pool, however
    many of them this step may use (engine.runtime picks one or all), so that the partial
    gradients, and their sums, are the same whichever number of threads runs them."""
    return max(1, min(numba.config.NUMBA_NUM_THREADS, n))


class LayerStep:
    """One layer run on its own."""

    def __init__(self, layer):
        self.layers = [layer]
        self.outputs = [None]

    def forward(self, x, training=True, checked=False):
        out = self.layers[0].forward(x, training)
        self.outputs[0] = out
        return out

    @property
    def last_output(self):
        return self.outputs[0]

    def backward(self, dy, need_dx=True):
        layer = self.layers[0]
        if not need_dx and isinstance(layer, Conv2D):
            return layer.backward(dy, need_dx=False)
        return layer.backward(dy)


class ConvReluPoolStep:
    """Conv2D (stride 1) -> ReLU -> MaxPool2D(2, stride 2) [-> Dropout], image by image in one
    kernel.

    x: (N, C, H, W) -> (N, K, Ho // 2, Wo // 2), where (Ho, Wo) is the convolution's output.
    The dropout draws its key from the Dropout layer's generator, as the layer would, so its
    masks are the layer's; the layer's own `cache` is left alone.
    """

    def __init__(self, conv, relu, pool, dropout=None):
        self.layers = [conv, relu, pool] + ([dropout] if dropout is not None else [])
        self._dropout = dropout
        self._saved = None              # what backward needs after a fused forward
        self._outputs = [None] * len(self.layers)  # each layer's output after an unfused forward
        self._z = self._pooled = None   # the convolution's output and the step's output
        self._maps = None               # `outputs` after a fused forward, once asked for

    @staticmethod
    def matches(layers):
        if len(layers) < 3:
            return False
        conv, relu, pool = layers[:3]
        return (isinstance(conv, Conv2D) and conv.stride in (1, (1, 1))
                and type(relu) is ReLU
                and isinstance(pool, MaxPool2D) and pool.size in (2, (2, 2))
                and pool.stride in (None, 2, (2, 2)))

    def forward(self, x, training=True, checked=False):
        """checked: x is known to hold no NaN or infinity (the model checked its input)."""
        conv = self.layers[0]
        x = np.asarray(x)
        if conv.weightless or x.ndim != 4 or x.shape[1] != conv.in_ch:
            return self._unfused_forward(x, training)  # the layers explain what is wrong
        w, b = conv.params["w"], conv.params["b"]
        f = conv.size
        pads = resolve_padding(conv.padding, x.shape[2], x.shape[3], f, f, (1, 1), (1, 1))
        ho = x.shape[2] + pads[0] + pads[1] - f + 1
        wo = x.shape[3] + pads[2] + pads[3] - f + 1
        if ho < 2 or wo < 2:
            return self._unfused_forward(x, training)
        dtype = np.result_type(x.dtype, w.dtype)
        x = x.astype(dtype, copy=False)
        if not checked:
            check_finite(x, "input")
        # copies: the optimizer changes the weights in place before anyone asks for `outputs`
        w, b = w.astype(dtype), b.astype(dtype)
        x = np.ascontiguousarray(x)
        xpf, wp = flat_padded_empty(x.shape, pads, f, 1, dtype)  # the kernel pads into it
        n, k = x.shape[0], w.shape[0]
        # training and big batches (evaluation) never look at the convolution's own output:
        # one scratch map per thread, and `outputs` redoes it if asked
        threads = _threads(n)
        keep = not training and n <= KEEP_MAPS_UP_TO
        zw = _aligned_empty((n if keep else threads, k, ho * wp), dtype)
        pooled = np.empty((n, k, ho // 2, wo // 2), dtype=dtype)
        arg = np.empty(pooled.shape, dtype=np.int32)
        drop = self._dropout
        key, threshold, scale = np.uint32(0), np.uint32(0), 1.0  # threshold 0: no dropout
        if training and drop is not None and drop.p > 0:
            key, threshold, scale = drop.new_mask_key()
        fused_kernels.conv_relu_maxpool2_forward(x, pads[0], pads[2], xpf, w, b, wp, threads, zw, pooled, arg,
                                      key, threshold, scale)
        self._saved = (x.shape, pads, (ho, wo), xpf, wp, w, b, arg, scale)
        self._outputs = self._maps = None
        self._z = zw.reshape(n, k, ho, wp)[:, :, :, :wo] if keep else None
        self._pooled = pooled
        return pooled

    def _unfused_forward(self, x, training):
        self._saved, self._outputs = None, []
        for layer in self.layers:
            x = layer.forward(x, training)
            self._outputs.append(x)
        return x

    @property
    def last_output(self):
        return self._pooled if self._outputs is None else self._outputs[-1]

    @property
    def outputs(self):
        """[convolution output, after ReLU, after pooling(, after dropout)] from the last forward."""
        if self._outputs is not None:
            return self._outputs
        if self._maps is None:
            z, pooled = self._z, self._pooled
            if z is None:  # a training forward kept only its output: redo the convolution
                (n, c, _, _), _, (ho, wo), xpf, wp, w, b, arg, _ = self._saved
                zw = np.empty((n, w.shape[0], ho * wp), dtype=xpf.dtype)
                pooled = np.empty_like(self._pooled)  # before the dropout
                no_images = np.empty((0, c, 1, 1), dtype=xpf.dtype)  # xpf holds them padded already
                fused_kernels.conv_relu_maxpool2_forward(no_images, 0, 0, xpf, w, b, wp, _threads(n), zw, pooled,
                                              np.empty_like(arg), np.uint32(0), np.uint32(0), 1.0)
                z = self._z = zw.reshape(n, -1, ho, wp)[:, :, :, :wo]
            self._maps = [z, np.maximum(z, 0), pooled] + ([self._pooled] if self._dropout is not None else [])
        return self._maps

    def backward(self, dy, need_dx=True):
        if self._saved is None:
            conv, relu, pool = self.layers[:3]
            if self._dropout is not None:
                dy = self._dropout.backward(dy)
            return conv.backward(relu.backward(pool.backward(dy)), need_dx=need_dx)
        (n, c, h, width), pads, _, xpf, wp, w, _, arg, scale = self._saved
        dy = np.ascontiguousarray(_real(dy), dtype=xpf.dtype)
        if dy.shape != arg.shape:
            raise ValueError(f"the upstream gradient must have the output's shape {arg.shape}, not {dy.shape}")
        threads = _threads(n)
        k, _, fh, fw = w.shape
        dtype = xpf.dtype
        # one spare row per thread: the threads' shares never meet on a cache line
        db_part = np.zeros((threads, k + 16), dtype=dtype)
        conv = self.layers[0]
        if not need_dx:
            dw_part = np.zeros((threads, k + 1, c, fh, fw), dtype=dtype)
            dz_part = _aligned_empty((threads, 4, xpf.shape[2]), dtype, zero=True)
            fused_kernels.conv_relu_maxpool2_weight_grad(dy, arg, xpf, wp, scale, dw_part, db_part, dz_part)
            conv.grads["w"] += dw_part[:, :k].sum(axis=0)
            conv.grads["b"] += db_part[:, :k].sum(axis=0)
            return None
        # channels-last weights: a kernel row's taps over all channels become contiguous
        wcl = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(k, fh, fw * c)
        dw_part = _aligned_empty((threads, k + 1, fh, fw * c), dtype, zero=True)
        scratch = _aligned_empty((2, threads, xpf.shape[2] * c), dtype)
        dx = np.empty((n, c, h, width), dtype=dtype)
        pads_tl = np.array([pads[0], pads[2]], dtype=np.int64)
        fused_kernels.conv_relu_maxpool2_backward(dy, arg, xpf, wcl, wp, pads_tl, scale, dx, dw_part, db_part,
                                       scratch[0], scratch[1])
        conv.grads["w"] += dw_part[:, :k].sum(axis=0).reshape(k, fh, fw, c).transpose(0, 3, 1, 2)
        conv.grads["b"] += db_part[:, :k].sum(axis=0)
        return dx


class ReluDropoutStep:
    """ReLU -> Dropout in one pass forward and one backward. x: any shape, float32 or float64.

    The mask is the Dropout layer's for the key drawn from its generator; the backward reads
    it back from the output, which is positive exactly where a positive value was kept. The two
    layers' own caches are left alone, as in ConvReluPoolStep: run the step, not the layers. At
    batch 64 after the digit network's hidden layer: 0.03 ms a step forward and backward,
    against 0.063 ms for the two layers, whose four passes each made a new array.
    """

    def __init__(self, relu, dropout):
        self.layers = [relu, dropout]
        self._x = self._out = None
        self._scale = 1.0
        self._outputs = None  # each layer's output after an unfused forward

    @staticmethod
    def matches(layers):
        return len(layers) >= 2 and type(layers[0]) is ReLU and type(layers[1]) is Dropout

    def forward(self, x, training=True, checked=False):
        x = np.ascontiguousarray(x)
        if x.dtype not in (np.float32, np.float64):  # the layers say what they make of it
            self._outputs = []
            for layer in self.layers:
                x = layer.forward(x, training)
                self._outputs.append(x)
            return x
        drop = self.layers[1]
        key, threshold, scale = np.uint32(0), np.uint32(0), 1.0  # threshold 0: no dropout
        if training and drop.p > 0:
            key, threshold, scale = drop.new_mask_key()
        out = np.empty_like(x)
        kernel = (dropout_kernels.relu_dropout_forward_parallel if x.size >= dropout_kernels.PARALLEL_FROM
                  else dropout_kernels.relu_dropout_forward)
        kernel(x.reshape(-1), key, threshold, scale, out.reshape(-1))
        self._x, self._out, self._scale, self._outputs = x, out, scale, None
        return out

    @property
    def last_output(self):
        return self._out if self._outputs is None else self._outputs[-1]

    @property
    def outputs(self):
        """[after ReLU, after dropout] from the last forward."""
        if self._outputs is not None:
            return self._outputs
        if self._x is None:
            return [None, None]
        return [self._x * (self._x > 0), self._out]

    def backward(self, dy, need_dx=True):
        if self._outputs is not None:
            return self.layers[0].backward(self.layers[1].backward(dy))
        if self._out is None:
            raise RuntimeError("ReLU: call forward before backward")
        out = self._out
        dy = np.ascontiguousarray(_real(dy), dtype=out.dtype)
        if dy.shape != out.shape:
            raise ValueError(f"the upstream gradient must have the output's shape {out.shape}, not {dy.shape}")
        dx = np.empty_like(out)
        kernel = (dropout_kernels.relu_dropout_backward_parallel if dy.size >= dropout_kernels.PARALLEL_FROM
                  else dropout_kernels.relu_dropout_backward)
        kernel(dy.reshape(-1), out.reshape(-1), self._scale, dx.reshape(-1))
        return dx


def group(layers):
    """The steps that run these layers in order."""
    steps, i = [], 0
    while i < len(layers):
        if ConvReluPoolStep.matches(layers[i:]):
            n = 4 if len(layers) > i + 3 and type(layers[i + 3]) is Dropout else 3
            steps.append(ConvReluPoolStep(*layers[i:i + n]))
            i += n
        elif ReluDropoutStep.matches(layers[i:]):
            steps.append(ReluDropoutStep(*layers[i:i + 2]))
            i += 2
        else:
            steps.append(LayerStep(layers[i]))
            i += 1
    return steps
