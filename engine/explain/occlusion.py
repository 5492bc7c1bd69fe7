"""Occlusion sensitivity (Zeiler and Fergus): hide one square of the image at a time and see
how much the probability of a class falls.

A square of size F slides over an (H, W) image with stride S, like a pooling window without
padding, so there are H' x W' positions,

    H' = floor((H - F) / S) + 1,   W' = floor((W - F) / S) + 1,

and one forward pass per position, run in batches.
"""

from typing import NamedTuple

import numpy as np

from engine.explain import _checks
from engine.memory import check_allocation
from engine.shapes import window_output_size


class Occlusion(NamedTuple):
    probability: float   # the class's probability for the whole image
    drop: np.ndarray     # (H', W'): probability minus the probability with the square at each position
    pixels: np.ndarray   # (H, W): for every pixel, the mean drop of the squares that hid it (NaN if none did)
    size: int
    stride: int


def occlusion_map(model, image, target, size=5, stride=1, fill=0.5, batch_size=256):
    """How much the probability of class `target` drops when a square hides each part of image.

    model: a Sequential that maps (N, C, H, W) to class scores (logits); image: (C, H, W), or
    (H, W) for one channel; target: a class index; size: the square's side F (1 <= F <= min(H, W));
    stride: S >= 1; fill: the value the square paints into every channel (0.5 is mid-grey for
    images in [0, 1]). Returns Occlusion with drop (H', W') as in the module docstring, positive
    where hiding the square lowers the probability. float64 images are worked on in float64.
    """
    model = _checks.model(model)
    image = _checks.image(image)
    c, h, w = image.shape
    _checks.first_layer_input(model, image[None])
    size = _checks.whole(size, "occluding square's size", 1)
    if size > min(h, w):
        raise ValueError(f"a {size}x{size} square does not fit in this {h}x{w} image; pick a size of "
                         f"at most {min(h, w)}")
    stride = _checks.whole(stride, "stride", 1)
    batch_size = _checks.whole(batch_size, "batch size", 1)
    fill = float(fill)
    if not np.isfinite(fill):
        raise ValueError(f"the square's grey level must be a finite number, not {fill}")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise ValueError(f"the class must be a whole number, not {target!r}")

    base = model.predict_proba(image[None])[0]
    target = int(_checks.classes(target, 1, len(base))[0])
    ho, wo = window_output_size(h, size, stride), window_output_size(w, size, stride)
    check_allocation((min(batch_size, ho * wo), c, h, w), image.dtype, "batch of occluded images")
    tops, lefts = np.divmod(np.arange(ho * wo), wo)
    tops, lefts = tops * stride, lefts * stride
    hidden = np.empty(ho * wo, np.float64)
    for start in range(0, ho * wo, batch_size):
        stop = min(start + batch_size, ho * wo)
        batch = np.repeat(image[None], stop - start, axis=0)
        for i, (top, left) in enumerate(zip(tops[start:stop], lefts[start:stop])):
            batch[i, :, top:top + size, left:left + size] = fill
        hidden[start:stop] = model.predict_proba(batch, batch_size)[:, target]
    drop = (base[target] - hidden).reshape(ho, wo)

    total, count = np.zeros((h, w)), np.zeros((h, w))
    for top, left, d in zip(tops, lefts, drop.ravel()):
        total[top:top + size, left:left + size] += d
        count[top:top + size, left:left + size] += 1
    with np.errstate(invalid="ignore"):
        pixels = total / count
    return Occlusion(float(base[target]), drop.astype(image.dtype), pixels.astype(image.dtype), size, stride)
