"""The fused Conv2D -> ReLU -> MaxPool2D [-> Dropout] and ReLU -> Dropout steps against the
layers run one by one."""

import numpy as np
import pytest

from engine import nn
from engine.padding import flat_padded
from engine.nn.fusion import ConvReluPoolStep, LayerStep, ReluDropoutStep, _aligned_empty, group
from gradcheck import assert_gradients_close, numerical_gradient


def block(c, k, size, padding, seed=0, dtype=np.float64):
    layers = [nn.Conv2D(c, k, size, padding=padding, seed=seed), nn.ReLU(), nn.MaxPool2D(2)]
    return [layer.astype(dtype) if layer.params else layer for layer in layers]


def run_layers(layers, x, dy, need_dx=True):
    outs = []
    for layer in layers:
        x = layer.forward(x)
        outs.append(x)
    g = layers[2].backward(dy)
    g = layers[1].backward(g)
    return outs, layers[0].backward(g, need_dx=need_dx)


CASES = [  # (N, C, H, W), filters, kernel size, padding
    ((3, 1, 28, 28), 8, 5, "same"),
    ((2, 3, 9, 7), 4, 3, 0),        # odd sizes: the last row and column are never pooled
    ((2, 2, 10, 12), 5, 4, "same"),  # an even kernel: uneven 'same' padding
    ((1, 4, 6, 6), 2, 1, 2),
    ((2, 2, 8, 6), 3, 3, "same"),   # 3x3 filters go in fours and pairs: three is a pair and one
    ((2, 3, 7, 9), 7, 3, 1),        # seven is four, a pair and one
    ((2, 3, 9, 8), 2, 5, "same"),   # 5x5 row passes over several channels
    ((2, 2, 9, 8), 5, 5, "same"),   # 5x5 filters go in fours too: five is four and one
    ((2, 1, 5, 5), 3, 5, 0),        # the 1x1 output cannot be pooled: falls back, same error
]


@pytest.mark.parametrize("shape, k, size, padding", CASES[:-1])
def test_fused_step_matches_the_layers_in_float64(shape, k, size, padding):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape)
    ref = block(shape[1], k, size, padding)
    fused = ConvReluPoolStep(*block(shape[1], k, size, padding))
    out = fused.forward(x)
    dy = rng.normal(size=out.shape)
    outs, dx_ref = run_layers(ref, x, dy)
    for mine, theirs in zip(fused.outputs, outs):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)
    dx = fused.backward(dy)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    for name in ("w", "b"):
        np.testing.assert_allclose(fused.layers[0].grads[name], ref[0].grads[name], rtol=1e-12, atol=1e-12)



@pytest.mark.parametrize("need_dx", [True, False])
def test_ties_in_a_window_send_the_gradient_where_the_layers_do(need_dx):
    # Blank areas make all four values of a window equal (the bias); sparse integer pixels
    # make exact ties between two or three of them too. Negative biases leave windows at 0.
    rng = np.random.default_rng(3)
    x = (rng.random((2, 2, 12, 12)) < 0.1).astype(np.float64)
    ref, fused = block(2, 4, 3, "same"), ConvReluPoolStep(*block(2, 4, 3, "same"))
    weights = rng.integers(-1, 2, size=(4, 2, 3, 3))
    for layers in (ref, fused.layers):
        layers[0].params["w"][...] = weights
        layers[0].params["b"][...] = [0.5, -0.5, 0.0, 1.0]
    out = fused.forward(x)
    dy = rng.normal(size=out.shape)
    outs, dx_ref = run_layers(ref, x, dy, need_dx=need_dx)
    np.testing.assert_array_equal(out, outs[2])
    dx = fused.backward(dy, need_dx=need_dx)
    if need_dx:
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    for name in ("w", "b"):
        np.testing.assert_allclose(fused.layers[0].grads[name], ref[0].grads[name], rtol=1e-12, atol=1e-12)

@pytest.mark.parametrize("shape, k, size, padding", CASES[:3])
def test_fused_step_gradients_match_numerical(shape, k, size, padding):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape)
    step = ConvReluPoolStep(*block(shape[1], k, size, padding))
    conv = step.layers[0]
    dy = rng.normal(size=step.forward(x).shape)
    conv.zero_grad()
    step.forward(x)
    dx = step.backward(dy)
    assert_gradients_close(dx, numerical_gradient(lambda v: step.forward(v), x, dy))
    for name in ("w", "b"):
        p = conv.params[name]
        numeric = numerical_gradient(lambda v: step.forward(x), p, dy)
        assert_gradients_close(conv.grads[name], numeric)


