import pytest

from engine.lessons import layer_calculator as arch


def counts(name):
    shape, specs, _ = arch.PRESETS[name]
    return [r.params for r in arch.summarize(specs, shape) if r.params]


def test_lecture_cifar_stack():
    shape, specs, _ = arch.PRESETS["CIFAR-10 stack (lecture)"]
    rows = arch.summarize(specs, shape)
    assert counts("CIFAR-10 stack (lecture)") == [280, 910, 910, 910]
    assert rows[4].output_shape == (10, 16, 16) and rows[-1].output_shape == (10, 8, 8)
    assert rows[0].formula == "(3·3·3)·10 + 10"


def test_digit_net_counts():
    assert counts("Digit recognizer (default)") == [208, 1168, 200960, 2570]


def test_famous_networks():
    assert sum(counts("LeNet-5")) == 61706
    assert 60e6 < sum(counts("AlexNet")) < 63e6
    assert sum(counts("VGG-16")) == 138_357_544


def test_ten_5x5_filters_on_cifar():
    rows = arch.summarize([{"type": "conv", "filters": 10, "size": 5}], (3, 32, 32))
    assert rows[0].params == 760 and rows[0].output_shape == (10, 28, 28)


@pytest.mark.parametrize("specs, message", [
    ([{"type": "conv", "filters": 4, "size": 9}], "layer 1 \\(conv\\): a 9x9 kernel does not fit in a 5x5 input"),
    ([{"type": "dense", "units": 3}], "add a flatten layer"),
    ([{"type": "flatten"}, {"type": "conv", "filters": 2, "size": 1}], "comes after a flatten"),
    ([{"type": "conv", "filters": 0, "size": 3}], "filters must be at least 1"),
    ([{"type": "softmax"}], "unknown layer type"),
])
def test_layers_that_do_not_fit_are_named(specs, message):
    with pytest.raises(ValueError, match=message):
        arch.summarize(specs, (1, 5, 5))
