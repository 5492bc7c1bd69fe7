import numpy as np
import pytest

import engine
import naive
from engine.lessons import examples
from gradcheck import assert_gradients_close, numerical_gradient, relative_error

rng = np.random.default_rng(1)
KINDS = {
    "max": (engine.max_pool2d, engine.max_pool2d_backward),
    "avg": (engine.avg_pool2d, engine.avg_pool2d_backward),
    "min": (engine.min_pool2d, engine.min_pool2d_backward),
    "sum": (engine.sum_pool2d, engine.sum_pool2d_backward),
    "l2": (engine.l2_pool2d, engine.l2_pool2d_backward),
}
# (shape, size, stride): side by side, overlapping (stride < size), and leftover rows.
CASES = [((2, 3, 6, 6), 2, None), ((1, 2, 7, 7), 3, 2), ((2, 1, 5, 6), (2, 3), 1), ((1, 1, 7, 5), 2, None)]


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def test_lecture_max_pool_example():
    out = engine.max_pool2d(examples.POOL_4X4[None, None], 2)
    assert out[0, 0].tolist() == [[6, 8], [3, 4]]


def test_argmax_points_at_the_winners():
    rows, cols = engine.pool.max_pool2d_argmax(examples.POOL_4X4[None, None], 2)
    assert rows[0, 0].tolist() == [[1, 1], [2, 3]] and cols[0, 0].tolist() == [[1, 3], [0, 3]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape, size, stride", CASES)
def test_pool_matches_naive(kind, shape, size, stride):
    x = rng.standard_normal(shape)
    got = KINDS[kind][0](x, size, stride)
    want = naive.pool2d(x, _pair(size), _pair(stride if stride is not None else size), kind)
    assert got.dtype == np.float64 and relative_error(got, want) < 1e-12


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape, size, stride", CASES)
def test_pool_gradients_match_numerical(kind, shape, size, stride):
    forward, backward = KINDS[kind]
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(forward(x, size, stride).shape)
    dx = backward(dy, x, size, stride)
    assert_gradients_close(dx, numerical_gradient(lambda v: forward(v, size, stride), x, dy))


def test_max_pool_backward_matches_naive_with_overlaps():
    x = rng.standard_normal((2, 2, 9, 9))
    dy = rng.standard_normal((2, 2, 4, 4))
    assert np.allclose(engine.max_pool2d_backward(dy, x, 3, 2), naive.max_pool2d_backward(dy, x, (3, 3), (2, 2)))


def test_overlapping_windows_add_their_gradients():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5  # the centre wins all four overlapping 2x2 windows
    dx = engine.max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, 1)
    assert dx[0, 0, 1, 1] == 4 and dx.sum() == 4


def test_ties_go_to_the_first_in_reading_order():
    dx = engine.max_pool2d_backward(np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2)), 2)
    assert dx[0, 0].tolist() == [[1, 0], [0, 0]]


def test_float32_stays_float32():
    assert engine.avg_pool2d(np.ones((1, 1, 4, 4), np.float32)).dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: engine.max_pool2d(np.ones((1, 1, 2, 2)), 3), "a 3x3 pooling window does not fit in a 2x2 input"),
    (lambda: engine.max_pool2d(np.ones((1, 1, 4, 4)), 2, 0), "the stride must be at least 1, not 0"),
    (lambda: engine.max_pool2d(np.ones((4, 4)), 2), r"use x\[None, None\]"),
    (lambda: engine.avg_pool2d(np.full((1, 1, 2, 2), np.inf)), "NaN or infinity"),
])
def test_bad_input_gets_a_learners_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()
