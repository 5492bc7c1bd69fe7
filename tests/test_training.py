"""The background training worker, its server-wide cap, and the metrics it reports."""

import threading
import time

import numpy as np
import pytest

from engine import metrics
from engine.training import RunQueue, TrainingConfig, TrainingRun, build_model, shift_batch

rng = np.random.default_rng(5)
X = rng.random((256, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 10, 256)
DATA = (X, Y, X[:64], Y[:64])


def test_default_config_builds_the_lecture_network():
    counts = [n for _, _, n in build_model(TrainingConfig()).summary() if n]
    assert counts == [208, 1168, 200960, 2570]
    bn = build_model(TrainingConfig(batch_norm=True, dropout=False))
    names = [layer.name for layer in bn.layers]
    assert "BatchNorm2D" in names and not any(n.startswith("Dropout") for n in names)


def test_a_run_trains_and_logs():
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=32, epochs=2), data=DATA, queue=RunQueue(2)).start()
    run.join(60)
    p = run.snapshot()
    assert p.state == "finished" and p.step == p.total_steps == 16
    assert len(p.val_acc) == 2 and p.filters.shape == (8, 1, 5, 5) and p.feature_maps.shape == (8, 28, 28)
    assert set(p.grad_norms) >= {"Dense(784→256)"}


def test_the_cap_queues_runs_in_order():
    queue = RunQueue(1)
    first = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=50), data=DATA, queue=queue).start()
    while first.snapshot().state != "running":
        time.sleep(0.02)
    second = TrainingRun(TrainingConfig(train_size=256, batch_size=16), data=DATA, queue=queue).start()
    third = TrainingRun(TrainingConfig(train_size=256, batch_size=16), data=DATA, queue=queue).start()
    time.sleep(0.3)
    assert second.snapshot().state == "queued" and second.snapshot().queue_position == 1
    assert third.snapshot().queue_position == 2
    first.stop()
    second.join(60)
    third.join(60)
    assert second.snapshot().state == third.snapshot().state == "finished"
    assert queue.running == 0


def test_a_queued_run_can_be_stopped():
    queue = RunQueue(1)
    busy = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=50), data=DATA, queue=queue).start()
    waiting = TrainingRun(TrainingConfig(train_size=256, batch_size=16), data=DATA, queue=queue).start()
    time.sleep(0.2)
    waiting.stop()
    waiting.join(5)
    busy.stop()
    busy.join(30)
    assert waiting.snapshot().state == "stopped"


def test_an_exploding_run_fails_with_advice_and_restores_the_model():
    model = build_model(TrainingConfig())
    before = [layer.params[k].copy() for layer, k in model.parameters()]
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=32, lr=10.0), model=model, data=DATA,
                      queue=RunQueue(1)).start()
    run.join(60)
    p = run.snapshot()
    assert p.state == "failed" and "10 times smaller" in p.message
    assert all(np.array_equal(a, layer.params[k]) for a, (layer, k) in zip(before, model.parameters()))


def test_the_run_length_limit_stops_a_run():
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=100), data=DATA,
                      queue=RunQueue(1), max_seconds=1).start()
    run.join(30)
    assert run.snapshot().state == "stopped" and "limit" in run.snapshot().message


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-1.0), "positive"), (dict(batch_size=0), "batch size"), (dict(optimizer="lion"), "optimizer"),
    (dict(conv1_size=4), "odd"), (dict(train_size=10, batch_size=64), "training set"),
])
def test_bad_settings_are_explained(bad, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**bad).validate()


def test_shifts_move_the_ink_without_changing_it():
    x = np.zeros((50, 1, 28, 28), np.float32)
    x[:, 0, 10:18, 10:18] = 1
    out = shift_batch(x, np.random.default_rng(0))
    assert np.allclose(out.sum(axis=(1, 2, 3)), 64)
    assert not np.array_equal(out, x)


def test_confusion_matrix_and_mistakes():
    y = np.array([0, 1, 1, 2])
    probs = np.array([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0, 0.2, 0.8]])
    m = metrics.confusion_matrix(y, probs.argmax(1), classes=3)
    assert m.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert np.allclose(metrics.per_class_accuracy(m), [1, 0.5, 1])
    idx, pred, conf = metrics.mistakes(probs, y)
    assert idx.tolist() == [2] and pred.tolist() == [0] and np.isclose(conf[0], 0.6)


def test_a_run_nobody_watches_stops(monkeypatch):
    monkeypatch.setenv("CONVLAB_IDLE_MINUTES", "1")
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=100), data=DATA, queue=RunQueue(1))
    run.idle_seconds = 0.5
    run.start()
    run.join(30)
    p = run.snapshot()
    assert p.state == "stopped" and "nobody was watching" in p.message


def test_a_paused_run_whose_learner_left_frees_its_place():
    queue = RunQueue(1)
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=100), data=DATA, queue=queue)
    run.idle_seconds = 1.5
    run.start()
    while run.snapshot().step == 0:
        time.sleep(0.05)
    run.pause()
    run.join(30)
    assert not run.alive and queue.running == 0
    assert "nobody was watching" in run.snapshot().message


def test_an_ensemble_averages_probabilities():
    a = np.array([[0.6, 0.4], [0.2, 0.8]])
    b = np.array([[0.3, 0.7], [0.4, 0.6]])
    assert np.allclose(metrics.ensemble([a, b]), [[0.45, 0.55], [0.3, 0.7]])
    assert metrics.accuracy(metrics.ensemble([a, b]), [1, 1]) == 1.0
    assert metrics.accuracy(a, [1, 1]) == 0.5


def test_early_stopping_keeps_the_model_from_the_best_epoch():
    from engine import nn

    # random labels: the network memorises the training images and the validation loss soon rises
    r = np.random.default_rng(7)
    x_val, y_val = r.random((64, 1, 28, 28)).astype(np.float32), r.integers(0, 10, 64)
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=32, epochs=30, early_stopping=2),
                      data=(X, Y, x_val, y_val), queue=RunQueue(1)).start()
    run.join(60)
    p = run.snapshot()
    assert p.state == "finished" and p.stopped_early and "Stopped early" in p.message
    assert len(p.val_loss) == p.best_epoch + 2 < 30
    assert p.best_step == 8 * p.best_epoch == p.val_steps[p.best_epoch - 1]
    assert p.best_val_loss == min(p.val_loss)
    assert np.isclose(nn.evaluate(run.model, x_val, y_val)[0], p.best_val_loss, rtol=1e-6)


def test_without_early_stopping_the_best_epoch_is_still_recorded():
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=32, epochs=2), data=DATA, queue=RunQueue(1)).start()
    run.join(60)
    p = run.snapshot()
    assert not p.stopped_early and p.best_epoch in (1, 2) and p.best_step in p.val_steps


def test_training_threads_give_way_to_page_loads(monkeypatch):
    import os

    from engine.training import lower_priority

    if not hasattr(os, "setpriority"):
        pytest.skip("no per-thread priorities here")
    seen = {}
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def worker(nice):
        monkeypatch.setenv("CONVLAB_TRAINING_NICE", nice)
        seen[nice] = (lower_priority(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    for nice in ("10", "0"):
        t = threading.Thread(target=worker, args=(nice,))
        t.start()
        t.join()
    assert seen["10"] == (max(10, before),) * 2  # the worker thread is lowered ...
    assert seen["0"] == (None, before)  # ... 0 turns it off ...
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # ... and the caller keeps its own
