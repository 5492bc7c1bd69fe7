"""What every registered layer type says about itself agrees with what it does.

The tests walk nn.LAYER_TYPES, so a new layer type is checked here as soon as it registers.
"""

import math

import numpy as np
import pytest

from engine import nn

IMAGE, VECTOR = (3, 8, 8), (12,)
rng = np.random.default_rng(4)


def examples():
    """(type name, a layer built by for_input with its defaults, the input shape it takes)."""
    cases = []
    for name, cls in nn.LAYER_TYPES.items():
        for shape in ((IMAGE,) if cls.input_kind == "image" else (VECTOR,) if cls.input_kind == "vector"
                      else (IMAGE, VECTOR)):
            cases.append(pytest.param(cls, shape, id=f"{name}-{len(shape)}d"))
    return cases


@pytest.mark.parametrize("cls, shape", examples())
def test_shapes_counts_and_settings_agree_with_the_layer(cls, shape):
    layer = cls.for_input(shape)
    x = rng.standard_normal((2,) + shape).astype(np.float32)
    out = layer.forward(x)
    assert out.shape == (2,) + layer.output_shape(shape)
    assert layer.n_params == sum(v.size for v in layer.params.values())
    assert {k: v.shape for k, v in layer.params.items()} == layer.param_shapes()
    assert {k: v.shape for k, v in layer.buffers.items()} == layer.buffer_shapes()
    assert layer.backward(np.ones_like(out)).shape == x.shape
    again = cls.from_config(layer.config())
    assert again.config() == layer.config() and again.name == layer.name
    assert isinstance(layer.multiply_adds(shape), int) and layer.multiply_adds(shape) >= 0
    if layer.n_params:
        assert str(layer.n_params) == str(eval(layer.param_formula().split(" (")[0].replace("·", "*")))


@pytest.mark.parametrize("cls, shape", examples())
def test_a_layer_built_without_weights_is_counted_but_never_run(cls, shape):
    counted, real = cls.for_input(shape, weights=False), cls.for_input(shape)
    assert counted.n_params == real.n_params and not counted.params and not counted.grads
    assert counted.output_shape(shape) == real.output_shape(shape)
    if real.n_params:
        with pytest.raises(ValueError, match="built without weights"):
            counted.forward(np.ones((1,) + shape, np.float32))


@pytest.mark.parametrize("cls, shape", [c for c in examples() if c.values[1] == IMAGE])
def test_every_output_units_window_lies_on_the_input(cls, shape):
    layer = cls.for_input(shape)
    window, out = layer.window(shape), layer.output_shape(shape)
    if window is None:
        assert len(out) == 1
        return
    for axis in (0, 1):
        n, f, s, p = shape[1 + axis], window.size[axis], window.stride[axis], window.pad[axis]
        units = out[1 + axis] if len(out) == 3 else 1
        starts = [i * s - p for i in range(units)]  # in input rows; negative ones begin in the padding
        assert all(start + f > 0 and start < n for start in starts)


@pytest.mark.parametrize("cls, shape", examples())
def test_every_layer_exports_to_both_frameworks(cls, shape):
    layer = cls.for_input(shape)
    assert layer.to_pytorch(shape).module.startswith("nn.")
    assert all(code.startswith("layers.") for code in layer.to_keras(shape).layers)


def test_a_layer_type_without_a_description_is_a_clear_error():
    class Mystery(nn.Module):
        pass

    layer = Mystery()
    for call in (lambda: layer.window(IMAGE), lambda: layer.to_pytorch(IMAGE), lambda: layer.to_keras(IMAGE)):
        with pytest.raises(ValueError, match="Mystery"):
            call()
    with pytest.raises(ValueError, match="unknown layer type 'Mystery'"):
        nn.layer_from_config("Mystery", {})


def test_same_padding_is_worked_out_in_one_place():
    from engine.padding import same_padding

    for n, f, s in [(28, 5, 1), (28, 4, 1), (28, 3, 2), (7, 4, 3)]:
        conv = nn.Conv2D(1, 1, f, stride=s, padding="same", weights=False)
        top, bottom = same_padding(n, f, s, 1)
        assert conv.window((1, n, n)).pad == (top, top)
        assert conv.output_shape((1, n, n))[1] == math.ceil(n / s)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2D(1, 2, 3, padding="bogus"), "padding must be a number, a pair, 'valid' or 'same'"),
    (lambda: nn.Conv2D(1, 2, 3, padding=-2), "padding must be at least 0"),
    (lambda: nn.Conv2D(1, 2, 3, padding=1.5), "padding must be a whole number"),
    (lambda: nn.Conv2D(1, 2, 3, stride=0), "stride must be at least 1"),
    (lambda: nn.Conv2D(True, 2, 3), "whole number"),
    (lambda: nn.Conv2D(1, 2, 3.0), "kernel size must be a whole number"),
    (lambda: nn.MaxPool2D(stride=0), "stride must be at least 1"),
    (lambda: nn.MaxPool2D(0), "pool size must be at least 1"),
    (lambda: nn.AvgPool2D(2, stride=(1, 2, 3)), "one number or a pair"),
    (lambda: nn.BatchNorm2D(0), "number of channels must be at least 1"),
    (lambda: nn.BatchNorm2D(4, eps=-1), "epsilon must be a number above 0"),
    (lambda: nn.BatchNorm1D(4, momentum=5), "momentum must be a number at least 0 and below 1"),
    (lambda: nn.BatchNorm1D(4, momentum=float("nan")), "momentum must be a number"),
    (lambda: nn.LeakyReLU(float("nan")), "slope of a leaky ReLU must be a number"),
    (lambda: nn.LeakyReLU("0.1"), "slope of a leaky ReLU must be a number"),
    (lambda: nn.Dropout(1.0), "dropout probability must be a number at least 0 and below 1"),
    (lambda: nn.Dropout("half"), "dropout probability must be a number"),
    (lambda: nn.Dense(0, 3), "number of inputs of a dense layer must be at least 1"),
    (lambda: nn.Dense(3, 2.5), "whole number"),
])
def test_constructors_refuse_nonsense_at_once(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda m: nn.Adam(m, beta1=2), "beta1 must be a number at least 0 and below 1"),
    (lambda m: nn.Adam(m, beta2=-0.1), "beta2 must be a number at least 0 and below 1"),
    (lambda m: nn.Adam(m, eps=0), "epsilon must be a number above 0"),
    (lambda m: nn.RMSprop(m, 0.01, rho=-1), "rho must be a number at least 0 and below 1"),
    (lambda m: nn.RMSprop(m, 0.01, eps=float("inf")), "epsilon must be a number above 0"),
    (lambda m: nn.SGD(m, 0.1, momentum=1.5), "momentum must be a number at least 0 and below 1"),
    (lambda m: nn.SGD(m, "fast"), "learning rate must be a number above 0"),
    (lambda m: nn.SGD(m, float("nan")), "learning rate must be a number above 0"),
])
def test_optimizers_refuse_nonsense_at_once(make, message):
    with pytest.raises(ValueError, match=message):
        make(nn.Sequential([nn.Dense(2, 1)]))


def test_a_sequential_refuses_what_is_not_a_layer_and_complex_input():
    with pytest.raises(ValueError, match="at least one layer"):
        nn.Sequential([])
    with pytest.raises(ValueError, match="not int"):
        nn.Sequential([nn.ReLU(), 3])
    with pytest.raises(ValueError, match="complex"):
        nn.digit_net().forward(np.ones((1, 1, 28, 28), np.complex64))
    with pytest.raises(ValueError, match="must hold numbers"):
        nn.digit_net().forward(np.array([["a"]]))
