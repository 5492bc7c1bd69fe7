"""Compare runs (pages/compare.py): runs from the training page, overlaid, ensembled, exported."""

from streamlit.testing.v1 import AppTest

from engine.nn.recipe import TrainingConfig
from pages.server.jobs import TrainingRun


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
        runs[f"lr {lr:g}"] = {"id": id(run), "config": run.config, "progress": run.snapshot(),
                              "model": run.model, "probs": probs,
                              "accuracy": float((probs.argmax(1) == y_test).mean())}
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
    runs = {name: {"id": id(run), "config": run.config, "progress": run.snapshot(), "model": run.model,
                   "probs": np.full((10000, 10), 0.1), "accuracy": 0.1}
            for name, run in [("early", stopped), ("plain", plain)]}
    at = AppTest.from_file("../../pages/compare.py", default_timeout=60)
    at.session_state["runs"] = runs
    at.run()
    assert not at.exception and not at.error
    p = stopped.snapshot()
    marked = [s for s in vega_specs(at) if "kept: epoch" in s]
    assert len(marked) == 1 and f"kept: epoch {p.best_epoch}" in marked[0] and '"series": "early"' in marked[0]
    assert any("early: stopped early, kept epoch" in c.value for c in at.caption)
