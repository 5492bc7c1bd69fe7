"""The server's background training jobs (pages/server/jobs.py): runs and grid searches in the
server-wide queue, their limits, and how their threads share the CPU."""

import threading
import time

import numpy as np
import pytest

from engine import datasets
from engine.nn.recipe import TrainingConfig, build_model
from pages.server.jobs import GridSearch, TrainingRun
from pages.server.run_queue import RunQueue

rng = np.random.default_rng(5)
X = rng.random((256, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 10, 256)
DATA = (X, Y, X[:64], Y[:64])


@pytest.fixture(scope="module")
def digits():
    x, y, _, _ = datasets.load_digits()
    return x[:2000], y[:2000]


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

    from pages.server.threads import lower_priority

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


def test_a_search_is_one_job_in_the_training_queue(digits):
    rng = np.random.default_rng(0)
    x = rng.random((256, 1, 28, 28)).astype(np.float32)
    queue = RunQueue(1)
    busy = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=50),
                       data=(x, rng.integers(0, 10, 256), x[:64], rng.integers(0, 10, 64)), queue=queue).start()
    while busy.snapshot().state != "running":
        time.sleep(0.02)
    search = GridSearch([1e-3, 3e-3], [32, 64], train_size=256, val_size=200, data=digits, queue=queue).start()
    time.sleep(0.3)
    p = search.snapshot()
    assert p.state == "queued" and p.queue_position == 1 and p.results == []
    busy.stop()
    search.join(60)
    p = search.snapshot()
    assert p.state == "finished" and len(p.results) == p.total == 4 and p.current is None
    assert queue.running == 0


def test_a_search_can_be_stopped_and_keeps_its_cells(digits):
    search = GridSearch([1e-4, 1e-3, 1e-2], [16, 32], train_size=1000, val_size=200, data=digits,
                        queue=RunQueue(1)).start()
    while not search.snapshot().results:
        time.sleep(0.02)
    search.stop()
    search.join(30)
    p = search.snapshot()
    assert p.state == "stopped" and 1 <= len(p.results) < 6 and "Stopped" in p.message


def test_a_step_that_starts_while_another_runs_takes_one_thread():
    import numba

    from engine import nn
    from pages.server.threads import fair_share_of_threads, shared_train_step

    seen = []

    class Probe(nn.Flatten):  # notes how many threads the step's kernels may use
        def forward(self, x, training=True):
            seen.append(numba.get_num_threads())
            return super().forward(x, training)

    model = nn.Sequential([Probe(), nn.Dense(4, 2, seed=0)])
    opt = nn.SGD(model, 0.1)
    x, y = np.ones((2, 1, 2, 2), np.float32), np.array([0, 1])
    threads = numba.get_num_threads()
    shared_train_step(model, opt, x, y)
    with fair_share_of_threads():  # as if another session's step were running
        shared_train_step(model, opt, x, y)
    shared_train_step(model, opt, x, y)
    assert seen == [threads, 1, threads] and numba.get_num_threads() == threads


def test_a_run_on_a_learners_own_small_set_with_transfer():
    """A dozen held-out images are the validation set, every epoch gets a point on the curves,
    the frozen convolution layers stay as the digit network had them."""
    from engine import nn
    from engine.nn import transfer
    from engine.nn.recipe import small_set_config

    r = np.random.default_rng(1)
    x, y = r.random((36, 1, 28, 28)).astype(np.float32), np.repeat(np.arange(3), 12)
    cfg = small_set_config(24, epochs=4)
    assert cfg.batch_size == 16 and cfg.rotation == 15 and cfg.augment
    digits = nn.digit_net(seed=3)
    for how in transfer.STARTS:
        model = build_model(cfg, classes=3)
        extra = transfer.start_from(digits, model, how)
        conv = model.layers[0].params["w"].copy()
        run = TrainingRun(cfg, model=model, data=(x[:24], y[:24], x[24:], y[24:]), classes=3,
                          callbacks=extra, queue=RunQueue(1)).start()
        run.join(60)
        p = run.snapshot()
        assert p.state == "finished", p.message
        assert p.total_steps == 4 and p.steps == [1, 2, 3, 4] and len(p.val_acc) == 4
        scores = np.array(p.val_acc) * 12  # out of the 12 held-out images
        np.testing.assert_allclose(scores, np.round(scores), atol=1e-9)
        assert p.feature_maps.shape == (8, 28, 28)
        if how == "frozen":
            np.testing.assert_array_equal(model.layers[0].params["w"], conv)
        else:
            assert not np.array_equal(model.layers[0].params["w"], conv)
