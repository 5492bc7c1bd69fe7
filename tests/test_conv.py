import numpy as np
import pytest

import naive
from engine import conv1d, conv2d, conv2d_backward, pad2d
from engine.lessons import examples
from gradcheck import assert_gradients_close, numerical_gradient, relative_error

rng = np.random.default_rng(0)


# ---------------------------------------------------------------- lecture examples

def test_lecture_1d_full_convolution():
    y = conv1d(examples.SIGNAL_1D, examples.KERNEL_1D)
    assert y.tolist() == [0, 1, 1, 3, 5, 2, 8]


def test_1d_same_and_valid_are_slices_of_full():
    x, w = examples.SIGNAL_1D, examples.KERNEL_1D
    assert conv1d(x, w, "same").tolist() == [1, 1, 3, 5, 2]
    assert conv1d(x, w, "valid").tolist() == [1, 3, 5]
    assert np.array_equal(conv1d(x, w, "same"), np.convolve(x, w, "same"))


def test_1d_without_flip_is_cross_correlation():
    x, w = examples.SIGNAL_1D, examples.KERNEL_1D
    assert np.array_equal(conv1d(x, w, flip=False), np.correlate(x, w, "full"))


def test_1d_matches_naive_on_random_signals():
    for n, m in [(1, 1), (5, 3), (3, 5), (8, 8), (10, 4)]:
        x, w = rng.standard_normal(n), rng.standard_normal(m)
        assert np.allclose(conv1d(x, w), naive.conv1d_full(x, w), atol=1e-12)


def test_lecture_5x5_image_with_x_kernel():
    out = conv2d(examples.IMAGE_5X5[None, None], examples.X_KERNEL[None, None])
    assert out[0, 0].tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_lecture_3x3_input_with_2x2_kernel():
    out = conv2d(examples.INPUT_3X3[None, None], examples.KERNEL_2X2[None, None])
    assert out[0, 0].tolist() == [[19, 25], [37, 43]]


def test_lecture_3x3_input_with_2x2_kernel_and_padding_1():
    out = conv2d(examples.INPUT_3X3[None, None], examples.KERNEL_2X2[None, None], padding=1)
    assert out[0, 0].tolist() == [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]


# ---------------------------------------------------------------- against the naive loops

CASES = [
    # (N, C, H, W), (K, FH, FW), stride, padding, dilation
    ((2, 3, 7, 6), (4, 3, 3), 1, 0, 1),
    ((1, 1, 9, 9), (2, 5, 5), 2, 2, 1),
    ((2, 2, 8, 7), (3, 3, 2), (2, 1), (1, 0), 1),
    ((1, 2, 11, 10), (2, 3, 3), 1, 2, 2),
    ((2, 1, 7, 9), (1, 2, 3), (3, 2), (0, 1), (2, 1)),
    ((3, 4, 5, 5), (5, 1, 1), 1, 0, 1),
]


def _pads(padding):
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    return ph, ph, pw, pw


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("xs, ks, stride, padding, dilation", CASES)
def test_conv2d_matches_naive(xs, ks, stride, padding, dilation):
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ks[0], xs[1], ks[1], ks[2]))
    b = rng.standard_normal(ks[0])
    got = conv2d(x, w, b, stride, padding, dilation)
    want = naive.conv2d(x, w, b, _pair(stride), _pads(padding), _pair(dilation))
    assert got.dtype == np.float64
    assert relative_error(got, want) < 1e-12


def test_float32_is_default_and_close_to_float64():
    x = rng.standard_normal((2, 3, 12, 12))
    w = rng.standard_normal((4, 3, 3, 3))
    out32 = conv2d(x.astype(np.float32), w.astype(np.float32), padding=1)
    assert out32.dtype == np.float32
    assert relative_error(out32, conv2d(x, w, padding=1)) < 1e-4
    assert conv2d([[[[1, 2], [3, 4]]]], [[[[1]]]]).dtype == np.float32  # ints become float32


