"""Slow, obviously right references: plain loops that anyone can check by eye.

The fast engine ops are tested against these on random shapes.
"""

import numpy as np

# --- convolution ---


def conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1)):
    """out[n,k,i,j] = b[k] + sum_{c,p,q} w[k,c,p,q] * xpad[n,c,i*sh+p*dh,j*sw+q*dw]."""
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    top, bottom, left, right = pads
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top:top + H, left:left + W] = x
    sh, sw = stride
    dh, dw = dilation
    Ho = (xp.shape[2] - dh * (FH - 1) - 1) // sh + 1
    Wo = (xp.shape[3] - dw * (FW - 1) - 1) // sw + 1
    out = np.zeros((N, K, Ho, Wo))
    for n in range(N):
        for k in range(K):
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0 if b is None else b[k]
                    for c in range(C):
                        for p in range(FH):
                            for q in range(FW):
                                total += w[k, c, p, q] * xp[n, c, i * sh + p * dh, j * sw + q * dw]
                    out[n, k, i, j] = total
    return out


def pad2d(x, pads, mode):
    """Pad an (H, W) grid cell by cell: each padded cell looks up its source in the input."""
    top, bottom, left, right = pads
    H, W = x.shape
    out = np.zeros((H + top + bottom, W + left + right))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            r, c = i - top, j - left
            if mode == "zero":
                out[i, j] = x[r, c] if 0 <= r < H and 0 <= c < W else 0
                continue
            if mode == "replicate":
                r, c = min(max(r, 0), H - 1), min(max(c, 0), W - 1)
            elif mode == "circular":
                r, c = r % H, c % W
            elif mode == "reflect":
                r = -r if r < 0 else (2 * (H - 1) - r if r >= H else r)
                c = -c if c < 0 else (2 * (W - 1) - c if c >= W else c)
            out[i, j] = x[r, c]
    return out


def conv1d_full(x, w):
    """y[i] = sum_k x[k] * w[i - k], for every i where the two overlap."""
    n, m = len(x), len(w)
    y = np.zeros(n + m - 1)
    for i in range(n + m - 1):
        for k in range(n):
            if 0 <= i - k < m:
                y[i] += x[k] * w[i - k]
    return y


# --- pooling and layers ---


def pool2d(x, size, stride, kind):
    """out[n,c,i,j] = reduce(x[n, c, i*s : i*s+f, j*s : j*s+f]) for reduce in max/avg/min/sum/l2."""
    N, C, H, W = x.shape
    fh, fw = size
    sh, sw = stride
    Ho, Wo = (H - fh) // sh + 1, (W - fw) // sw + 1
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = [x[n, c, i * sh + p, j * sw + q] for p in range(fh) for q in range(fw)]
                    if kind == "max":
                        out[n, c, i, j] = max(window)
                    elif kind == "min":
                        out[n, c, i, j] = min(window)
                    elif kind == "avg":
                        out[n, c, i, j] = sum(window) / len(window)
                    elif kind == "sum":
                        out[n, c, i, j] = sum(window)
                    else:
                        out[n, c, i, j] = sum(v * v for v in window) ** 0.5
    return out


def max_pool2d_backward(dy, x, size, stride):
    """Each window's gradient goes to the first position holding its maximum."""
    dx = np.zeros_like(x, dtype=float)
    N, C, Ho, Wo = dy.shape
    fh, fw = size
    sh, sw = stride
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, where = None, None
                    for p in range(fh):
                        for q in range(fw):
                            v = x[n, c, i * sh + p, j * sw + q]
                            if best is None or v > best:
                                best, where = v, (i * sh + p, j * sw + q)
                    dx[n, c, where[0], where[1]] += dy[n, c, i, j]
    return dx


def softmax_cross_entropy(logits, labels):
    """(mean loss, dlogits) by the textbook formula, with log-softmax shifted by the row max."""
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1
    return -log_p[rows, labels].mean(), dlogits / n


# --- augmentation ---


def rotate(image, degrees):
    """One (H, W) image turned anticlockwise about its centre, pixel by pixel: each output pixel
    reads the input where the turn carries from, mixing the four nearest pixels by distance."""
    H, W = image.shape
    t = np.deg2rad(degrees)
    cy, cx = (H - 1) / 2, (W - 1) / 2
    out = np.zeros((H, W))

    def pixel(r, c):
        return image[r, c] if 0 <= r < H and 0 <= c < W else 0.0

    for i in range(H):
        for j in range(W):
            sy = cy + (i - cy) * np.cos(t) + (j - cx) * np.sin(t)
            sx = cx - (i - cy) * np.sin(t) + (j - cx) * np.cos(t)
            r, c = int(np.floor(sy)), int(np.floor(sx))
            fy, fx = sy - r, sx - c
            out[i, j] = ((1 - fy) * (1 - fx) * pixel(r, c) + (1 - fy) * fx * pixel(r, c + 1)
                         + fy * (1 - fx) * pixel(r + 1, c) + fy * fx * pixel(r + 1, c + 1))
    return out


def unused_cells(n, f, stride, padding, dilation):
    """Input cells (0-based, before padding) that no tap of any window covers, by marking every
    tap of every window: the reference for engine.shapes.unused_cells."""
    eff = dilation * (f - 1) + 1
    size = (n + 2 * padding - eff) // stride + 1
    covered = set()
    for start in range(0, size * stride, stride):
        covered.update(start + k * dilation - padding for k in range(f))
    return tuple(i for i in range(n) if i not in covered)
