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


# -- loading a model file: a sentence for every bad file, never a traceback or a server path

def upload(content, name="model.npz", env=None, monkeypatch=None):
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file("../../pages/compare.py", default_timeout=60).run()
    at.get("file_uploader")[0].set_value((name, content, "application/octet-stream"))
    return at.run()


def shown_text(at):
    return " ".join(str(e.value) for kind in ("error", "warning", "success", "info", "markdown")
                    for e in getattr(at, kind))


def crafted_files():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nn"))
    import test_model_file as files

    return [(what, make()) for what, make, _ in files.ISSUE_FILES] + [
        ("text", b"just some notes\n"), ("png", files.png()),
        ("dense 20000 x 20000",
         files.with_architecture([{"type": "Dense", "config": {"n_in": 20000, "n_out": 20000}}])),
        ("NaN weights", nan_weights(files)),
        ("conv 256 27x27", files.npz(files.arrays_of(nn_big_conv()))),
        ("wrong number of outputs", files.npz(files.arrays_of(nn_three_outputs()))),
        ("injection in padding", files.with_architecture(
            [{"type": "Conv2D", "config": {"in_ch": 1, "out_ch": 8, "size": 5, "stride": 1,
                                           "padding": "same'); __import__('os').system('echo owned'); ('"}}])),
        ("markdown link in the type", files.with_architecture([{"type": "[click](http://example.com)", "config": {}}])),
    ]


def nan_weights(files):
    from engine import nn

    arrays = files.arrays_of(nn.digit_net())
    arrays["0.param.w"][0, 0, 0, 0] = float("nan")
    return files.npz(arrays)


def nn_big_conv():
    from engine import nn

    return nn.Sequential([nn.Conv2D(1, 256, 27, padding="same", seed=0), nn.GlobalAvgPool2D(), nn.Dense(256, 10)])


def nn_three_outputs():
    from engine import nn

    return nn.Sequential([nn.Flatten(), nn.Dense(784, 3, seed=0)])


def test_every_crafted_model_file_gets_a_sentence_and_the_session_survives():
    for what, content in crafted_files():
        at = upload(content)
        assert not at.exception, what
        assert len(at.error) == 1 and at.error[0].value.startswith("This file could not be loaded: "), what
        text = shown_text(at)
        for leak in ("Traceback", "/work", "File \"", "allow_pickle", "pickled"):
            assert leak not in text, (what, text)
        assert "](" not in text, what  # a link in the file stays text: "\\]\\("
        assert "No runs yet" in text, what  # the page went on as before


def test_a_text_file_is_not_a_convlab_model_file():
    at = upload(b"hello, this is a text file", name="notes.txt")
    assert "this is not a ConvLab model file" in at.error[0].value
    assert "pickle" not in at.error[0].value


def test_a_saved_model_loads_and_is_scored(tmp_path):
    import io

    from engine import nn

    buf = io.BytesIO()
    nn.digit_net().save(buf)
    at = upload(buf.getvalue())
    assert not at.exception and not at.error
    assert "loaded: model.npz" in at.dataframe[-1].value.index


def test_the_teachers_limits_come_from_the_environment(monkeypatch):
    import io

    from engine import nn

    buf = io.BytesIO()
    nn.digit_net().save(buf)
    at = upload(buf.getvalue(), env={"CONVLAB_MAX_MODEL_PARAMS": "1000"}, monkeypatch=monkeypatch)
    assert "204,906 parameters; this server takes at most 1,000" in at.error[0].value.replace("\\", "")
    at = upload(buf.getvalue(), env={"CONVLAB_MAX_MODEL_PARAMS": "nonsense", "CONVLAB_MAX_MODEL_LAYERS": "5"},
                monkeypatch=monkeypatch)
    assert "13 layers; this server takes at most 5" in at.error[0].value.replace("\\", "")


def test_an_uncaught_error_shows_no_traceback_message_or_path():
    at = AppTest.from_string("raise RuntimeError('secret detail in /srv/convlab/app.py')").run()
    assert at.exception
    shown = at.exception[0]
    assert "secret" not in shown.message and "/srv" not in shown.message and not shown.stack_trace


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