@pytest.mark.parametrize("h, w, f, stride", [(5, 5, 3, 1), (6, 7, 4, 1), (7, 7, 3, 2), (8, 5, 2, 3)])
def test_same_padding_keeps_ceil_of_size_over_stride(h, w, f, stride):
    x = rng.standard_normal((1, 1, h, w))
    k = rng.standard_normal((1, 1, f, f))
    out = conv2d(x, k, stride=stride, padding="same")
    assert out.shape[2:] == (-(-h // stride), -(-w // stride))
    total = max((out.shape[2] - 1) * stride + f - h, 0)
    pads = (total // 2, total - total // 2)
    total_w = max((out.shape[3] - 1) * stride + f - w, 0)
    pads += (total_w // 2, total_w - total_w // 2)
    assert np.allclose(out, naive.conv2d(x, k, None, (stride, stride), pads))


def test_single_image_with_each_lesson_kernel_size():
    x = rng.standard_normal((1, 1, 40, 37)).astype(np.float32)
    for f in (3, 5, 7, 11, 4):
        k = rng.standard_normal((1, 1, f, f)).astype(np.float32)
        want = naive.conv2d(x.astype(np.float64), k.astype(np.float64))
        assert relative_error(conv2d(x, k), want) < 1e-5


# ---------------------------------------------------------------- gradients

@pytest.mark.parametrize("xs, ks, stride, padding, dilation", CASES)
def test_conv2d_gradients_match_numerical(xs, ks, stride, padding, dilation):
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ks[0], xs[1], ks[1], ks[2]))
    b = rng.standard_normal(ks[0])
    dy = rng.standard_normal(conv2d(x, w, b, stride, padding, dilation).shape)
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding, dilation)
    assert_gradients_close(dx, numerical_gradient(lambda v: conv2d(v, w, b, stride, padding, dilation), x, dy))
    assert_gradients_close(dw, numerical_gradient(lambda v: conv2d(x, v, b, stride, padding, dilation), w, dy))
    assert_gradients_close(db, numerical_gradient(lambda v: conv2d(x, w, v, stride, padding, dilation), b, dy))


def test_filter_gradient_is_the_correlation_of_input_and_upstream_gradient():
    x = rng.standard_normal((1, 1, 6, 6))
    dy = rng.standard_normal((1, 1, 4, 4))
    _, dw, _ = conv2d_backward(dy, x, np.zeros((1, 1, 3, 3)))
    assert np.allclose(dw, conv2d(x, dy))


def test_same_padding_gradients():
    x = rng.standard_normal((2, 2, 6, 5))
    w = rng.standard_normal((3, 2, 4, 4))
    dy = rng.standard_normal(conv2d(x, w, padding="same").shape)
    dx, dw, _ = conv2d_backward(dy, x, w, padding="same")
    assert_gradients_close(dx, numerical_gradient(lambda v: conv2d(v, w, padding="same"), x, dy))
    assert_gradients_close(dw, numerical_gradient(lambda v: conv2d(x, v, padding="same"), w, dy))


# ---------------------------------------------------------------- padding

@pytest.mark.parametrize("mode, numpy_mode", [("zero", "constant"), ("reflect", "reflect"),
                                              ("replicate", "edge"), ("circular", "wrap")])
def test_pad2d_matches_numpy_and_naive(mode, numpy_mode):
    x = rng.standard_normal((4, 5))
    pads = (2, 1, 3, 0)
    got = pad2d(x, pads, mode)
    assert np.array_equal(got, np.pad(x, ((2, 1), (3, 0)), mode=numpy_mode))
    assert np.array_equal(got, naive.pad2d(x, pads, mode))
    batch = pad2d(x[None, None].repeat(2, 0), 1, mode)
    assert batch.shape == (2, 1, 6, 7) and np.array_equal(batch[1, 0], pad2d(x, 1, mode))


def test_pad2d_examples_from_the_docstring():
    row = np.array([[1, 2, 3]])
    assert pad2d(row, (0, 0, 2, 2), "reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert pad2d(row, (0, 0, 2, 2), "replicate").tolist() == [[1, 1, 1, 2, 3, 3, 3]]
    assert pad2d(row, (0, 0, 2, 2), "circular").tolist() == [[2, 3, 1, 2, 3, 1, 2]]


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5))),
     "a 5x5 kernel does not fit in a 3x3 input with padding 0"),
    (lambda: conv2d(np.ones((1, 1, 8, 8)), np.ones((1, 3, 3, 3))),
     "the kernel expects 3 input channels but the image has 1"),
    (lambda: conv2d(np.ones((1, 1, 8, 8)), np.ones((1, 1, 3, 3)), stride=0),
     "the stride must be at least 1, not 0"),
    (lambda: conv2d(np.ones((1, 1, 8, 8)), np.ones((1, 1, 3, 3)), padding=-1),
     "the padding must be at least 0, not -1"),
    (lambda: conv2d(np.ones((1, 1, 8, 8)), np.ones((1, 1, 3, 3)), padding="full"),
     "padding must be a number, a pair, 'valid' or 'same', not 'full'"),
    (lambda: conv2d(np.full((1, 1, 4, 4), np.nan), np.ones((1, 1, 3, 3))),
     "the input contains NaN or infinity"),
    (lambda: conv2d(np.ones((1, 8, 8)), np.ones((1, 1, 3, 3))), r"use x\[None\]"),
    (lambda: pad2d(np.ones((3, 3)), 1, mode="mirror"),
     "padding mode must be one of zero, reflect, replicate, circular, not 'mirror'"),
    (lambda: pad2d(np.ones((3, 3)), 3, mode="reflect"), "reflect padding must be smaller"),
    (lambda: conv1d([1, 2], [1], mode="wide"), "mode must be 'full', 'same' or 'valid'"),
    (lambda: conv1d([], [1]), "at least one value"),
    (lambda: conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))),
     "the upstream gradient must have the output's shape"),
])
def test_bad_input_gets_a_learners_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()
@pytest.mark.parametrize("shape, pads, fw, dw", [
    ((3, 2, 5, 7), (0, 2, 3, 1), 4, 2), ((2, 1, 28, 28), (2, 2, 2, 2), 5, 1), ((1, 1, 4, 4), (0, 0, 0, 0), 1, 1),
])
def test_flat_padding_kernel_matches_numpy(shape, pads, fw, dw):
    from engine.padding import flat_padded

    x = np.random.default_rng(9).standard_normal(shape)
    top, bottom, left, right = pads
    n, c, h, w = shape
    wp = w + left + right
    expected = np.zeros((n, c, (h + top + bottom) * wp + (fw - 1) * dw))
    expected[:, :, :(h + top + bottom) * wp].reshape(n, c, h + top + bottom, wp)[:, :, top:top + h, left:left + w] = x
    got, got_wp = flat_padded(x, pads, fw, dw)
    assert got_wp == wp and np.array_equal(got, expected)