def test_float32_stays_within_1e4_of_float64():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 8, 14, 14))
    f64 = ConvReluPoolStep(*block(8, 16, 3, "same"))
    f32 = ConvReluPoolStep(*block(8, 16, 3, "same", dtype=np.float32))
    out64, out32 = f64.forward(x), f32.forward(x.astype(np.float32))
    assert out32.dtype == np.float32
    dy = rng.normal(size=out64.shape)
    dx64, dx32 = f64.backward(dy), f32.backward(dy.astype(np.float32))
    for a, b in ((out32, out64), (dx32, dx64), (f32.layers[0].grads["w"], f64.layers[0].grads["w"])):
        assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max()


@pytest.mark.parametrize("shape, k, size, padding", [((3, 1, 12, 12), 4, 3, "same")] + CASES[:-1])
def test_first_layer_skips_the_input_gradient_but_keeps_the_weights(shape, k, size, padding):
    rng = np.random.default_rng(4)
    x = rng.normal(size=shape)
    step = ConvReluPoolStep(*block(shape[1], k, size, padding))
    ref = block(shape[1], k, size, padding)
    dy = rng.normal(size=step.forward(x).shape)
    assert step.backward(dy, need_dx=False) is None
    run_layers(ref, x, dy, need_dx=False)
    for name in ("w", "b"):
        np.testing.assert_allclose(step.layers[0].grads[name], ref[0].grads[name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [2, 40])  # a page's few images keep their maps; a big batch does not
def test_inference_outputs_are_the_layers_maps_for_small_and_big_batches(n):
    from engine.nn.fusion import KEEP_MAPS_UP_TO

    rng = np.random.default_rng(6)
    x = rng.normal(size=(n, 2, 8, 8))
    step, ref = ConvReluPoolStep(*block(2, 3, 3, "same")), block(2, 3, 3, "same")
    step.forward(x, training=False)
    assert (step._z is not None) == (n <= KEEP_MAPS_UP_TO)
    for mine, theirs in zip(step.outputs, run_layers(ref, x, np.zeros((n, 3, 4, 4)))[0]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


def test_outputs_after_training_are_the_maps_the_forward_saw():
    """A training forward keeps only the pooled maps; the convolution's output is redone on
    request from the weights of that forward, even after the optimizer has moved them."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 9, 7))
    step = ConvReluPoolStep(*block(3, 4, 3, 0))
    ref = block(3, 4, 3, 0)
    step.forward(x, training=True)
    step.layers[0].params["w"] += 1.0
    outs, _ = run_layers(ref, x, np.zeros((2, 4, 3, 2)))
    for mine, theirs in zip(step.outputs, outs):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


def test_an_input_too_small_to_pool_gives_the_layers_message():
    shape, k, size, padding = CASES[-1]
    step = ConvReluPoolStep(*block(shape[1], k, size, padding))
    with pytest.raises(ValueError, match="pooling window does not fit"):
        step.forward(np.zeros(shape))


def test_non_finite_input_is_refused():
    step = ConvReluPoolStep(*block(1, 2, 3, "same"))
    x = np.zeros((1, 1, 6, 6))
    x[0, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        step.forward(x)


@pytest.mark.parametrize("shape, k, size, padding", [CASES[0], CASES[1], CASES[5], CASES[7]])
@pytest.mark.parametrize("p", [0.25, 0.9, 0.0])
@pytest.mark.parametrize("need_dx", [True, False])
def test_a_dropout_after_the_pool_is_fused_and_drops_what_the_layer_drops(shape, k, size, padding, p, need_dx):
    rng = np.random.default_rng(8)
    ref = block(shape[1], k, size, padding) + [nn.Dropout(p, seed=3)]
    fused = ConvReluPoolStep(*block(shape[1], k, size, padding), nn.Dropout(p, seed=3))
    for _ in range(2):  # the second batch draws a new key, as the layer does
        x = rng.normal(size=shape)
        out = fused.forward(x, training=True)
        outs, h = [], x
        for layer in ref:
            h = layer.forward(h, training=True)
            outs.append(h)
        np.testing.assert_array_equal(out == 0, h == 0)  # the same values dropped
        np.testing.assert_allclose(out, h, rtol=1e-12, atol=1e-12)
        assert len(fused.outputs) == 4
        for mine, theirs in zip(fused.outputs, outs):
            np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)
        dy = rng.normal(size=out.shape)
        g = dy
        for layer in reversed(ref[1:]):
            g = layer.backward(g)
        dx_ref = ref[0].backward(g, need_dx=need_dx)
        dx = fused.backward(dy, need_dx=need_dx)
        if need_dx:
            np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
        for name in ("w", "b"):
            np.testing.assert_allclose(fused.layers[0].grads[name], ref[0].grads[name], rtol=1e-12, atol=1e-12)
    if p == 0.9:
        assert (out == 0).mean() > 0.8  # the dropout did drop


def test_a_fused_dropout_does_nothing_at_inference():
    x = np.random.default_rng(2).normal(size=(2, 2, 8, 8))
    step = ConvReluPoolStep(*block(2, 3, 3, "same"), nn.Dropout(0.5, seed=0))
    outs, _ = run_layers(block(2, 3, 3, "same"), x, np.zeros((2, 3, 4, 4)))
    out = step.forward(x, training=False)
    np.testing.assert_allclose(out, outs[-1], rtol=1e-12, atol=1e-12)
    assert len(step.outputs) == 4 and step.outputs[3] is out


@pytest.mark.parametrize("shape, k, size, padding", CASES[:-1])
def test_the_forward_pads_every_image_as_the_unfused_convolution_does(shape, k, size, padding):
    x = np.random.default_rng(6).standard_normal((5,) + shape[1:])  # 5 images: uneven thread blocks
    step = ConvReluPoolStep(*block(shape[1], k, size, padding))
    step.forward(x)
    pads, xpf, wp = step._saved[1], step._saved[3], step._saved[4]
    expected, expected_wp = flat_padded(x, pads, size, 1)
    assert wp == expected_wp
    np.testing.assert_array_equal(xpf, expected)  # zeros included: the kernel writes every value


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape", [(2, 8, 896), (3, 5), (7,), (0, 4)])
def test_scratch_starts_on_a_cache_line(dtype, shape):
    for _ in range(20):  # NumPy hands out addresses at several offsets
        for a in (_aligned_empty(shape, dtype), _aligned_empty(shape, dtype, zero=True)):
            assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous
            assert a.__array_interface__["data"][0] % 64 == 0 or a.size == 0
        assert not a.any()


def test_group_fuses_only_the_pattern():
    steps = group(nn.digit_net().layers)
    assert [type(s).__name__ for s in steps] == ["ConvReluPoolStep", "ConvReluPoolStep", "LayerStep", "LayerStep",
                                                 "ReluDropoutStep", "LayerStep"]
    assert [type(layer).__name__ for layer in steps[0].layers] == ["Conv2D", "ReLU", "MaxPool2D", "Dropout"]
    assert [type(layer).__name__ for layer in steps[4].layers] == ["ReLU", "Dropout"]
    assert sum(len(s.layers) for s in steps) == len(nn.digit_net().layers)
    strided = [nn.Conv2D(1, 2, 3, stride=2), nn.ReLU(), nn.MaxPool2D(2)]
    assert all(isinstance(s, LayerStep) for s in group(strided))
    wide_pool = [nn.Conv2D(1, 2, 3), nn.ReLU(), nn.MaxPool2D(3)]
    assert all(isinstance(s, LayerStep) for s in group(wide_pool))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(64, 256), (3, 2, 5, 5), (300, 256)])  # the last: over the threads
@pytest.mark.parametrize("p", [0.5, 0.0])
def test_relu_then_dropout_is_fused_and_gives_exactly_what_the_layers_give(dtype, shape, p):
    rng = np.random.default_rng(9)
    relu, drop = nn.ReLU(), nn.Dropout(p, seed=4)
    step = ReluDropoutStep(nn.ReLU(), nn.Dropout(p, seed=4))
    for _ in range(2):  # the second batch draws a new key, as the layer does
        x = rng.normal(size=shape).astype(dtype)
        x.flat[:3] = [0.0, -0.0, 1e-30]
        after_relu = relu.forward(x)
        expected = drop.forward(after_relu)
        out = step.forward(x)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(step.outputs[0], after_relu)
        assert step.outputs[1] is out and step.last_output is out
        dy = rng.normal(size=shape).astype(dtype)
        np.testing.assert_array_equal(step.backward(dy), relu.backward(drop.backward(dy)))
    if p:
        assert 0.6 < (out == 0).mean() < 0.9  # half dropped, and about half of the rest negative


def test_fused_relu_and_dropout_pass_nan_on_and_keep_every_value_at_inference():
    x = np.array([[np.nan, -1.0, 2.0, 0.0]] * 40)
    step = ReluDropoutStep(nn.ReLU(), nn.Dropout(0.5, seed=0))
    out = step.forward(x, training=False)
    np.testing.assert_array_equal(out, nn.ReLU().forward(x))
    assert np.isnan(out[:, 0]).all()
    np.testing.assert_array_equal(step.backward(np.ones_like(x)), np.tile([0.0, 0.0, 1.0, 0.0], (40, 1)))


def test_fused_relu_and_dropout_refuse_a_gradient_of_the_wrong_shape_or_before_forward():
    step = ReluDropoutStep(nn.ReLU(), nn.Dropout(0.5, seed=0))
    with pytest.raises(RuntimeError, match="forward before backward"):
        step.backward(np.ones((2, 3)))
    step.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        step.backward(np.ones((3, 2)))
