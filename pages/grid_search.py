"""Grid search: learning rate x batch size on a subset of the digits, coarse to fine."""

import pandas as pd
import streamlit as st

from engine import datasets
from engine.lessons import grid_search as grids
from pages.server.jobs import GridSearch
from pages.server.run_queue import SERVER_QUEUE
from pages.server.threads import page_run
from pages.ui import inputs, messages, params
from pages.ui.lessons import run_inside_app
from pages.ui.training_views import job_status

run_inside_app()
st.title("Grid search")
st.markdown(
    "Which learning rate and batch size suit this network? A grid search trains one small network for "
    "every pair on a subset of the digits and measures each on validation images held back from the "
    "training set. Grid searches are expensive, so start coarse (learning rates ten times apart), then "
    "refine around the best cell with a finer grid."
)

LR_PRESETS = {
    "coarse, every x10: 1e-4 to 1e-2": [1e-4, 1e-3, 1e-2],
    "wide, every x10: 1e-5 to 1": [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0],
    "medium, every x3: 1e-4 to 1e-2": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
}
BATCH_PRESETS = {"32, 64, 128": [32, 64, 128], "16 to 256": [16, 32, 64, 128, 256], "64 only": [64]}
BEST = "background-color: #c7e9c0; font-weight: bold"  # the best cell's highlight
SIZES = [500, 1000, 2000, 5000, 10000, 20000]
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD with momentum", "rmsprop": "RMSprop", "adam": "Adam"}
SETTINGS = params.Settings("grid_search", {
    "lrs": params.Setting("0.0001, 0.001, 0.01", "Learning rates", "text_input", max_chars=300,
                          help="Comma-separated, e.g. 0.0001, 0.001, 0.01"),
    "batches": params.Setting("32, 64, 128", "Batch sizes", "text_input", max_chars=300,
                              help="Comma-separated whole numbers, e.g. 32, 64, 128"),
    "train_size": params.Setting(2000, "Training images per cell", "select_slider", choices=SIZES,
                                 format_func=lambda v: f"{v:,}"),
    "epochs": params.Setting(1, "Epochs per cell", low=1, high=5),
    "optimizer": params.Setting("adam", "Optimizer", "selectbox", choices=tuple(OPTIMIZERS),
                                format_func=OPTIMIZERS.get),
    "seed": params.Setting(0, "Seed", "number_input", low=0, high=9999,
                           help="Every cell starts from the same weights and sees the same images in the same order"),
})
SETTINGS.restore()


@st.cache_resource(show_spinner="Loading the digits…")
def training_digits():
    x_train, y_train, _, _ = datasets.load_digits()
    return x_train, y_train


def use_preset(key, presets):
    choice = st.session_state.get(f"{key}_preset")
    if choice in presets:
        st.session_state[key] = inputs.format_choices(presets[choice])


def refine_around_best():
    search = st.session_state.get("grid_search")
    if search is None:
        return
    try:
        lrs, batches = grids.refine(search.snapshot().results, search.lrs, search.batch_sizes)
    except ValueError as err:
        st.session_state.grid_message = messages.sentence(err)
        return
    st.session_state.lrs = inputs.format_choices(lrs)
    st.session_state.batches = inputs.format_choices(batches)
    st.session_state.grid_message = None


# ---------------------------------------------------------------- settings
search = st.session_state.get("grid_search")
active = search is not None and search.alive
with st.expander("The grid", expanded=True):
    a, b = st.columns(2)
    a.selectbox("Learning-rate presets (log-spaced)", list(LR_PRESETS), index=None, key="lrs_preset",
                placeholder="Pick a preset, or type below", on_change=use_preset, args=("lrs", LR_PRESETS))
    SETTINGS.widget("lrs", a)
    b.selectbox("Batch-size presets", list(BATCH_PRESETS), index=None, key="batches_preset",
                placeholder="Pick a preset, or type below", on_change=use_preset, args=("batches", BATCH_PRESETS))
    SETTINGS.widget("batches", b)
    c, d, e, f = st.columns(4)
    for key, column in zip(("train_size", "epochs", "optimizer", "seed"), st.columns(4)):
        SETTINGS.widget(key, column)

s = st.session_state
try:
    lrs = inputs.choices(s.lrs, "the learning rates")
    batches = inputs.choices(s.batches, "the batch sizes", whole=True, example="32, 64, 128")
    grids.check_grid(lrs, batches, s.train_size, epochs=s.epochs, optimizer=s.optimizer)
except ValueError as err:
    messages.error(err)
    SETTINGS.publish()
    st.stop()
st.caption(f"{len(lrs)} learning rates x {len(batches)} batch sizes = {len(lrs) * len(batches)} networks, "
           f"each trained on {s.train_size:,} images for {s.epochs} epoch{'s' if s.epochs > 1 else ''} and "
           "validated on 1,000 others.")

