"""Turn a drawing into an MNIST-style digit, the way the MNIST images themselves were made:
the ink's bounding box scaled to fit 20 x 20 (keeping its shape), then placed in a 28 x 28
image so that its centre of mass sits at the centre.

A photo (of a drawing on paper, a hand, an object on a table) first has its background taken
out: photo_ink() keeps only what stands out from the image's typical level.
"""

import numpy as np
from PIL import Image

from engine.arguments import as_array, check_finite, flag, real_number
from engine.memory import check_allocation


def to_grey(image):
    """An (H, W), (H, W, 3) or (H, W, 4) image as (H, W) float32 ink in [0, 1] (1 = ink).

    Transparent pixels count as background; a light background is inverted so ink is bright.
    ValueError for an image that is empty, holds NaN, infinity or anything but real numbers.
    """
    a = as_array(image, "image")
    if a.dtype.kind not in "fiub":
        raise ValueError(f"the image must hold numbers (grey levels or colours), not {a.dtype}")
    check_allocation(a.shape, np.float32, "grey copy of the image")
    with np.errstate(over="ignore"):  # beyond float32's range: infinite, and refused next
        a = a.astype(np.float32)
    check_finite(a, "image")  # after the conversion: a float64 beyond float32's range is infinite too
    if a.ndim == 3 and a.shape[2] in (3, 4):
        grey = a[..., :3].mean(axis=2)
        if a.shape[2] == 4:
            grey = grey * (a[..., 3] / 255.0)
    elif a.ndim == 2:
        grey = a
    else:
        raise ValueError(f"expected a grey, RGB or RGBA image, not an array of shape {a.shape}")
    if grey.size == 0:
        raise ValueError(f"the image is empty (shape {a.shape}): it has no pixels")
    if grey.max() > 1.0:
        grey = grey / 255.0
    if grey.mean() > 0.5:  # dark ink on a light background
        grey = 1.0 - grey
    return np.clip(grey, 0, 1).astype(np.float32)


def _background(grey, rounds=3):
    """The background's level at every pixel, as a plane a + b*row + c*col (light falling
    unevenly across a page), fitted by least squares to the pixels that are not ink: each round
    fits again without the pixels that stand well above the last fit. A plane needs few points:
    the fit looks at about 64 x 64 of them."""
    h, w = grey.shape
    step = max(1, max(h, w) // 64)
    rows, cols = np.arange(0, h, step) / h, np.arange(0, w, step) / w
    design = np.stack([np.ones(len(rows) * len(cols)), np.repeat(rows, len(cols)), np.tile(cols, len(rows))], axis=1)
    values = grey[::step, ::step].ravel().astype(np.float64)
    keep = np.ones(len(values), bool)
    for _ in range(rounds):
        d = design[keep]
        coef = np.linalg.solve(d.T @ d + 1e-9 * np.eye(3), d.T @ values[keep])  # normal equations
        residual = values - design @ coef
        keep = residual < 2 * residual[keep].std() + 1e-6
    return (coef[0] + coef[1] * (np.arange(h) / h)[:, None] + coef[2] * (np.arange(w) / w)[None, :]).astype(np.float32)


def photo_ink(image, floor=0.3):
    """(H, W) float32 ink in [0, 1] from a photo or a scan: the background (see _background,
    after to_grey has made the ink the brighter side) becomes 0, and ink within 3/4 of the
    strongest 1 (under uneven light the same pen is stronger in one place than another);
    whatever stays below `floor` (paper texture, shadows, noise) becomes 0."""
    floor = real_number(floor, "ink floor", at_least=0, below=1)
    grey = to_grey(image)
    ink = grey - _background(grey)
    span = float(ink.max())
    if span < 0.05:
        return np.zeros_like(grey)  # one flat colour, or light changing smoothly: nothing stands out
    ink = np.clip(ink / (0.75 * span), 0, 1)
    ink[ink < floor] = 0
    return ink.astype(np.float32)


def mnist_style(image, threshold=0.1, photo=False):
    """(28, 28) float32 in [0, 1] from a drawing of any size; ValueError if there is no ink.

    photo=True takes the background out first (see photo_ink), for pictures and uploads.
    """
    threshold = real_number(threshold, "ink threshold", at_least=0, below=1)
    photo = flag(photo, "photo")
    grey = photo_ink(image) if photo else to_grey(image)
    rows = np.flatnonzero(grey.max(axis=1) > threshold)
    cols = np.flatnonzero(grey.max(axis=0) > threshold)
    if len(rows) == 0:
        raise ValueError("the drawing is empty: draw a digit first")
    crop = grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS),
                       dtype=np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - nh) // 2, (28 - nw) // 2
    out[top:top + nh, left:left + nw] = small
    # shift so that the centre of mass lands on (14, 14), as in MNIST
    total = out.sum()
    cy = (out.sum(axis=1) * np.arange(28)).sum() / total
    cx = (out.sum(axis=0) * np.arange(28)).sum() / total
    dy, dx = int(round(14 - cy)), int(round(14 - cx))
    shifted = np.zeros_like(out)
    src = out[max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
    shifted[max(dy, 0):max(dy, 0) + src.shape[0], max(dx, 0):max(dx, 0) + src.shape[1]] = src
    return shifted
