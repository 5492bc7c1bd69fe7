"""Augmentation: small random changes to training images, so that a network learns what stays
the same when a digit (or a drawn shape) moves or turns a little. Tiny data sets need it most."""

import numpy as np

from engine.arguments import as_float_array, real_number, whole_number
from engine.memory import check_allocation


def _images(x):
    """x as a float array of images (N, C, H, W) (float32 and float64 kept as they are, without a
    copy: this runs on every training batch); ValueError otherwise."""
    if not (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)):
        x = as_float_array(x, "images")
    if x.ndim != 4:
        raise ValueError(f"augmentation takes images (N, C, H, W), not an array of shape {x.shape}")
    return x


def shift_batch(x, rng, max_shift=2):
    """Each image moved by up to max_shift pixels in each direction (zeros fill in).

    x: (N, C, H, W) -> (N, C, H, W); rng: a NumPy Generator. max_shift is at most the
    image's larger side (a shift that far already leaves nothing of the image).
    """
    x = _images(x)
    n, _, h, w = x.shape
    max_shift = whole_number(max_shift, "largest shift", 0)
    if max_shift > max(h, w):
        raise ValueError(f"the largest shift must be at most the image's size ({h} x {w}), not {max_shift}")
    out = np.zeros_like(x)
    dys = rng.integers(-max_shift, max_shift + 1, n)
    dxs = rng.integers(-max_shift, max_shift + 1, n)
    for i in range(n):
        dy, dx = dys[i], dxs[i]
        out[i, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            x[i, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def rotate(x, degrees):
    """Each image turned anticlockwise by its angle about its centre, read back with bilinear
    interpolation (zeros come in from outside the image).

    x: (N, C, H, W); degrees: (N,) or one number -> (N, C, H, W), x's dtype. Output pixel (i, j)
    takes the input at the point that the turn carries onto it: with (u, v) = (i - cy, j - cx)
    and the centre (cy, cx) = ((H - 1) / 2, (W - 1) / 2), that point is
    (cy + u cos t + v sin t, cx - u sin t + v cos t), so that 90 degrees is np.rot90.
    """
    x = _images(x)
    n, c, h, w = x.shape
    check_allocation((n, c, h, w), np.float64, "working copy of the images")  # the interpolation's
    degrees = as_float_array(degrees, "angles").astype(np.float64)
    if degrees.shape not in ((), (n,)):
        raise ValueError(f"give one angle, or one per image ({n}), not angles of shape {degrees.shape}")
    if not np.isfinite(degrees).all():
        raise ValueError("the angles must be finite numbers of degrees, not NaN or infinity")
    t = np.deg2rad(np.broadcast_to(degrees, (n,)))[:, None, None]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    u = (np.arange(h) - cy)[None, :, None]
    v = (np.arange(w) - cx)[None, None, :]
    sy = cy + u * np.cos(t) + v * np.sin(t)  # (N, H, W): where each output pixel reads
    sx = cx - u * np.sin(t) + v * np.cos(t)
    y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
    fy, fx = (sy - y0)[:, None], (sx - x0)[:, None]  # (N, 1, H, W)
    # one pixel of zeros all round, so that every corner read lands inside the padded image
    padded = np.zeros((n, c, h + 2, w + 2), x.dtype)
    padded[:, :, 1:-1, 1:-1] = x
    y0, x0 = np.clip(y0 + 1, 0, h), np.clip(x0 + 1, 0, w)
    far = (sy <= -1) | (sy >= h) | (sx <= -1) | (sx >= w)  # no input pixel near: zero
    batch = np.arange(n)[:, None, None, None]
    chan = np.arange(c)[None, :, None, None]

    def at(dy, dx):
        return padded[batch, chan, (y0 + dy)[:, None], (x0 + dx)[:, None]]

    out = ((1 - fy) * ((1 - fx) * at(0, 0) + fx * at(0, 1))
           + fy * ((1 - fx) * at(1, 0) + fx * at(1, 1)))
    out[np.broadcast_to(far[:, None], out.shape)] = 0
    return out.astype(x.dtype)


def rotate_batch(x, rng, max_degrees=15):
    """Each image turned by a random angle of up to max_degrees either way (see rotate).

    x: (N, C, H, W) -> (N, C, H, W); rng: a NumPy Generator.
    """
    max_degrees = real_number(max_degrees, "largest angle", at_least=0)
    x = _images(x)
    return rotate(x, rng.uniform(-max_degrees, max_degrees, len(x)))


def shift_and_rotate(max_shift=2, max_degrees=15):
    """An augment(x, rng) for nn.fit that turns each image (when max_degrees > 0), then shifts
    it (when max_shift > 0)."""
    max_shift = whole_number(max_shift, "largest shift", 0)
    max_degrees = real_number(max_degrees, "largest angle", at_least=0)

    def augment(x, rng):
        if max_degrees > 0:
            x = rotate_batch(x, rng, max_degrees)
        if max_shift > 0:
            x = shift_batch(x, rng, max_shift)
        return x
    return augment