# ---------------------------------------------------------------- controls
b1, b2, b3 = st.columns(3)
if b1.button("Start the grid search", type="primary", disabled=active, width="stretch"):
    if search is not None:
        s.setdefault("grid_history", []).append(search)
    s.grid_search = GridSearch(lrs, batches, train_size=s.train_size, epochs=s.epochs, seed=s.seed,
                                      optimizer=s.optimizer, data=training_digits()).start()
    s.grid_message = None
    st.rerun()
if b2.button("Stop", disabled=not active, width="stretch"):
    search.stop()
    search.join(timeout=5)
    st.rerun()
finished = search is not None and not active and grids.best_cell(search.snapshot().results) is not None
b3.button("Refine around the best", disabled=not finished, width="stretch", on_click=refine_around_best,
          help="Fill in a finer grid between the best cell's neighbours; then start it")
if s.get("grid_message"):
    st.error(s.grid_message)


def results_table(results):
    """One row per cell, the best one highlighted."""
    best = grids.best_cell(results)
    table = pd.DataFrame({
        "learning rate": [f"{r.lr:g}" for r in results],
        "batch size": [r.batch_size for r in results],
        # a diverged cell has no score: a dash, not "None"
        "validation accuracy": ["—" if r.diverged else f"{r.val_accuracy:.1%}" for r in results],
        "validation loss": ["—" if r.diverged else f"{r.val_loss:.3f}" for r in results],
        "seconds": [r.seconds for r in results],
        "diverged": ["yes: loss exploded" if r.diverged else "" for r in results],
    })
    best_row = results.index(best) if best is not None else -1

    def highlight(row):
        colour = BEST if row.name == best_row else ""
        return [colour] * len(row)

    styled = table.style.apply(highlight, axis=1).format({"seconds": "{:.2f}"})
    st.dataframe(styled, hide_index=True, width="stretch")
    return best


def grid_view(search, results):
    """Validation accuracy as a learning rate x batch size grid, the best cell highlighted."""
    best = grids.best_cell(results)
    rows = [f"lr {lr:g}" for lr in search.lrs]
    cols = [f"batch {b}" for b in search.batch_sizes]
    grid = pd.DataFrame("…", index=rows, columns=cols)
    styles = pd.DataFrame("", index=rows, columns=cols)
    for r in results:
        cell = (f"lr {r.lr:g}", f"batch {r.batch_size}")
        grid.loc[cell] = "diverged" if r.diverged else f"{r.val_accuracy:.1%}"
        if r.diverged:
            styles.loc[cell] = "color: #b2182b"
    if best is not None:
        styles.loc[(f"lr {best.lr:g}", f"batch {best.batch_size}")] = BEST
    st.dataframe(grid.style.apply(lambda _: styles, axis=None), width="stretch")


# ---------------------------------------------------------------- live view
def live():
    search = st.session_state.get("grid_search")
    if search is None:
        st.info(f"Press Start to train {len(lrs) * len(batches)} small networks. "
                f"{SERVER_QUEUE.running} of {SERVER_QUEUE.capacity()} training places on this server are "
                "in use; a grid search takes one.")
        return
    p = search.snapshot()
    job_status(p, "this search")
    now = f" · now lr {p.current[0]:g}, batch {p.current[1]}" if p.current else ""
    st.progress(len(p.results) / max(p.total, 1),
                text=f"{len(p.results)} of {p.total} cells · {p.elapsed:.1f} s{now} · {p.state}")
    if p.results:
        st.markdown("**Results** (best cell highlighted: highest validation accuracy)")
        best = results_table(p.results)
        if best is not None:
            left, right = st.columns([3, 2])
            with left:
                grid_view(search, p.results)
            right.markdown(f"Best so far: **learning rate {best.lr:g}, batch {best.batch_size}**, "
                           f"{best.val_accuracy:.1%} of the validation digits right "
                           f"(loss {best.val_loss:.3f}).")
            if any(r.diverged for r in p.results):
                right.caption("A diverged cell's loss exploded or became NaN: that learning rate is too "
                              "high for that batch size.")
        else:
            st.warning("Every cell so far diverged: try smaller learning rates.")
    if st.session_state.get("grid_was_active") and not search.alive:
        st.session_state.grid_was_active = False
        st.rerun()  # one full rerun when the search ends, to enable Refine
    st.session_state.grid_was_active = search.alive


st.fragment(run_every=1.0 if active else None)(page_run(live))()

history = s.get("grid_history", [])
if history:
    with st.expander(f"Earlier grids ({len(history)})"):
        for i, old in enumerate(reversed(history)):
            results = old.snapshot().results
            best = grids.best_cell(results)
            st.markdown(f"**Grid {len(history) - i}**: learning rates {inputs.format_choices(old.lrs)}; "
                        f"batch sizes {inputs.format_choices(old.batch_sizes)}"
                        + (f"; best lr {best.lr:g}, batch {best.batch_size} ({best.val_accuracy:.1%})" if best else ""))

SETTINGS.publish()
