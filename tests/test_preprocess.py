import numpy as np
import pytest

from engine.preprocess import mnist_style, to_grey


def drawing(size=280, light=False, rgba=True):
    img = np.zeros((size, size, 4), np.uint8)
    img[60:200, 180:200, :3] = 255  # a tall stroke, off centre: a "1"
    img[..., 3] = 255
    if light:
        img[..., :3] = 255 - img[..., :3]
    return img if rgba else img[..., :3]


def test_a_digit_is_scaled_to_20_pixels_and_centred_by_mass():
    out = mnist_style(drawing())
    assert out.shape == (28, 28) and out.dtype == np.float32
    rows = np.flatnonzero(out.max(axis=1) > 0.1)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21
    cy = (out.sum(axis=1) * np.arange(28)).sum() / out.sum()
    cx = (out.sum(axis=0) * np.arange(28)).sum() / out.sum()
    assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6


def test_dark_ink_on_white_and_rgb_work_the_same():
    a = mnist_style(drawing())
    assert np.allclose(mnist_style(drawing(light=True)), a, atol=1e-2)
    assert np.allclose(mnist_style(drawing(rgba=False)), a, atol=1e-6)


def test_an_empty_drawing_is_explained():
    with pytest.raises(ValueError, match="the drawing is empty"):
        mnist_style(np.zeros((100, 100, 4), np.uint8))


def test_a_drawn_digit_is_read_by_the_pretrained_model():
    from engine import datasets, nn

    model = nn.Sequential.load("assets/pretrained_digit_net.npz")
    _, _, x_test, y_test = datasets.load_digits()
    # an MNIST digit blown up to canvas size and drawn back in comes out as the same digit
    big = np.kron(x_test[0, 0], np.ones((10, 10)))
    again = mnist_style((big * 255).astype(np.uint8))
    assert model.predict(again[None, None])[0] == y_test[0]


def test_to_grey_refuses_odd_shapes():
    with pytest.raises(ValueError, match="grey, RGB or RGBA"):
        to_grey(np.zeros((4, 4, 2)))


def photo_of_a_square(size=240, seed=0):
    """A dark square drawn on light paper under uneven light, with noise: (H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    light = np.linspace(0.65, 0.95, size)[None, :] * np.ones((size, 1))  # a shadow on one side
    grey = light + rng.normal(0, 0.02, (size, size))
    grey[70:170, 60:160] = 0.15
    grey[90:150, 80:140] = light[90:150, 80:140]  # hollow: only the outline is ink
    return (np.clip(grey, 0, 1)[..., None].repeat(3, axis=2) * 255).astype(np.uint8)


def test_a_photo_loses_its_background_and_looks_like_the_clean_drawing():
    from engine.preprocess import photo_ink

    clean = np.zeros((240, 240), np.uint8)
    clean[70:170, 60:160] = 255
    clean[90:150, 80:140] = 0
    ink = photo_ink(photo_of_a_square())
    assert ink[0].max() == 0 and ink[-1].max() == 0  # the paper is gone
    assert ink[120, 65] > 0.9  # the outline is ink
    assert np.abs(mnist_style(photo_of_a_square(), photo=True) - mnist_style(clean)).mean() < 0.03
    # without the cleaning the paper's shading fills the whole frame: the square is lost
    assert np.abs(mnist_style(photo_of_a_square()) - mnist_style(clean)).mean() > 0.1


def test_a_flat_photo_has_no_ink():
    with pytest.raises(ValueError, match="empty"):
        mnist_style(np.full((50, 50, 3), 200, np.uint8), photo=True)
