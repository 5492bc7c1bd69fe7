"""Sequential, losses, optimizers, digit_net and train_step."""

import numpy as np
import pytest

from engine import nn
import naive
from gradcheck import assert_gradients_close, numerical_gradient

rng = np.random.default_rng(3)


def small_net():
    return nn.Sequential([
        nn.Conv2D(1, 3, 3, padding="same", seed=0), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(3, 4, 3, padding=1, seed=1), nn.Tanh(), nn.AvgPool2D(2),
        nn.Flatten(), nn.Dense(16, 5, seed=2), nn.Sigmoid(), nn.BatchNorm1D(5), nn.Dense(5, 3, seed=3),
    ])


def test_digit_net_matches_the_lecture():
    rows = nn.digit_net().summary((1, 28, 28))
    counts = [n for _, _, n in rows if n]
    assert counts == [208, 1168, 200960, 2570]
    shapes = [shape for _, shape, _ in rows]
    assert shapes[2] == (8, 14, 14) and shapes[6] == (16, 7, 7) and shapes[8] == (784,) and shapes[-1] == (10,)
    assert "204,906" in nn.digit_net().format_summary()


def test_whole_network_gradient_check_in_float64():
    model = small_net().astype(np.float64)
    x = rng.standard_normal((3, 1, 8, 8))
    y = np.array([0, 2, 1])

    def loss_of(_):
        return np.array(nn.softmax_cross_entropy(model.forward(x), y)[0])

    model.zero_grad()
    _, dlogits = nn.softmax_cross_entropy(model.forward(x), y)
    dx = model.backward(dlogits)
    for layer, name in model.parameters():
        assert_gradients_close(layer.grads[name], numerical_gradient(loss_of, layer.params[name], np.array(1.0)))
    assert_gradients_close(dx, numerical_gradient(loss_of, x, np.array(1.0)))


def test_activations_hold_every_layers_output():
    model = small_net()
    out = model.forward(rng.standard_normal((2, 1, 8, 8)).astype(np.float32), training=False)
    acts = model.activations
    assert len(acts) == len(model.layers) and acts[-1] is out and model.output is out
    assert acts[0].shape == (2, 3, 8, 8) and acts[2].shape == (2, 3, 4, 4)


@pytest.mark.parametrize("loss_fn, target", [
    (nn.softmax_cross_entropy, np.array([1, 0, 3])),
    (nn.mse, rng.standard_normal((3, 4))),
])
def test_loss_gradients_match_numerical(loss_fn, target):
    logits = rng.standard_normal((3, 4))
    _, grad = loss_fn(logits, target)
    numeric = numerical_gradient(lambda v: np.array(loss_fn(v, target)[0]), logits, np.array(1.0))
    assert_gradients_close(grad, numeric)


def test_cross_entropy_is_stable_for_huge_logits():
    loss, grad = nn.softmax_cross_entropy(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert np.isfinite(loss) and np.isclose(loss, 500.0) and np.all(np.isfinite(grad))



@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_cross_entropy_matches_the_textbook_formula(dtype, tol):
    logits = (rng.standard_normal((64, 10)) * 5).astype(dtype)
    labels = rng.integers(0, 10, 64).astype(np.uint8)  # the digits' labels are uint8
    loss, grad = nn.softmax_cross_entropy(logits, labels)
    ref_loss, ref_grad = naive.softmax_cross_entropy(logits.astype(np.float64), labels)
    assert grad.dtype == dtype
    assert abs(loss - ref_loss) <= tol * abs(ref_loss)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=tol)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 2]), "between 0 and 1"), (np.array([-1, 0]), "between 0 and 1"),
    (np.array([0.0, 1.0]), "whole numbers"),
])
def test_cross_entropy_explains_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        nn.softmax_cross_entropy(np.zeros((2, 2)), labels)

def test_save_and_load_give_the_same_predictions(tmp_path):
    model = nn.Sequential([nn.Conv2D(1, 2, 3, seed=0), nn.BatchNorm2D(2), nn.ReLU(), nn.Flatten(),
                           nn.Dropout(0.5), nn.Dense(2 * 4 * 4, 3, seed=1)])
    x = rng.standard_normal((4, 1, 6, 6)).astype(np.float32)
    model.forward(x)  # moves the batch-norm running statistics away from their start
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nn.Sequential.load(path)
    assert np.array_equal(loaded.forward(x, training=False), model.forward(x, training=False))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert int(data["format_version"]) == 1


def test_loading_a_wrong_version_or_a_non_model_is_explained(tmp_path):
    path = tmp_path / "model.npz"
    nn.digit_net().save(path)
    data = dict(np.load(path))
    data["format_version"] = np.int64(7)
    np.savez(path, **data)
    with pytest.raises(ValueError, match="format version 7"):
        nn.Sequential.load(path)
    for content in (b"this is not a model", b""):
        junk = tmp_path / "junk.npz"
        junk.write_bytes(content)
        with pytest.raises(ValueError, match="^this is not a ConvLab model file"):
            nn.Sequential.load(junk)


