"""Augmentation: small random changes to training images, so that a network learns what stays
the same when a digit moves a little."""

import numpy as np


def shift_batch(x, rng, max_shift=2):
    """Each image moved by up to max_shift pixels in each direction (zeros fill in).

    x: (N, C, H, W) -> (N, C, H, W); rng: a NumPy Generator.
    """
    out = np.zeros_like(x)
    n, _, h, w = x.shape
    dys = rng.integers(-max_shift, max_shift + 1, n)
    dxs = rng.integers(-max_shift, max_shift + 1, n)
    for i in range(n):
        dy, dx = dys[i], dxs[i]
        out[i, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            x[i, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out
