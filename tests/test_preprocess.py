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
