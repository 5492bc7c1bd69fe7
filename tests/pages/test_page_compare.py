"""Compare runs (pages/compare.py): runs from the training page, overlaid, ensembled, exported."""

from streamlit.testing.v1 import AppTest

from engine.nn.recipe import TrainingConfig
from pages.server.jobs import TrainingRun
from pages.ui.runs import Run, digit_run


def finished_run(lr):
    run = TrainingRun(TrainingConfig(train_size=1000, lr=lr)).start()
    run.join(120)
    return run


def test_no_runs_yet():
    at = AppTest.from_file("../../pages/compare.py", default_timeout=30).run()
    assert not at.exception and "No runs yet" in at.info[0].value


def test_two_runs_side_by_side_with_an_ensemble():
    from engine import datasets

    _, _, x_test, y_test = datasets.load_digits()
    runs = {}
    for lr in (1e-3, 3e-3):
        run = finished_run(lr)
        probs = run.model.predict_proba(x_test)
        runs[f"lr {lr:g}"] = digit_run(f"lr {lr:g}", run.config, run.snapshot(), run.model, probs, y_test)
    at = AppTest.from_file("../../pages/compare.py", default_timeout=60)
    at.session_state["runs"] = runs
    at.run()
    assert not at.exception and not at.error
    settings = at.dataframe[0].value
    assert settings.loc["lr", "differs"] == "◀" and settings.loc["batch_size", "differs"] == ""
    assert "ensemble (averaged probabilities)" in at.dataframe[1].value.index
    assert "nn.Conv2d(1, 8, 5" in at.code[0].value


def test_early_stopping_is_marked_on_the_validation_loss():
    from test_page_train import early_stopped_run, vega_specs

    import numpy as np

    stopped, plain = early_stopped_run(), finished_run(1e-3)
    y_test = np.zeros(10000, np.int64)
    runs = {name: digit_run(name, run.config, run.snapshot(), run.model, np.full((10000, 10), 0.1), y_test)
            for name, run in [("early", stopped), ("plain", plain)]}
    at = AppTest.from_file("../../pages/compare.py", default_timeout=60)
    at.session_state["runs"] = runs
    at.run()
    assert not at.exception and not at.error
    p = stopped.snapshot()
    marked = [s for s in vega_specs(at) if "kept: epoch" in s]
    assert len(marked) == 1 and f"kept: epoch {p.best_epoch}" in marked[0] and '"series": "early"' in marked[0]
    assert any("early: stopped early, kept epoch" in c.value for c in at.caption)


def own_runs():
    """A scratch run and a frozen-transfer run on the same split of a small set of drawn shapes."""
    from benchmarks.drawn_shapes import shape_set
    from engine import nn
    from engine.nn import transfer
    from engine.nn.recipe import build_model, small_set_config
    from pages.server.run_queue import RunQueue

    x, y, x_held, y_held = shape_set(6).split(0.34)
    cfg = small_set_config(len(x), epochs=10)
    out = {}
    for start in ("scratch", "frozen"):
        model = build_model(cfg, classes=3)
        extra = transfer.start_from(nn.digit_net(), model, start)
        run = TrainingRun(cfg, model=model, data=(x, y, x_held, y_held), classes=3, callbacks=extra,
                          queue=RunQueue(1)).start()
        run.join(60)
        probs = model.predict_proba(x_held)
        out[start] = Run(start, cfg, run.snapshot(), model, ("circle", "triangle", "square"), probs, y_held,
                         "the 6 held-out shapes", float((probs.argmax(1) == y_held).mean()), start=start)
    return out


def test_scratch_and_transfer_on_the_same_own_set_side_by_side():
    at = AppTest.from_file("../../pages/compare.py", default_timeout=60)
    at.session_state["runs"] = own_runs()
    at.run()
    assert not at.exception and not at.error and not at.warning
    settings = at.dataframe[0].value
    assert settings.loc["start", "differs"] == "◀" and settings.loc["lr", "differs"] == ""
    table = at.dataframe[1].value
    assert list(table["scored on"]) == ["the 6 held-out shapes"] * 3  # the two runs and their ensemble
    assert sum("Rows: the true class" in c.value for c in at.caption) == 2  # a confusion matrix each
    assert any("circle:" in c.value and "the 6 held-out shapes" in c.value for c in at.caption)


def test_runs_scored_on_different_sets_are_not_compared():
    from engine import datasets

    _, _, x_test, y_test = datasets.load_digits()
    digits = finished_run(1e-3)
    runs = own_runs()
    runs["digits"] = digit_run("digits", digits.config, digits.snapshot(), digits.model,
                               digits.model.predict_proba(x_test), y_test)
    at = AppTest.from_file("../../pages/compare.py", default_timeout=60)
    at.session_state["runs"] = runs
    at.run()
    at.multiselect[0].set_value(["scratch", "digits"]).run()
    assert not at.exception
    assert "scored on 2 different sets" in at.warning[0].value and "no ensemble" in at.warning[0].value
    assert "ensemble (averaged probabilities)" not in at.dataframe[-1].value.index
