"""The default digit network's training step in plain NumPy (im2col + BLAS), for comparison.

Same layers, same Adam update as engine.nn; written for clarity, the way one would without Numba.
"""

import numpy as np


def im2col(x, f, pad):
    """x: (N, C, H, W) -> columns (N*H*W, C*f*f) for a 'same' convolution with stride 1."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (f, f), axis=(2, 3))  # N, C, H, W, f, f
    return cols.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * f * f)


def col2im(cols, shape, f, pad):
    n, c, h, w = shape
    cols = cols.reshape(n, h, w, c, f, f)
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), cols.dtype)
    for p in range(f):
        for q in range(f):
            xp[:, :, p:p + h, q:q + w] += cols[:, :, :, :, p, q].transpose(0, 3, 1, 2)
    return xp[:, :, pad:pad + h, pad:pad + w]


class NumpyDigitNet:
    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)

        def glorot(shape, fan_in, fan_out):
            lim = np.sqrt(6 / (fan_in + fan_out))
            return rng.uniform(-lim, lim, shape).astype(np.float32)

        self.p = {
            "w1": glorot((8, 1 * 25), 25, 200), "b1": np.zeros(8, np.float32),
            "w2": glorot((16, 8 * 9), 72, 144), "b2": np.zeros(16, np.float32),
            "w3": glorot((784, 256), 784, 256), "b3": np.zeros(256, np.float32),
            "w4": glorot((256, 10), 256, 10), "b4": np.zeros(10, np.float32),
        }
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0
        self.rng = rng

    def _conv_relu_pool(self, x, w, b, f):
        n, c, h, wd = x.shape
        cols = im2col(x, f, f // 2)
        z = (cols @ w.T + b).reshape(n, h, wd, -1).transpose(0, 3, 1, 2)
        a = np.maximum(z, 0)
        k = a.shape[1]
        win = a.reshape(n, k, h // 2, 2, wd // 2, 2)
        out = win.max(axis=(3, 5))
        mask = (win == out[:, :, :, None, :, None])
        return out, (cols, z, mask, x.shape)

    def _back_conv_relu_pool(self, dout, cache, w, f, need_dx):
        cols, z, mask, shape = cache
        n, k = dout.shape[:2]
        h, wd = z.shape[2:]
        da = (mask * dout[:, :, :, None, :, None]).reshape(n, k, h, wd) * (z > 0)
        dz = da.transpose(0, 2, 3, 1).reshape(-1, k)
        dw = dz.T @ cols
        db = dz.sum(0)
        dx = col2im(dz @ w, shape, f, f // 2) if need_dx else None
        return dx, dw, db

    def _dropout(self, x, p):
        mask = (self.rng.random(x.shape, dtype=np.float32) >= p) / np.float32(1 - p)
        return x * mask, mask

    def train_step(self, x, y, lr=1e-3):
        p = self.p
        a1, c1 = self._conv_relu_pool(x, p["w1"], p["b1"], 5)
        a1, d1 = self._dropout(a1, 0.25)
        a2, c2 = self._conv_relu_pool(a1, p["w2"], p["b2"], 3)
        a2, d2 = self._dropout(a2, 0.25)
        flat = a2.reshape(len(x), -1)
        h = flat @ p["w3"] + p["b3"]
        hr = np.maximum(h, 0)
        hd, d3 = self._dropout(hr, 0.5)
        logits = hd @ p["w4"] + p["b4"]
        z = logits - logits.max(1, keepdims=True)
        prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        loss = -np.log(prob[np.arange(len(y)), y]).mean()
        g = prob
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        grads = {"w4": hd.T @ g, "b4": g.sum(0)}
        dh = (g @ p["w4"].T) * d3 * (h > 0)
        grads["w3"], grads["b3"] = flat.T @ dh, dh.sum(0)
        da2 = (dh @ p["w3"].T).reshape(a2.shape) * d2
        da1, grads["w2"], grads["b2"] = self._back_conv_relu_pool(da2, c2, p["w2"], 3, True)
        _, grads["w1"], grads["b1"] = self._back_conv_relu_pool(da1 * d1, c1, p["w1"], 5, False)
        self.t += 1
        for k in p:
            self.m[k] = 0.9 * self.m[k] + 0.1 * grads[k]
            self.v[k] = 0.999 * self.v[k] + 0.001 * grads[k] ** 2
            mh = self.m[k] / (1 - 0.9 ** self.t)
            vh = self.v[k] / (1 - 0.999 ** self.t)
            p[k] -= lr * mh / (np.sqrt(vh) + 1e-8)
        return float(loss)
