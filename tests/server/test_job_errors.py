"""A bug inside a training thread (pages/server/jobs.py): the run ends in state "error" with a
sentence for its learner, the traceback goes to the log, its queue place goes to the next run,
and other sessions' runs go on."""

import logging
import threading

import numpy as np

from engine import nn
from engine.nn.recipe import TrainingConfig, build_model
from pages.server import jobs
from pages.server.jobs import GridSearch, TrainingRun
from pages.server.run_queue import RunQueue

rng = np.random.default_rng(4)
X = rng.random((256, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 10, 256)
DATA = (X, Y, X[:64], Y[:64])


class BrokenAt(nn.Callback):
    """A callback with a bug that shows at one step."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, state):
        if state.step == self.step:
            raise ZeroDivisionError("division by zero")


def assert_explained(p):
    assert p.state == "error"
    assert "error on the server" in p.message and "ZeroDivisionError" in p.message
    assert p.message.endswith("Try again; if it happens again, tell your teacher.")
    assert "Traceback" not in p.message and "\n" not in p.message and "division by zero" not in p.message


def test_a_run_that_raises_ends_in_error_and_its_place_goes_to_the_next(caplog):
    queue = RunQueue(1)
    model = build_model(TrainingConfig())
    before = [layer.params[k].copy() for layer, k in model.parameters()]
    broken = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=5), model=model, data=DATA,
                         queue=queue, callbacks=[BrokenAt(step=20)])
    waiting = TrainingRun(TrainingConfig(train_size=256, batch_size=32), data=DATA, queue=queue)
    with caplog.at_level(logging.ERROR, logger="convlab.jobs"):
        broken.start()
        waiting.start()
        broken.join(60)
        waiting.join(60)
    assert_explained(broken.snapshot())
    assert broken.snapshot().step == 16  # it had trained (the last point logged): the model went back as it was
    assert all(np.array_equal(a, layer.params[k]) for a, (layer, k) in zip(before, model.parameters()))
    assert waiting.snapshot().state == "finished"
    assert queue.running == queue.waiting == 0
    record = next(r for r in caplog.records if r.name == "convlab.jobs")
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError  # the log has the traceback


def test_a_step_that_raises_in_one_session_leaves_the_others_training(monkeypatch):
    """The bug is in the training step itself, for one run only; the other run shares the queue."""
    queue = RunQueue(2)
    victims = set()
    real_step = jobs.shared_train_step

    def step(model, optimizer, x, y):
        if id(model) in victims and threading.current_thread().name.startswith("convlab-"):
            raise ZeroDivisionError("division by zero")
        return real_step(model, optimizer, x, y)

    monkeypatch.setattr(jobs, "shared_train_step", step)
    other = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=3), data=DATA, queue=queue)
    broken = TrainingRun(TrainingConfig(train_size=256, batch_size=16, epochs=3), data=DATA, queue=queue)
    victims.add(id(broken.model))
    other.start()
    broken.start()
    broken.join(60)
    assert_explained(broken.snapshot())
    assert other.alive or other.snapshot().state == "finished"
    other.join(60)
    p = other.snapshot()
    assert p.state == "finished" and p.step == p.total_steps == 48
    assert queue.running == 0


def test_a_grid_search_that_raises_ends_in_error_too(monkeypatch):
    from engine.lessons import grid_search as grids

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
        yield  # a generator, as grid_search is

    monkeypatch.setattr(grids, "grid_search", broken)
    queue = RunQueue(1)
    search = GridSearch([1e-3], [32], train_size=256, val_size=64, data=(X, Y), queue=queue).start()
    search.join(30)
    p = search.snapshot()
    assert p.state == "error" and "grid search stopped because of an error on the server" in p.message
    assert queue.running == 0
