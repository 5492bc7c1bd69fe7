"""Occlusion maps (engine/explain/occlusion.py) against one forward pass per position in plain loops."""

from pathlib import Path

import numpy as np
import pytest

from engine import datasets, explain, nn
from engine.nn.losses import softmax

ROOT = Path(__file__).resolve().parents[2]
rng = np.random.default_rng(7)


def small_net(channels=1):
    return nn.Sequential([
        nn.Conv2D(channels, 3, 3, padding="same", seed=0), nn.ReLU(), nn.MaxPool2D(2),
        nn.Flatten(), nn.Dense(3 * 16, 4, seed=1),
    ])


def naive_occlusion(model, image, target, size, stride, fill):
    """One image at a time: hide the square, run the model, note the drop; then each pixel's
    mean drop over the squares that covered it."""
    c, h, w = image.shape
    base = softmax(model.forward(image[None], training=False))[0, target]
    drops = []
    top = 0
    while top + size <= h:
        row, left = [], 0
        while left + size <= w:
            hidden = image.copy()
            for ch in range(c):
                for i in range(top, top + size):
                    for j in range(left, left + size):
                        hidden[ch, i, j] = fill
            row.append(base - softmax(model.forward(hidden[None], training=False))[0, target])
            left += stride
        drops.append(row)
        top += stride
    drops = np.array(drops)
    pixels = np.full((h, w), np.nan)
    for i in range(h):
        for j in range(w):
            covering = [drops[a, b] for a in range(drops.shape[0]) for b in range(drops.shape[1])
                        if a * stride <= i < a * stride + size and b * stride <= j < b * stride + size]
            if covering:
                pixels[i, j] = sum(covering) / len(covering)
    return base, drops, pixels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size, stride, channels", [(3, 1, 1), (2, 3, 1), (4, 2, 3), (8, 1, 1), (1, 5, 2)])
def test_occlusion_matches_one_forward_pass_per_position(dtype, size, stride, channels):
    model = small_net(channels).astype(dtype)
    image = rng.random((channels, 8, 8)).astype(dtype)
    got = explain.occlusion_map(model, image, 2, size=size, stride=stride, fill=0.3, batch_size=5)
    base, drops, pixels = naive_occlusion(model, image, 2, size, stride, dtype(0.3))
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert got.drop.shape == ((8 - size) // stride + 1,) * 2 and got.drop.dtype == dtype
    assert got.probability == pytest.approx(float(base), abs=tol)
    np.testing.assert_allclose(got.drop, drops, atol=tol)
    np.testing.assert_allclose(got.pixels, pixels, atol=tol)  # NaN where no square reached


def test_hiding_a_seven_s_stroke_lowers_the_probability_of_seven():
    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz")
    _, _, x_test, y_test = datasets.load_digits()
    digit = x_test[0, 0]  # a seven
    got = explain.occlusion_map(model, digit, int(y_test[0]), size=8, stride=2, fill=0.0)
    assert got.drop.shape == (11, 11) and got.probability > 0.9
    row, col = np.unravel_index(got.drop.argmax(), got.drop.shape)
    square = digit[row * 2:row * 2 + 8, col * 2:col * 2 + 8]
    assert got.drop.max() > 0.05 and square.sum() > 5  # the square that matters most hides ink
    black = [(r, c) for r in range(11) for c in range(11) if digit[r * 2:r * 2 + 8, c * 2:c * 2 + 8].max() == 0]
    assert len(black) > 10 and all(abs(got.drop[r, c]) < 1e-5 for r, c in black)  # black on black changes nothing


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 9}, "9x9 square does not fit in this 8x8 image"),
    ({"size": 0}, "at least 1"),
    ({"stride": 0}, "stride must be at least 1"),
    ({"stride": 1.5}, "whole number"),
    ({"target": 4}, "classes 0 to 3, not 4"),
    ({"target": "seven"}, "whole number"),
    ({"fill": float("nan")}, "finite"),
    ({"image": np.zeros((1, 1, 8, 8))}, r"shape \(C, H, W\) or \(H, W\)"),
    ({"image": np.zeros((2, 8, 8))}, "1 channel"),
])
def test_bad_arguments_are_explained(kwargs, message):
    args = {"image": rng.random((8, 8)), "target": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        explain.occlusion_map(small_net(), **args)
