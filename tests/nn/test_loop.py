"""The one training loop (engine/nn/loop.py) and its callbacks."""

import numpy as np
import pytest

from engine import nn

rng = np.random.default_rng(3)
X = rng.random((96, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 10, 96)


def small_net(seed=0):
    return nn.Sequential([nn.Conv2D(1, 2, 3, padding="same", seed=seed), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dense(2 * 14 * 14, 10, seed=seed + 1)])


def test_fit_is_the_plain_loop_written_out():
    """Same seed, same order, same batches: the loop's weights equal a hand-written loop's."""
    a, b = small_net(), small_net()
    state = nn.fit(a, nn.SGD(a, 0.1), X, Y, epochs=2, batch_size=32, seed=4)
    opt, order_rng = nn.SGD(b, 0.1), np.random.default_rng(4)
    for _ in range(2):
        order = order_rng.permutation(len(X))
        for i in range(3):
            idx = order[i * 32:(i + 1) * 32]
            loss = nn.train_step(b, opt, X[idx], Y[idx])
    assert state.step == state.total_steps == 6 and state.epoch == 2 and not state.stopped
    assert state.loss == loss
    for la, lb in zip(a.layers, b.layers):
        for k in la.params:
            np.testing.assert_array_equal(la.params[k], lb.params[k])


def test_the_last_partial_batch_is_left_out_and_validation_is_scored_every_epoch():
    model = small_net()
    state = nn.fit(model, nn.Adam(model, 1e-3), X[:90], Y[:90], epochs=3, batch_size=32,
                   validation=(X[:20], Y[:20]))
    assert state.steps_per_epoch == 2 and state.val_steps == [2, 4, 6]
    assert len(state.val_loss) == len(state.val_acc) == 3
    assert np.isclose(state.val_loss[-1], nn.evaluate(model, X[:20], Y[:20])[0])


def test_augmentation_changes_every_batch_with_the_loop_generator():
    seen = []

    def augment(xb, gen):
        seen.append((xb.shape, isinstance(gen, np.random.Generator)))
        return xb * 0

    model = small_net()
    nn.fit(model, nn.SGD(model, 0.1), X, Y, epochs=1, batch_size=32, augment=augment)
    assert seen == [((32, 1, 28, 28), True)] * 3


def test_callbacks_see_every_step_and_epoch_and_can_stop_the_loop():
    events = []

    class Recorder(nn.Callback):
        def on_train_begin(self, state):
            events.append("begin")

        def on_batch_end(self, state):
            events.append(state.step)
            if state.step == 4:
                state.stop("enough")

        def on_epoch_end(self, state):
            events.append(f"epoch {state.epoch}")

    model = small_net()
    state = nn.fit(model, nn.SGD(model, 0.1), X, Y, epochs=5, batch_size=32, callbacks=[Recorder()])
    assert events == ["begin", 1, 2, 3, "epoch 1", 4]
    assert state.stopped and state.stop_reason == "enough" and state.step == 4


def test_cancel_stops_before_the_next_step():
    calls = []
    model = small_net()
    cancel = nn.Cancel(lambda: len(calls) >= 2, "stopped by the learner")

    def step(*args):
        calls.append(1)
        return nn.train_step(*args)

    state = nn.fit(model, nn.SGD(model, 0.1), X, Y, epochs=3, batch_size=16, callbacks=[cancel], step=step)
    assert len(calls) == 2 and state.stop_reason == "stopped by the learner"


def test_an_exploding_loss_raises_with_advice():
    model = small_net()
    with pytest.raises(nn.NonFiniteLossError, match="10 times smaller"):
        nn.fit(model, nn.Adam(model, 100.0), X, Y, epochs=5, batch_size=16)


def test_learning_rate_decay_multiplies_after_every_epoch():
    model = small_net()
    opt = nn.SGD(model, 0.1)
    nn.fit(model, opt, X, Y, epochs=3, batch_size=32, callbacks=[nn.LearningRateDecay(0.5)])
    assert np.isclose(opt.lr, 0.1 * 0.5 ** 3)


def test_early_stopping_puts_back_the_best_epoch():
    r = np.random.default_rng(7)  # random labels: the validation loss soon rises
    x_val, y_val = r.random((32, 1, 28, 28)).astype(np.float32), r.integers(0, 10, 32)
    model = small_net()
    early = nn.EarlyStopping(2)
    state = nn.fit(model, nn.Adam(model, 3e-3), X, Y, epochs=40, batch_size=16,
                   validation=(x_val, y_val), callbacks=[early])
    assert early.stopped_early and state.stopped
    assert len(state.val_loss) == early.best_epoch + 2
    assert early.best_val_loss == min(state.val_loss)
    assert np.isclose(nn.evaluate(model, x_val, y_val)[0], early.best_val_loss, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch size"), (dict(batch_size=2.5), "batch size"), (dict(epochs=0), "epochs"),
    (dict(batch_size=1000), "at least one batch"),
])
def test_bad_loop_settings_are_explained(kwargs, message):
    model = small_net()
    with pytest.raises(ValueError, match=message):
        nn.fit(model, nn.SGD(model, 0.1), X, Y, **kwargs)


def test_bad_callback_settings_and_an_empty_evaluation_are_explained():
    with pytest.raises(ValueError, match="patience"):
        nn.EarlyStopping(-1)
    with pytest.raises(ValueError, match="decay"):
        nn.LearningRateDecay(1.5)
    with pytest.raises(ValueError, match="at least one image"):
        nn.evaluate(small_net(), X[:0], Y[:0])


def test_a_batch_of_the_wrong_shape_is_explained_as_such_not_as_an_overflow():
    model = small_net()
    with pytest.raises(ValueError) as err:
        nn.train_step(model, nn.SGD(model, 0.1), np.zeros((4, 1, 20, 20), np.float32), Y[:4])
    assert not isinstance(err.value, nn.NonFiniteLossError) and "learning rate" not in str(err.value)
