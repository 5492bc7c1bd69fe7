"""The explanation views' computations (engine.explain) against plain NumPy, in one run.

    make bench            (runs this after bench_engine.py)

Prints median times of
- the top-9 patches of all 16 filters of the digit network's second convolution over the
  10,000 test digits (the bar: under 1 s),
- an occlusion map of one 28 x 28 digit with a 5 x 5 square at stride 1: 576 forward passes,
  batched (the bar: under 100 ms), and the same passes one image at a time,
each beside a plain NumPy version (im2col + BLAS) that computes the same numbers, checked equal.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from bench_engine import interleaved_ms  # noqa: E402  (imports PyTorch too, when it is installed)
from engine import datasets, explain, nn  # noqa: E402
from engine.nn.losses import softmax  # noqa: E402
from numpy_digit_net import im2col  # noqa: E402

BATCH = 500


class NumpyForward:
    """The digit network's inference forward pass in plain NumPy, on the pretrained weights."""

    def __init__(self, model):
        conv1, conv2, dense1, dense2 = (model.layers[i] for i in (0, 4, 9, 12))
        self.w1, self.b1 = conv1.params["w"].reshape(8, -1), conv1.params["b"]
        self.w2, self.b2 = conv2.params["w"].reshape(16, -1), conv2.params["b"]
        self.w3, self.b3 = dense1.params["w"], dense1.params["b"]
        self.w4, self.b4 = dense2.params["w"], dense2.params["b"]

    @staticmethod
    def conv(x, w, b, f):
        n, _, h, wd = x.shape
        return (im2col(x, f, f // 2) @ w.T + b).reshape(n, h, wd, -1).transpose(0, 3, 1, 2)

    @staticmethod
    def relu_pool(z):
        n, k, h, w = z.shape
        return np.maximum(z, 0).reshape(n, k, h // 2, 2, w // 2, 2).max(axis=(3, 5))

    def second_conv(self, x):
        return self.conv(self.relu_pool(self.conv(x, self.w1, self.b1, 5)), self.w2, self.b2, 3)

    def probabilities(self, x):
        a = self.relu_pool(self.second_conv(x)).reshape(len(x), -1)
        h = np.maximum(a @ self.w3 + self.b3, 0)
        return softmax(h @ self.w4 + self.b4)


def numpy_top_patches(net, x, k=9, r=10):
    """Top-k images per filter by their strongest unit, and the r x r pixels around that unit
    (unit (i, j) of the second convolution sees rows 2i - 4 .. 2i + 5)."""
    maxima, where = [], []
    for start in range(0, len(x), BATCH):
        z = net.second_conv(x[start:start + BATCH])
        flat = z.reshape(z.shape[0], z.shape[1], -1)
        maxima.append(flat.max(axis=2))
        where.append(flat.argmax(axis=2))
    maxima, where = np.concatenate(maxima), np.concatenate(where)
    order = np.argsort(-maxima, axis=0, kind="stable")[:k].T
    padded = np.pad(x[np.unique(order)], ((0, 0), (0, 0), (r, r), (r, r)))
    slot = {i: s for s, i in enumerate(np.unique(order))}
    patches = np.empty(order.shape + (1, r, r), x.dtype)
    for f, j in np.ndindex(order.shape):
        i = order[f, j]
        row, col = divmod(int(where[i, f]), 14)
        top, left = 2 * row - 4 + r, 2 * col - 4 + r
        patches[f, j] = padded[slot[i], :, top:top + r, left:left + r]
    return order, patches


def numpy_occlusion(net, image, target, size=5, stride=1, fill=0.5):
    h, w = image.shape[1:]
    tops = np.arange(0, h - size + 1, stride)
    lefts = np.arange(0, w - size + 1, stride)
    batch = np.repeat(image[None], len(tops) * len(lefts), axis=0)
    for i, (top, left) in enumerate((t, c) for t in tops for c in lefts):
        batch[i, :, top:top + size, left:left + size] = fill
    base = net.probabilities(image[None])[0, target]
    return (base - net.probabilities(batch)[:, target]).reshape(len(tops), len(lefts))


def main():
    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz")
    _, _, x_test, y_test = datasets.load_digits()
    net = NumpyForward(model)
    digit, label = x_test[0], int(y_test[0])

    ours = explain.top_patches(model, x_test, layer=4, k=9)
    order, patches = numpy_top_patches(net, x_test)
    assert (ours.indices == order).all() and np.array_equal(ours.patches, patches), "top patches differ"
    occ = explain.occlusion_map(model, digit, label, size=5, stride=1)
    np.testing.assert_allclose(occ.drop, numpy_occlusion(net, digit, label), atol=1e-5)

    print("What the network learned: engine.explain against plain NumPy (ms, median)", flush=True)
    print(f"{'':<58} {'engine':>9} {'numpy':>9} {'eng/np':>8}")
    print("-" * 87)
    top_ms = interleaved_ms([lambda: explain.top_patches(model, x_test, layer=4, k=9),
                             lambda: numpy_top_patches(net, x_test)], rounds=4, repeat=3, warmup=1)
    print(f"{'top-9 patches, 16 filters of conv 2, 10,000 digits':<58} {top_ms[0]:>9.1f} {top_ms[1]:>9.1f} "
          f"{top_ms[0] / top_ms[1]:>8.2f}   (bar: engine under 1000)", flush=True)

    def one_at_a_time():
        explain.occlusion_map(model, digit, label, size=5, stride=1, batch_size=1)

    occ_ms = interleaved_ms([lambda: explain.occlusion_map(model, digit, label, size=5, stride=1),
                             lambda: numpy_occlusion(net, digit, label), one_at_a_time], rounds=6, repeat=5)
    print(f"{'occlusion map, 28x28 digit, 5x5 square, stride 1 (576)':<58} {occ_ms[0]:>9.1f} {occ_ms[1]:>9.1f} "
          f"{occ_ms[0] / occ_ms[1]:>8.2f}   (bar: engine under 100)")
    print(f"{'  the same 576 passes one image at a time (engine)':<58} {occ_ms[2]:>9.1f}")


if __name__ == "__main__":
    main()
