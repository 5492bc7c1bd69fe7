"""Top patches and per-class responses (engine/explain/patches.py) against plain loops."""

from pathlib import Path

import numpy as np
import pytest

import naive
from engine import explain, nn

ROOT = Path(__file__).resolve().parents[2]
rng = np.random.default_rng(22)


def small_net():
    """conv 3@3x3 same -> ReLU -> max-pool 2 -> conv 4@3x3 valid -> ... a dense head."""
    return nn.Sequential([
        nn.Conv2D(1, 3, 3, padding="same", seed=0), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(3, 4, 3, padding=0, seed=1), nn.ReLU(), nn.Flatten(), nn.Dense(16, 3, seed=2),
    ])


def naive_second_conv(model, x):
    """The second convolution's output, layer by layer with the loop references."""
    c1, c2 = model.layers[0], model.layers[3]
    z = naive.conv2d(x, c1.params["w"], c1.params["b"], pads=(1, 1, 1, 1))
    a = naive.pool2d(np.maximum(z, 0), (2, 2), (2, 2), "max")
    return naive.conv2d(a, c2.params["w"], c2.params["b"])


def naive_top_patches(maps, x, k, field_size, jump, first_centre):
    """For each filter, the k images with the largest map value (first in reading order within an
    image, lower image number on ties), and the r x r pixels around that unit, zero outside."""
    n, kk, ho, wo = maps.shape
    found = []
    for f in range(kk):
        best = []
        for i in range(n):
            value, where = None, None
            for r in range(ho):
                for c in range(wo):
                    if value is None or maps[i, f, r, c] > value:
                        value, where = maps[i, f, r, c], (r, c)
            best.append((-value, i, where))
        best.sort(key=lambda t: (t[0], t[1]))
        rows = []
        for neg, i, (r, c) in best[:k]:
            top = int(round(first_centre + r * jump - (field_size - 1) / 2))
            left = int(round(first_centre + c * jump - (field_size - 1) / 2))
            cut = np.zeros((x.shape[1], field_size, field_size))
            for p in range(field_size):
                for q in range(field_size):
                    if 0 <= top + p < x.shape[2] and 0 <= left + q < x.shape[3]:
                        cut[:, p, q] = x[i, :, top + p, left + q]
            rows.append((i, -neg, r, c, cut))
        found.append(rows)
    return found


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_top_patches_match_the_loop_reference(dtype):
    model = small_net().astype(dtype)
    x = rng.random((12, 1, 10, 10)).astype(dtype)
    got = explain.top_patches(model, x, layer=3, k=4)
    # conv 3 (r=3) -> pool 2 (r=4, jump 2, centre 0.5) -> conv 3 valid (r=8, centre 0.5 + 2)
    assert got.size == 8 and got.patches.shape == (4, 4, 1, 8, 8)
    assert got.patches.dtype == dtype and got.values.dtype == dtype
    expected = naive_top_patches(naive_second_conv(model, x.astype(np.float64)), x, 4, 8, 2, 2.5)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for f, rows in enumerate(expected):
        for j, (i, value, r, c, cut) in enumerate(rows):
            assert got.indices[f, j] == i and (got.rows[f, j], got.cols[f, j]) == (r, c)
            assert abs(got.values[f, j] - value) <= tol * max(1, abs(value))
            np.testing.assert_array_equal(got.patches[f, j], cut.astype(dtype))
            top, left = int(round(2.5 + r * 2 - 3.5)), int(round(2.5 + c * 2 - 3.5))
            expected_box = (max(top, 0), min(top + 7, 9), max(left, 0), min(left + 7, 9))
            assert tuple(got.boxes[f, j]) == expected_box


