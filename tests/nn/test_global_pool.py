"""GlobalAvgPool2D, the layer type added in its own module: the mean of each feature map."""

import numpy as np

from engine import nn
from engine.lessons.receptive_field import receptive_fields, window_specs
from test_nn_layers import check_layer

rng = np.random.default_rng(5)


def test_each_map_becomes_its_mean():
    x = rng.standard_normal((2, 3, 4, 5))
    out = nn.GlobalAvgPool2D().forward(x)
    assert out.shape == (2, 3) and out.dtype == np.float64
    np.testing.assert_allclose(out, [[x[n, c].sum() / 20 for c in range(3)] for n in range(2)], rtol=1e-12)


def test_gradient_matches_numerical():
    check_layer(nn.GlobalAvgPool2D(), rng.standard_normal((2, 3, 4, 5)))


def test_it_replaces_flatten_and_a_big_dense_layer():
    with_flatten = nn.Sequential([nn.Conv2D(1, 16, 3, padding="same"), nn.Flatten(), nn.Dense(16 * 28 * 28, 10)])
    with_gap = nn.Sequential([nn.Conv2D(1, 16, 3, padding="same"), nn.GlobalAvgPool2D(), nn.Dense(16, 10)])
    assert with_flatten.n_params == 160 + 125_450 and with_gap.n_params == 160 + 170
    assert with_gap.summary()[1] == ("GlobalAvgPool2D", (16,), 0)


def test_a_unit_after_it_sees_the_whole_image():
    model = nn.Sequential([nn.Conv2D(1, 4, 3, padding="same"), nn.MaxPool2D(2), nn.GlobalAvgPool2D(), nn.Dense(4, 10)])
    last = receptive_fields(window_specs(model))[-1]
    assert last.units == 1 and last.size >= 28


def test_a_model_with_it_trains_saves_and_loads(tmp_path):
    model = nn.Sequential([nn.Conv2D(1, 4, 3, padding="same", seed=0), nn.ReLU(), nn.GlobalAvgPool2D(),
                           nn.Dense(4, 10, seed=1)])
    x = rng.random((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    opt = nn.Adam(model, 1e-2)
    losses = [nn.train_step(model, opt, x, y) for _ in range(20)]
    assert losses[-1] < losses[0]
    model.save(tmp_path / "gap.npz")
    loaded = nn.Sequential.load(tmp_path / "gap.npz", input_shape=(1, 28, 28))
    np.testing.assert_array_equal(loaded.forward(x, training=False), model.forward(x, training=False))