@pytest.mark.parametrize("make", [
    lambda m: nn.SGD(m, 0.1), lambda m: nn.SGD(m, 0.05, momentum=0.9),
    lambda m: nn.RMSprop(m, 0.01), lambda m: nn.Adam(m, 0.05),
])
def test_optimizers_fit_a_linear_regression(make):
    model = nn.Sequential([nn.Dense(3, 1, seed=0)]).astype(np.float64)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    opt = make(model)
    first = None
    for _ in range(300):
        model.zero_grad()
        loss, d = nn.mse(model.forward(x), y)
        first = first if first is not None else loss
        model.backward(d)
        opt.step()
    assert loss < 0.01 * first


def test_sgd_step_is_the_lecture_formula():
    model = nn.Sequential([nn.Dense(2, 1, seed=0)])
    layer = model.layers[0]
    before = layer.params["w"].copy()
    layer.grads["w"][...] = 1.0
    nn.SGD(model, lr=0.1).step()
    assert np.allclose(layer.params["w"], before - 0.1)



def _adam_by_formula(p, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


@pytest.mark.parametrize("method", ["step", "checked_step"])
@pytest.mark.parametrize("n_in, n_out", [(3, 2), (300, 256)])  # the serial and the parallel kernel
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_steps_are_the_lecture_formula(n_in, n_out, dtype, method):
    model = nn.Sequential([nn.Dense(n_in, n_out, seed=0)]).astype(dtype)
    layer = model.layers[0]
    grads = [rng.standard_normal(layer.params["w"].shape) for _ in range(5)]
    expected = _adam_by_formula(layer.params["w"].astype(np.float64), grads)
    opt = nn.Adam(model, lr=1e-3)
    for g in grads:
        layer.grads["w"][...] = g
        layer.grads["b"][...] = 0
        assert getattr(opt, method)() in (None, True)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert np.allclose(layer.params["w"], expected, rtol=0, atol=tol)


def test_adam_updates_the_arrays_a_model_holds_now_not_those_of_its_first_step():
    model = nn.Sequential([nn.Dense(3, 2, seed=0)])
    layer = model.layers[0]
    opt = nn.Adam(model, lr=0.1)
    layer.grads["w"][...] = 1.0
    assert opt.checked_step()
    layer.params["w"] = np.zeros((3, 2), np.float32)  # a learner sets the weights by hand
    layer.grads["w"][...] = 1.0
    assert opt.checked_step()
    assert np.all(layer.params["w"] < 0)
    model.astype(np.float64)  # new arrays for every parameter and gradient
    before = layer.params["b"].copy()
    layer.grads["b"][...] = -1.0
    assert opt.checked_step()
    assert layer.params["b"].dtype == np.float64 and np.all(layer.params["b"] > before)


def test_adam_flushes_averages_that_decay_into_subnormals_but_keeps_nan():
    model = nn.Sequential([nn.Dense(2, 1, seed=0)])
    layer = model.layers[0]
    opt = nn.Adam(model)
    layer.grads["w"][...] = [[1.0], [np.nan]]
    opt.step()
    layer.grads["w"][...] = 0.0
    for _ in range(850):  # 0.1 * 0.9 ** 850 is about 1e-40: subnormal in float32, yet not 0
        opt.step()
    m, v = opt.state[(id(layer), "w")]
    assert m[0, 0] == 0.0 and np.isnan(m[1, 0]) and np.isnan(layer.params["w"][1, 0])
    assert v[0, 0] > np.finfo(np.float32).tiny

def test_train_step_lowers_the_loss_on_digits_like_data():
    model = nn.digit_net(seed=0)
    opt = nn.Adam(model, 1e-3)
    x = rng.random((32, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    losses = [nn.train_step(model, opt, x, y) for _ in range(15)]
    assert isinstance(losses[0], float) and losses[-1] < losses[0]


def test_a_huge_learning_rate_is_reported_and_the_model_survives():
    model = nn.digit_net(seed=0)
    opt = nn.SGD(model, lr=1e30)
    x = rng.random((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    with pytest.raises(nn.NonFiniteLossError, match="learning rate") as err:
        for _ in range(5):
            snapshot = [layer.params[name].copy() for layer, name in model.parameters()]
            nn.train_step(model, opt, x, y)
    assert isinstance(err.value, ValueError)
    after = [layer.params[name] for layer, name in model.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, after))



@pytest.mark.parametrize("strided", [False, True])  # the kernel and the NumPy path
def test_an_adam_update_that_overflows_is_undone(strided):
    model = nn.Sequential([nn.Dense(3, 2, seed=0), nn.Dense(2, 2, seed=1)])
    if strided:
        model.layers[0].params["w"] = np.asfortranarray(model.layers[0].params["w"])
    opt = nn.Adam(model, lr=1e39)  # finite, but beyond float32: the step makes weights infinite
    before = [layer.params[name].copy() for layer, name in model.parameters()]
    with pytest.raises(nn.NonFiniteLossError, match="would have made the weights infinite"):
        nn.train_step(model, opt, np.ones((4, 3), np.float32), np.array([0, 1, 0, 1]))
    after = [layer.params[name] for layer, name in model.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))

@pytest.mark.parametrize("size", [(3, 2), (300, 256)])  # the serial and the parallel kernel
@pytest.mark.parametrize("strided", [False, True])  # the kernels and the NumPy path
def test_a_checked_adam_update_with_an_infinite_gradient_is_undone_and_says_so(size, strided):
    model = nn.Sequential([nn.Dense(*size, seed=0), nn.Dense(size[1], 2, seed=1)])
    if strided:
        model.layers[0].params["w"] = np.asfortranarray(model.layers[0].params["w"])
    opt = nn.Adam(model, lr=1e-3)
    for layer, name in model.parameters():
        layer.grads[name][...] = 0.5
    assert opt.checked_update() == (True, True)
    before = [layer.params[name].copy() for layer, name in model.parameters()]
    averages = [m.copy() for m, _ in opt.state.values()]
    model.layers[1].grads["w"][1, 0] = np.inf
    assert opt.checked_update() == (False, False)
    after = [layer.params[name] for layer, name in model.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    m, v = opt.state[(id(model.layers[1]), "w")]
    assert np.isfinite(m).all() and np.isfinite(v).all(), "the bad gradient reached Adam's averages"
    if not strided:  # the kernel leaves the bad gradient's averages as they were
        assert m[1, 0] == averages[2][1, 0]


def test_train_step_names_infinite_gradients_and_leaves_the_weights():
    model = nn.Sequential([nn.Dense(3, 2, seed=0), nn.Dense(2, 2, seed=1)])
    opt = nn.Adam(model, lr=1e-3)
    # the hidden values are 0, so the logits are finite; but the first layer's weight
    # gradient x.T @ (dy @ w1.T) is about 1e30 * 1e29: beyond float32
    model.layers[0].params["w"][...] = 0
    model.layers[1].params["w"][...] = [[1e30, -1e30], [1e30, -1e30]]
    before = [layer.params[name].copy() for layer, name in model.parameters()]
    with pytest.raises(nn.NonFiniteLossError, match="gradients became infinite"):
        nn.train_step(model, opt, np.full((4, 3), 1e30, np.float32), np.zeros(4, int))
    after = [layer.params[name] for layer, name in model.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_non_finite_input_is_refused():
    with pytest.raises(ValueError, match="NaN or infinity"):
        nn.digit_net().forward(np.full((1, 1, 28, 28), np.nan, np.float32))


def test_evaluate_reports_loss_and_accuracy():
    model = nn.Sequential([nn.Flatten(), nn.Dense(4, 2, seed=0)])
    x = rng.standard_normal((10, 1, 2, 2)).astype(np.float32)
    loss, acc = nn.evaluate(model, x, model.predict(x), batch_size=3)
    assert acc == 1.0 and loss > 0


def test_training_skips_the_input_gradient_but_keeps_the_weight_gradients():
    model = small_net().astype(np.float64)
    x = rng.standard_normal((2, 1, 8, 8))
    _, d = nn.softmax_cross_entropy(model.forward(x), np.array([0, 1]))
    model.zero_grad()
    full = model.backward(d)
    grads = [layer.grads[name].copy() for layer, name in model.parameters()]
    model.zero_grad()
    assert model.backward(d, need_dx=False) is None and full.shape == x.shape
    # the same gradients, summed in another order by the first layer's weight-only kernel
    for a, (layer, name) in zip(grads, model.parameters()):
        np.testing.assert_allclose(layer.grads[name], a, rtol=1e-12, atol=1e-15)


def test_output_after_a_training_step_is_the_logits_without_redoing_the_maps():
    model = nn.digit_net()
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    nn.train_step(model, nn.Adam(model), x, np.array([0, 1, 2, 3]))
    fused = model._steps[0]
    assert fused._z is None  # training kept only the pooled maps
    assert model.output.shape == (4, 10) and fused._z is None
    assert model.activations[-1] is model.output and fused._z is not None  # all maps: redone on request


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_all_finite_finds_one_bad_value_anywhere(dtype, bad):
    from engine.finite import all_finite

    a = rng.standard_normal((3, 70001)).astype(dtype)
    a[1, -5] = np.finfo(dtype).max  # huge but finite
    assert all_finite(a) and all_finite(a[:, ::2])  # strided: the NumPy path
    for where in [(0, 0), (2, 70000), (1, 12345)]:
        b = a.copy()
        b[where] = bad
        assert not all_finite(b) and not all_finite(b.T)
    assert all_finite(np.arange(5)) and not all_finite(np.array([1.0, np.nan], np.float16))
    assert all_finite(np.ones(7, dtype)) and not all_finite(np.array([1.0, bad], dtype))  # one thread
