"""The training recipe (engine/nn/recipe.py): the settings a learner picks and what they build."""

import numpy as np
import pytest

from engine.nn.recipe import TrainingConfig, build_model


def test_default_config_builds_the_lecture_network():
    counts = [n for _, _, n in build_model(TrainingConfig()).summary() if n]
    assert counts == [208, 1168, 200960, 2570]
    bn = build_model(TrainingConfig(batch_norm=True, dropout=False))
    names = [layer.name for layer in bn.layers]
    assert "BatchNorm2D" in names and not any(n.startswith("Dropout") for n in names)


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-1.0), "positive"), (dict(batch_size=0), "batch size"), (dict(optimizer="lion"), "optimizer"),
    (dict(conv1_size=4), "odd"), (dict(train_size=10, batch_size=64), "training set"),
    (dict(batch_size=2.5), "batch size must be a whole number"), (dict(early_stopping=-1), "patience"),
    (dict(epochs=True), "epochs must be a whole number"), (dict(dropout="yes"), "on or off"),
    (dict(lr=float("nan")), "finite"), (dict(lr_decay=0.0), "decay"), (dict(conv1_filters=10**6), "filters"),
])
def test_bad_settings_are_explained(bad, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**bad).validate()


def test_the_recipe_builds_a_network_for_any_number_of_classes():
    model = build_model(TrainingConfig(), classes=3)
    assert model.layers[-1].n_out == 3
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32), training=False).shape == (2, 3)


def test_rotations_join_the_shifts_and_a_bad_rotation_is_explained():
    from engine.nn.recipe import augmenter, small_set_config

    assert augmenter(TrainingConfig()) is None
    x = np.zeros((4, 1, 28, 28), np.float32)
    x[:, 0, 8:20, 13:15] = 1
    turned = augmenter(TrainingConfig(rotation=20))(x, np.random.default_rng(0))
    assert turned.shape == x.shape and not np.array_equal(turned, x)
    with pytest.raises(ValueError, match="rotation must be between 0 and 45"):
        TrainingConfig(rotation=90).validate()
    assert small_set_config(5).batch_size == 5 and small_set_config(100, epochs=3).epochs == 3
    assert small_set_config(24).lr_decay == 1.0  # 60 short epochs at one learning rate


def test_average_pooling_can_replace_max_pooling():
    from engine import nn

    model = build_model(TrainingConfig(pooling="average"))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("AvgPool2D") == 2 and "MaxPool2D" not in kinds
    assert model.n_params == build_model(TrainingConfig()).n_params  # pooling learns nothing
    x, y = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32), np.arange(8)
    nn.fit(model, nn.Adam(model, 1e-3), x, y, epochs=1, batch_size=4)
    with pytest.raises(ValueError, match="pooling must be one of max, average"):
        TrainingConfig(pooling="min").validate()


@pytest.mark.parametrize("settings", [{}, {"batch_norm": True}, {"dropout": False, "pooling": "average"}])
def test_a_network_built_without_weights_counts_and_describes_the_same(settings):
    cfg = TrainingConfig(**settings)
    full, counted = build_model(cfg), build_model(cfg, weights=False)
    assert counted.n_params == full.n_params
    assert counted.summary((1, 28, 28)) == full.summary((1, 28, 28))
    assert all(not layer.params for layer in counted.layers)
