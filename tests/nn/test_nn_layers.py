"""Every layer's backward against float64 numerical gradients, and layer behaviour."""

import numpy as np
import pytest

from engine import nn
from gradcheck import assert_gradients_close, numerical_gradient

rng = np.random.default_rng(2)


def check_layer(layer, x, training=True):
    """Compare backward's dx and every parameter gradient with numerical ones (float64)."""
    layer.astype(np.float64)
    dy = rng.standard_normal(layer.forward(x, training).shape)
    layer.zero_grad()
    layer.forward(x, training)
    dx = layer.backward(dy)
    assert_gradients_close(dx, numerical_gradient(lambda v: layer.forward(v, training), x, dy))
    for name, value, grad in layer.parameters():
        assert_gradients_close(grad, numerical_gradient(lambda v: layer.forward(x, training), value, dy))


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv2D(2, 3, 3, padding=1, seed=0), (2, 2, 5, 5)),
    (nn.Conv2D(2, 3, 3, stride=2, padding="same", seed=0), (2, 2, 6, 5)),
    (nn.Conv2D(1, 2, 5, padding="same", seed=0), (1, 1, 7, 7)),
    (nn.MaxPool2D(2), (2, 2, 4, 6)),
    (nn.MaxPool2D(3, 2), (1, 2, 7, 7)),
    (nn.AvgPool2D(2), (2, 2, 4, 4)),
    (nn.Sigmoid(), (3, 5)),
    (nn.Tanh(), (3, 5)),
    (nn.ReLU(), (2, 3, 4, 4)),
    (nn.LeakyReLU(0.1), (3, 7)),
    (nn.BatchNorm2D(3), (4, 3, 3, 3)),
    (nn.BatchNorm1D(5), (6, 5)),
    (nn.Flatten(), (2, 3, 2, 2)),
    (nn.Dense(6, 4, seed=0), (5, 6)),
])
def test_layer_gradients_match_numerical(layer, shape):
    x = rng.standard_normal(shape)
    if isinstance(layer, (nn.ReLU, nn.LeakyReLU)):
        x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where the slope is undefined
    check_layer(layer, x)


def test_dropout_gradient_with_a_fixed_mask():
    layer = nn.Dropout(0.5, seed=3)
    x = rng.standard_normal((4, 6))
    out = layer.forward(x)
    mask = layer.cache
    assert set(np.unique(mask)) <= {0.0, 2.0}
    dy = rng.standard_normal(out.shape)
    assert np.array_equal(layer.backward(dy), dy * mask)
    assert np.array_equal(layer.forward(x, training=False), x)


def test_dropout_keeps_the_expected_value():
    out = nn.Dropout(0.25, seed=0).forward(np.ones((200, 200), np.float32))
    assert abs(out.mean() - 1) < 0.02


def test_batchnorm_uses_running_statistics_at_test_time():
    bn = nn.BatchNorm1D(3)
    for _ in range(200):
        bn.forward(rng.normal(5.0, 2.0, (64, 3)))
    y = bn.forward(np.full((1, 3), 5.0), training=False)
    assert np.allclose(y, 0, atol=0.1)


def test_gradients_accumulate_until_zero_grad():
    layer = nn.Dense(3, 2, seed=0)
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dy)
    once = layer.grads["w"].copy()
    layer.forward(x)
    layer.backward(dy)
    assert np.allclose(layer.grads["w"], 2 * once)
    layer.zero_grad()
    assert not layer.grads["w"].any()


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        nn.ReLU().backward(np.ones(3))


def test_float64_input_gives_float64_output():
    layer = nn.Conv2D(1, 2, 3).astype(np.float64)
    assert layer.forward(np.ones((1, 1, 5, 5))).dtype == np.float64
    assert nn.Conv2D(1, 2, 3).forward(np.ones((1, 1, 5, 5), np.float32)).dtype == np.float32


def test_dense_tells_you_to_flatten():
    with pytest.raises(ValueError, match="add a Flatten layer"):
        nn.Dense(16, 2).forward(np.ones((1, 1, 4, 4), np.float32))


@pytest.mark.parametrize("layer, count", [
    (nn.Conv2D(1, 8, 5), 208), (nn.Conv2D(8, 16, 3), 1168), (nn.Dense(784, 256), 200960),
    (nn.Dense(256, 10), 2570), (nn.Conv2D(3, 10, 5), 760), (nn.Conv2D(3, 10, 3), 280),
    (nn.Conv2D(10, 10, 3), 910), (nn.BatchNorm2D(8), 16), (nn.MaxPool2D(), 0),
])
def test_lecture_parameter_counts(layer, count):
    assert layer.n_params == count


def test_dropout_masks_are_reproducible_and_fresh_for_every_batch():
    x = np.ones((200, 500), dtype=np.float32)
    a, b = nn.Dropout(0.3, seed=5), nn.Dropout(0.3, seed=5)
    first = a.forward(x)
    assert np.array_equal(first, b.forward(x))          # same seed, same mask
    assert not np.array_equal(first, a.forward(x))      # the next batch gets a new mask
    assert abs((first == 0).mean() - 0.3) < 0.005       # 100,000 coins: the rate is p
    assert set(np.unique(first)) == {0.0, np.float32(1 / 0.7)}


def test_big_dropout_backward_split_over_threads_is_the_product_with_the_mask():
    from engine._kernels import dropout as dropout_kernels

    rng = np.random.default_rng(8)
    n = 3 * dropout_kernels.PARALLEL_FROM + 7
    layer = nn.Dropout(0.25, seed=3)
    layer.forward(rng.standard_normal((1, n)).astype(np.float32))
    dy = rng.standard_normal((1, n)).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(dy), dy * layer.cache)


def test_dropout_mask_is_the_same_on_one_thread_or_several():
    from engine._kernels import dropout as dropout_kernels

    x = np.random.default_rng(9).standard_normal(3 * dropout_kernels.PARALLEL_FROM + 7).astype(np.float32)
    args = (np.uint32(12345), np.uint32(2**30), 1 / 0.75)
    serial, parallel = [(np.empty_like(x), np.empty_like(x)) for _ in range(2)]
    dropout_kernels.dropout_forward(x, *args, *serial)
    dropout_kernels.dropout_forward_parallel(x, *args, *parallel)
    np.testing.assert_array_equal(serial[0], parallel[0])
    np.testing.assert_array_equal(serial[1], parallel[1])
    assert 0.2 < (serial[1] == 0).mean() < 0.3  # threshold 2**30: a quarter dropped


def test_zero_grad_clears_big_and_small_gradients():
    layer = nn.Dense(784, 256, seed=0)  # 200,704 weights: zeroed over the threads
    layer.forward(np.ones((2, 784), np.float32))
    layer.backward(np.ones((2, 256), np.float32))
    assert layer.grads["w"].any() and layer.grads["b"].any()
    layer.zero_grad()
    assert not layer.grads["w"].any() and not layer.grads["b"].any()