def test_a_unit_depends_only_on_the_pixels_of_its_patch():
    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz")
    x = rng.random((20, 1, 28, 28)).astype(np.float32)
    top = explain.top_patches(model, x, layer=4, k=3)
    assert top.size == 10  # the lecture's digit network: 5, then 6, then 6 + (3 - 1) * 2
    f, j = 5, 0
    i, r, c = top.indices[f, j], top.rows[f, j], top.cols[f, j]
    # unit (r, c) of the second convolution is centred on input pixel (2r + 0.5, 2c + 0.5)
    rows, cols = np.arange(2 * r - 4, 2 * r + 6), np.arange(2 * c - 4, 2 * c + 6)
    mask = np.zeros((28, 28), bool)
    mask[np.ix_(rows[(rows >= 0) & (rows < 28)], cols[(cols >= 0) & (cols < 28)])] = True
    patch = top.patches[f, j, 0]
    inside = np.ix_((rows >= 0) & (rows < 28), (cols >= 0) & (cols < 28))
    np.testing.assert_array_equal(patch[inside], x[i, 0][mask].reshape(patch[inside].shape))
    beyond = np.ones(patch.shape, bool)
    beyond[inside] = False
    assert (patch[beyond] == 0).all()  # zero outside the image
    head = nn.Sequential(model.layers[:5])

    def unit(image):
        return head.forward(image[None], training=False)[0, f, r, c]

    outside = x[i].copy()
    outside[0][~mask] = rng.random(int((~mask).sum()))
    assert unit(outside) == pytest.approx(float(top.values[f, j]), abs=1e-5)
    changed = x[i].copy()
    changed[0][mask] = rng.random(int(mask.sum()))
    assert unit(changed) != pytest.approx(float(top.values[f, j]), abs=1e-3)


def test_the_pretrained_network_s_second_layer_over_many_digits():
    from engine import datasets

    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz")
    _, _, x_test, y_test = datasets.load_digits()
    x, y = x_test[:1000], y_test[:1000]
    responses = explain.strongest_responses(model, x, 4)
    top = explain.top_patches(model, x, 4, k=9, responses=responses)
    assert top.indices.shape == (16, 9) and top.patches.shape == (16, 9, 1, 10, 10)
    assert (np.diff(top.values, axis=1) <= 0).all()  # strongest first
    np.testing.assert_array_equal(top.values[:, 0], responses.values.max(axis=0))
    means = explain.mean_response_by_class(responses.values, y, 10)
    assert means.shape == (10, 16)
    for digit in (0, 7):
        np.testing.assert_allclose(means[digit], responses.values[y == digit].mean(axis=0), rtol=1e-5)


def test_mean_response_by_class_matches_a_loop():
    values = rng.standard_normal((30, 4))
    labels = rng.integers(0, 4, 30)
    labels[labels == 2] = 1  # class 2 has no image
    got = explain.mean_response_by_class(values, labels, n_classes=5)
    for c in range(5):
        members = [values[i] for i in range(30) if labels[i] == c]
        if members:
            np.testing.assert_allclose(got[c], sum(members) / len(members), rtol=1e-12)
        else:
            assert np.isnan(got[c]).all()


@pytest.mark.parametrize("call, message", [
    (lambda m, x: explain.top_patches(m, x, layer=99), "layers 0 to 6, not 99"),
    (lambda m, x: explain.top_patches(m, x, layer=2), "layer 2 is MaxPool2D.*not a convolution.*0, 3"),
    (lambda m, x: explain.top_patches(m, x, layer=-1), "not -1"),
    (lambda m, x: explain.top_patches(m, x[0], layer=0), r"shape \(N, C, H, W\)"),
    (lambda m, x: explain.top_patches(m, x[:, :, :, :8], layer=0), "square images"),
    (lambda m, x: explain.top_patches(m, x, layer=0, k=13), "at most 12"),
    (lambda m, x: explain.top_patches(m, x, layer=0, k=0), "at least 1"),
    (lambda m, x: explain.strongest_responses(m, np.repeat(x, 2, axis=1), 0), "1 channel"),
    (lambda m, x: explain.strongest_responses(m, x[:0], 0), "no images"),
    (lambda m, x: explain.strongest_responses("model", x, 0), "Sequential"),
    (lambda m, x: explain.mean_response_by_class(np.zeros((3, 2)), [0, 1]), "one label per image"),
    (lambda m, x: explain.mean_response_by_class(np.zeros((2, 2)), [0, -1]), "whole numbers from 0"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call(small_net(), rng.random((12, 1, 10, 10)).astype(np.float32))
