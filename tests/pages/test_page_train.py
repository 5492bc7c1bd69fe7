"""The training page (pages/train.py): a short real run, pause and stop, a NaN run."""

import json
import time

import pandas as pd
from streamlit.testing.v1 import AppTest

from pagetest import button, metric

from pages.ui.graphs import DOTS_UP_TO, line_chart

PAGE = "../../pages/train.py"


def page(**settings):
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in {"train_size": 1000, "batch_size": 64, **settings}.items():
        at.session_state[key] = value
    return at.run()


def wait_for(at, done, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = at.session_state["run"]
        if done(run):
            return
        time.sleep(0.2)
    raise AssertionError("the training run did not get there in time")


def test_a_short_run_shows_curves_and_the_confusion_matrix():
    at = page()
    assert not at.exception and "Press Start" in at.info[0].value
    button(at, "Start").click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert not at.exception and not at.error
    assert "Finished" in at.success[0].value
    assert float(metric(at, "Test accuracy").rstrip("%")) > 30  # 15 steps of Adam already beat chance
    assert any("rows: true digit" in m.value for m in at.markdown)


def test_pause_resume_and_stop():
    at = page(epochs=20)
    button(at, "Start").click().run()
    run = at.session_state["run"]
    wait_for(at, lambda r: r.snapshot().step > 0)
    at.run()
    button(at, "Pause").click().run()
    wait_for(at, lambda r: r.snapshot().state == "paused")
    step = run.snapshot().step
    time.sleep(0.5)
    assert run.snapshot().step <= step + 1
    button(at, "Resume").click().run()
    assert run.snapshot().state == "running"
    button(at, "Stop").click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert run.snapshot().state == "stopped"
    assert not at.exception


def test_the_page_starts_from_the_recipes_defaults():
    """Adam at 3e-3, batches of 128, the learning rate times 0.8 after each epoch: the settings
    that reached 99% on the test digits in 5 epochs (TrainingConfig)."""
    from engine.nn.recipe import TrainingConfig

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    defaults = TrainingConfig()
    assert (defaults.optimizer, defaults.lr, defaults.batch_size, defaults.lr_decay) == ("adam", 3e-3, 128, 0.8)
    for key in ("optimizer", "lr", "batch_size", "lr_decay"):
        assert at.session_state[key] == getattr(defaults, key)


def test_a_huge_learning_rate_is_explained_and_the_settings_survive():
    at = page(lr=10.0, optimizer="adam")
    button(at, "Start").click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert not at.exception
    assert "learning rate" in at.error[0].value and "10 times smaller" in at.error[0].value
    assert at.session_state["lr"] == 10.0 and at.session_state["optimizer"] == "adam"


def early_stopped_run():
    """A run on random labels: the validation loss soon rises and early stopping ends it."""
    import numpy as np

    from engine.nn.recipe import TrainingConfig
    from pages.server.jobs import TrainingRun
    from pages.server.run_queue import RunQueue

    r = np.random.default_rng(5)
    x, x_val = r.random((256, 1, 28, 28)).astype(np.float32), r.random((64, 1, 28, 28)).astype(np.float32)
    run = TrainingRun(TrainingConfig(train_size=256, batch_size=32, epochs=30, early_stopping=2),
                      data=(x, r.integers(0, 10, 256), x_val, r.integers(0, 10, 64)), queue=RunQueue(1)).start()
    run.join(60)
    assert run.snapshot().stopped_early
    return run


def vega_specs(at):
    return [e.proto.spec for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]


def test_the_epoch_early_stopping_kept_is_marked_on_the_validation_loss():
    run = early_stopped_run()
    p = run.snapshot()
    at = page(run=run)
    assert not at.exception
    assert "Stopped early" in at.success[0].value
    assert any(f"after epoch {p.best_epoch} (step {p.best_step}" in c.value for c in at.caption)
    marked = [s for s in vega_specs(at) if "kept: epoch" in s]
    assert len(marked) == 1  # on the loss chart only
    assert f'"x": {float(p.best_step)}' in marked[0] and '"rule"' in marked[0]


def test_a_one_epoch_runs_single_validation_score_gets_a_dot():
    class Capture:
        def vega_lite_chart(self, data, spec, **_):
            self.data, self.spec = data, spec

    steps = range(20, 20 * (DOTS_UP_TO + 2), 20)  # one value too many for dots
    curves = pd.DataFrame({"training": [1.0] * len(steps)}, index=pd.Index(steps, name="step"))
    curves = curves.join(pd.DataFrame({"validation": [0.5]}, index=pd.Index([steps[-1]], name="step")), how="outer")
    where = Capture()
    line_chart(curves, "step", "loss", where=where)
    dotted = where.data[where.data["dot"]]
    assert list(dotted["series"]) == ["validation"] and list(dotted["value"]) == [0.5]
    dots = [layer for layer in where.spec["layer"] if layer["mark"]["type"] == "point"]
    assert len(dots) == 1 and json.dumps(dots[0]["transform"]) == '[{"filter": "datum.dot"}]'



def test_average_pooling_is_offered_and_builds_the_same_parameter_count():
    from pagetest import run_page

    at = run_page("train.py", pooling="average")
    assert not at.exception and not at.error
    assert at.selectbox(key="pooling").value == "average"
    assert any("204,906 parameters" in i.value for i in at.info)


def test_a_bug_in_the_training_thread_is_a_sentence_on_the_page_and_start_works_again(monkeypatch):
    from pages.server import jobs

    def broken_step(model, optimizer, x, y):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(jobs, "shared_train_step", broken_step)
    at = page()
    button(at, "Start").click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert not at.exception  # no traceback on the page ...
    assert at.session_state["run"].snapshot().state == "error"
    message = at.error[0].value  # ... a sentence instead
    assert "error on the server" in message and "not because of your settings" in message
    assert "Traceback" not in message and not at.metric  # no results for a run that broke
    assert not button(at, "Start").disabled
    monkeypatch.undo()  # the bug is gone: the same page trains again
    button(at, "Start").click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert not at.exception and "Finished" in at.success[0].value
