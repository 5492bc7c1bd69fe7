"""The grid-search page (pages/grid_search.py): a small grid in the background, the best cell, refining."""

from streamlit.testing.v1 import AppTest

from pagetest import button, run_page

PAGE = "../../pages/grid_search.py"


def finished(at, timeout=60):
    at.session_state["grid_search"].join(timeout)
    return at.run()


def test_the_page_opens_with_a_coarse_3x3_grid():
    at = run_page("grid_search.py")
    assert not at.exception and not at.error
    assert "Press Start to train 9 small networks" in at.info[0].value
    assert at.text_input(key="lrs").value == "0.0001, 0.001, 0.01"
    assert at.query_params["batches"] in ("32, 64, 128", ["32, 64, 128"])


def test_a_2x2_grid_runs_and_refine_fills_a_finer_grid():
    at = run_page("grid_search.py", lrs="0.001, 0.01", batches="32, 64", train_size=500)
    button(at, "Start the grid search").click().run()
    assert at.session_state["grid_search"].lrs == [1e-3, 1e-2]
    at = finished(at)
    assert not at.exception and not at.error
    assert "Finished 4 cells" in at.success[0].value
    table, grid = at.dataframe[0].value, at.dataframe[1].value
    assert len(table) == 4 and list(table["batch size"]) == [32, 64, 32, 64]
    assert list(grid.index) == ["lr 0.001", "lr 0.01"] and list(grid.columns) == ["batch 32", "batch 64"]
    best = max(at.session_state["grid_search"].snapshot().results, key=lambda r: r.val_accuracy)
    assert f"learning rate {best.lr:g}, batch {best.batch_size}" in "".join(m.value for m in at.markdown)
    button(at, "Refine around the best").click().run()  # refine around the best
    lrs = [float(v) for v in at.text_input(key="lrs").value.split(",")]
    assert len(lrs) == 3 and best.lr in lrs and lrs != [1e-3, 1e-2]
    assert all(1e-3 / 10 < v < 1e-2 * 10 for v in lrs) and sorted(lrs) == lrs
    assert "Press Start" not in "".join(i.value for i in at.info)


def test_a_diverging_learning_rate_is_marked_in_the_table():
    at = run_page("grid_search.py", lrs="0.001, 10", batches="32", train_size=500)
    button(at, "Start the grid search").click().run()
    at = finished(at)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["diverged"] == "") == [True, False]
    assert "diverged" in at.dataframe[1].value.loc["lr 10", "batch 32"]


def test_bad_grids_get_a_message_not_a_traceback():
    for settings, message in [(dict(lrs=" , "), "at least one number for the learning rates"),
                              (dict(batches="32, big"), "'big'"),
                              (dict(batches="256", train_size=500, lrs="0.001"), None)]:
        at = run_page("grid_search.py", **settings)
        assert not at.exception
        if message:
            assert message in at.error[0].value
        else:
            assert not at.error
    at = run_page("grid_search.py", lrs="0.001", batches="1024", train_size=500)
    assert not at.exception and "at least one batch" in at.error[0].value


def test_settings_come_back_from_the_url():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["lrs"] = "0.003, 0.03"
    at.query_params["train_size"] = "1000"
    at.query_params["epochs"] = "99"  # out of bounds: the default stays
    at.run()
    assert not at.exception
    assert at.session_state["lrs"] == "0.003, 0.03" and at.session_state["train_size"] == 1000
    assert at.session_state["epochs"] == 1
