"""Transfer learning (engine/nn/transfer.py): copying layers between models, freezing a layer,
and a smaller learning rate for the layers being fine-tuned."""

import numpy as np
import pytest

from engine import nn
from engine.nn import transfer
from engine.nn.recipe import TrainingConfig, build_model

rng = np.random.default_rng(5)
X = rng.random((64, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 3, 64)


def weights(layers):
    return [v.copy() for layer in layers for v in layer.params.values()]


def test_the_digit_networks_convolution_layers_go_into_a_three_class_network():
    digits = nn.Sequential.load("assets/pretrained_digit_net.npz")
    model = build_model(TrainingConfig(), classes=3)
    copied = transfer.copy_layers(digits, model)
    convs = [layer for layer in model.layers if isinstance(layer, nn.Conv2D)]
    assert copied == convs and transfer.feature_layers(model) == model.layers[:8]
    for mine, theirs in zip(convs, [layer for layer in digits.layers if isinstance(layer, nn.Conv2D)]):
        np.testing.assert_array_equal(mine.params["w"], theirs.params["w"])
        assert mine.params["w"] is not theirs.params["w"]  # copies: training one leaves the other
    assert model.layers[-1].params["w"].shape == (256, 3)
    # the copied filters find the same edges: the first layer's maps of a digit are the digit network's
    x = X[:2]
    model.forward(x, training=False)
    digits.forward(x, training=False)
    np.testing.assert_allclose(model.activations[0], digits.activations[0], rtol=1e-6)


def test_a_frozen_layer_does_not_change_while_the_others_learn():
    model = build_model(TrainingConfig(), classes=3)
    frozen = transfer.freeze(transfer.copy_layers(nn.digit_net(seed=1), model))
    assert all(transfer.is_frozen(layer) for layer in frozen)
    before, dense_before = weights(frozen), weights(model.layers[-1:])
    for opt in (nn.Adam(model, 1e-2), nn.SGD(model, 0.1, momentum=0.9), nn.RMSprop(model, 1e-3)):
        nn.fit(model, opt, X, Y, epochs=2, batch_size=16)
    for old, new in zip(before, weights(frozen)):
        np.testing.assert_array_equal(old, new)
    assert not np.array_equal(dense_before[0], model.layers[-1].params["w"])
    assert {id(layer) for layer, _ in model.parameters()}.isdisjoint(id(layer) for layer in frozen)
    transfer.unfreeze(frozen)
    nn.fit(model, nn.Adam(model, 1e-2), X, Y, epochs=1, batch_size=16)
    assert not np.array_equal(before[0], frozen[0].params["w"])


@pytest.mark.parametrize("make", [lambda m, lr: nn.SGD(m, lr), lambda m, lr: nn.SGD(m, lr, momentum=0.9),
                                  lambda m, lr: nn.RMSprop(m, lr), lambda m, lr: nn.Adam(m, lr)])
def test_a_layer_learning_rate_factor_is_that_layer_trained_at_the_smaller_rate(make):
    """Layer 0 at 0.1 x the rate (the rest frozen) matches layer 0 trained at the smaller rate."""
    def net():
        model = nn.Sequential([nn.Conv2D(1, 2, 3, padding="same", seed=0), nn.ReLU(), nn.MaxPool2D(2),
                               nn.Flatten(), nn.Dense(2 * 14 * 14, 3, seed=1)]).astype(np.float64)
        transfer.freeze(model.layers[1:])
        return model

    scaled, plain = net(), net()
    x = X.astype(np.float64)
    nn.fit(scaled, make(scaled, 1e-2), x, Y, epochs=2, batch_size=16, seed=2,
           callbacks=[transfer.LayerLearningRate(scaled.layers[:1], 0.1)])
    nn.fit(plain, make(plain, 1e-3), x, Y, epochs=2, batch_size=16, seed=2)
    np.testing.assert_allclose(scaled.layers[0].params["w"], plain.layers[0].params["w"], rtol=1e-9, atol=1e-12)
    assert not np.array_equal(scaled.layers[0].params["w"], net().layers[0].params["w"])


def test_what_cannot_be_copied_is_explained():
    digits = nn.digit_net()
    wider = build_model(TrainingConfig(conv1_filters=16), classes=3)
    with pytest.raises(ValueError, match=r"w of shape \(8, 1, 5, 5\) in the source but \(16, 1, 5, 5\)"):
        transfer.copy_layers(digits, wider)
    normed = build_model(TrainingConfig(batch_norm=True), classes=3)
    with pytest.raises(ValueError, match="Conv2D in the source but a BatchNorm2D in the target"):
        transfer.copy_layers(digits, normed)
    with pytest.raises(ValueError, match="cannot copy 9 layers"):
        transfer.copy_layers(digits, build_model(TrainingConfig(), classes=3), count=9)
    with pytest.raises(ValueError, match="whole number"):
        transfer.copy_layers(digits, digits, count=1.5)
    with pytest.raises(ValueError, match="from 0 to 1"):
        transfer.LayerLearningRate([], 2)
    # a failed copy leaves the target as it was
    target = build_model(TrainingConfig(conv2_filters=32), classes=3)
    first = target.layers[0].params["w"].copy()
    with pytest.raises(ValueError):
        transfer.copy_layers(digits, target)
    np.testing.assert_array_equal(first, target.layers[0].params["w"])
