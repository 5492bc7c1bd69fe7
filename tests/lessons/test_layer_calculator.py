import tracemalloc

import pytest

from engine import nn
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


def test_digit_net_preset_is_the_training_network():
    shape, specs, _ = arch.PRESETS["Digit recognizer (default)"]
    rows = arch.summarize(specs, shape)
    assert [(r.name, r.output_shape, r.params) for r in rows] == nn.digit_net().summary(shape)


def test_famous_networks():
    assert sum(counts("LeNet-5")) == 61706
    assert 60e6 < sum(counts("AlexNet")) < 63e6
    assert sum(counts("VGG-16")) == 138_357_544


def test_vgg16_is_counted_without_allocating_its_weights():
    shape, specs, _ = arch.PRESETS["VGG-16"]
    tracemalloc.start()
    try:
        arch.summarize(specs, shape)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # 138 million float32 weights would be 553 MB


def test_rows_come_from_real_layers():
    layer = arch.build_layer({"type": "Conv2D", "out_ch": 10, "size": 3, "padding": 1}, (3, 32, 32))
    assert isinstance(layer, nn.Conv2D) and layer.weightless and not layer.params
    assert layer.param_shapes() == {"w": (10, 3, 3, 3), "b": (10,)}


def test_ten_5x5_filters_on_cifar():
    rows = arch.summarize([{"type": "Conv2D", "out_ch": 10, "size": 5}], (3, 32, 32))
    assert rows[0].params == 760 and rows[0].output_shape == (10, 28, 28)


def test_same_padding_with_a_stride_is_ceil_of_the_size_over_the_stride():
    rows = arch.summarize([{"type": "Conv2D", "out_ch": 4, "size": 4, "stride": 3, "padding": "same"}], (1, 28, 28))
    assert rows[0].output_shape == (4, 10, 10)  # ceil(28 / 3)


def test_global_average_pooling_replaces_the_big_dense_layer():
    rows = arch.summarize([{"type": "Conv2D", "out_ch": 16, "size": 3, "padding": "same"},
                           {"type": "GlobalAvgPool2D"}, {"type": "Dense", "n_out": 10}], (1, 28, 28))
    assert [r.output_shape for r in rows] == [(16, 28, 28), (16,), (10,)]
    assert rows[-1].params == 16 * 10 + 10 and rows[-1].formula == "16·10 + 10"


def test_cells_from_the_table_are_taken_as_whole_numbers():
    rows = arch.summarize([{"type": "Conv2D", "out_ch": 10.0, "size": 3.0, "padding": " 1 "}], (3, 32, 32))
    assert rows[0].params == 280 and rows[0].output_shape == (10, 32, 32)


@pytest.mark.parametrize("specs, message", [
    ([{"type": "Conv2D", "out_ch": 4, "size": 9}], "layer 1 \\(Conv2D\\): a 9x9 kernel does not fit in a 5x5 input"),
    ([{"type": "Dense", "n_out": 3}], "add a Flatten layer"),
    ([{"type": "Flatten"}, {"type": "Conv2D", "out_ch": 2, "size": 1}], "cannot come after a Flatten"),
    ([{"type": "Conv2D", "out_ch": 0, "size": 3}], "filters must be at least 1"),
    ([{"type": "Conv2D", "out_ch": 2, "padding": "bogus"}], "padding must be a number, a pair, 'valid' or 'same'"),
    ([{"type": "MaxPool2D", "size": 2, "stride": 0}], "stride must be at least 1"),
    ([{"type": "Dropout", "p": 1.5}], "dropout probability must be a number at least 0 and below 1"),
    ([{"type": "Conv2D", "out_ch": 2, "kernel": 3}], "has no option 'kernel'"),
    ([{"type": "softmax"}], "unknown layer type"),
])
def test_layers_that_do_not_fit_are_named(specs, message):
    with pytest.raises(ValueError, match=message):
        arch.summarize(specs, (1, 5, 5))
