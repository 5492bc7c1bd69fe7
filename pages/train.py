"""Train a CNN on the digits, live, and look inside it."""

import io

import numpy as np
import pandas as pd
import streamlit as st

from engine import datasets, metrics
from engine.nn.recipe import TrainingConfig, build_model
from pages.server.jobs import TrainingRun
from pages.server.run_queue import SERVER_QUEUE
from pages.server.threads import page_run
from pages.server.session import record_run
from pages.ui import messages, params, runs
from pages.ui.lessons import run_inside_app
from pages.ui.training_views import confusion, curves, digits_row, filters_and_maps, job_status

run_inside_app()
st.title("Train on digits")
st.markdown(
    "Train the lectures' digit recognizer on the real MNIST handwritten digits and watch it learn: "
    "the loss falls, the accuracy climbs, and the first layer's filters turn from noise into "
    "stroke detectors. Change one setting and train again to see what it does."
)

LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 10.0]
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD with momentum", "rmsprop": "RMSprop", "adam": "Adam"}
S = params.Setting
DEFAULT = TrainingConfig()  # the optimizer, learning rate, its decay and the batch size start as the recipe's
SETTINGS = params.Settings("train", {
    "optimizer": S(DEFAULT.optimizer, "Optimizer", "selectbox", choices=tuple(OPTIMIZERS),
                   format_func=OPTIMIZERS.get),
    "lr": S(DEFAULT.lr, "Learning rate", "select_slider", choices=LRS, format_func=lambda v: f"{v:g}"),
    "batch_size": S(DEFAULT.batch_size, "Batch size", "select_slider", choices=(16, 32, 64, 128, 256)),
    "epochs": S(1, "Epochs", low=1, high=20),
    "train_size": S(10000, "Training images", "select_slider", choices=(1000, 5000, 10000, 30000, 60000),
                    format_func=lambda v: f"{v:,}"),
    "seed": S(0, "Seed", "number_input", low=0, high=9999, help="Same seed, same start: only your change differs"),
    "dropout": S(True, "Dropout (0.25 after convolutions, 0.5 after the dense layer)", "toggle"),
    "batch_norm": S(False, "Batch norm", "toggle"),
    "pooling": S("max", "Pooling after each convolution", "selectbox", choices=("max", "average"),
                 format_func={"max": "max (2 x 2)", "average": "average (2 x 2)"}.get),
    "augment": S(False, "Augment: shift digits by up to 2 pixels", "toggle"),
    "conv1_filters": S(8, "Filters in conv 1", low=1, high=32),
    "conv1_size": S(5, "Kernel size conv 1", "select_slider", choices=(3, 5, 7)),
    "conv2_filters": S(16, "Filters in conv 2", low=1, high=64),
    "conv2_size": S(3, "Kernel size conv 2", "select_slider", choices=(3, 5)),
    "dense_units": S(256, "Dense units", low=8, high=1024),
    "lr_decay": S(DEFAULT.lr_decay, "Learning-rate decay per epoch", low=0.5, high=1.0),
    "early_stopping": S(0, "Early stopping patience (epochs, 0 = off)", low=0, high=5),
})
SETTINGS.restore()


@st.cache_resource(show_spinner="Loading the digits…")
def digits():
    return datasets.load_digits()


def current_config():
    """The TrainingConfig the settings describe (every setting is one of its fields)."""
    return TrainingConfig(**{key: st.session_state[key] for key in SETTINGS.settings})


# ---------------------------------------------------------------- settings
with st.expander("Settings", expanded=True):
    columns = [("optimizer", "lr", "batch_size"), ("epochs", "train_size", "seed"),
               ("dropout", "batch_norm", "augment"), ("conv1_filters", "conv1_size"),
               ("conv2_filters", "conv2_size", "pooling"), ("dense_units", "lr_decay", "early_stopping")]
    for row in (columns[:3], columns[3:]):
        for keys, column in zip(row, st.columns(3)):
            for key in keys:
                SETTINGS.widget(key, column)

config = current_config()
try:
    config.validate()
    preview = build_model(config, weights=False)  # counted, not allocated: on every rerun
except ValueError as err:
    messages.error(err)
    st.stop()

# ---------------------------------------------------------------- controls
run = st.session_state.get("run")
active = run is not None and run.alive
b1, b2, b3, b4 = st.columns(4)
if b1.button("Start", type="primary", disabled=active, width="stretch"):
    st.session_state.run = TrainingRun(config, data=digits()).start()
    st.session_state.run_config = config
    st.rerun()
if active:
    paused = run.snapshot().state == "paused"
    if b2.button("Resume" if paused else "Pause", width="stretch"):
        if paused:
            run.resume()
        else:
            run.pause()
        st.rerun()
    if b3.button("Stop", width="stretch"):
        run.stop()
        run.join(timeout=5)
        st.rerun()
if b4.button("Reset", disabled=active, width="stretch", help="Forget the trained model and its curves"):
    for key in ("run", "run_config", "evaluation"):
        st.session_state.pop(key, None)
    st.rerun()


# ---------------------------------------------------------------- live view
def live():
    run = st.session_state.get("run")
    if run is None:
        st.info(f"Press Start to train this network ({preview.n_params:,} parameters) on "
                f"{config.train_size:,} digits. {SERVER_QUEUE.running} of {SERVER_QUEUE.capacity()} "
                "training places on this server are in use.")
        return
    p = run.snapshot()
    job_status(p, "yours")
    st.progress(p.step / max(p.total_steps, 1),
                text=f"step {p.step:,} of {p.total_steps:,} · epoch {p.epoch} of {run.config.epochs} · "
                     f"{p.images_per_second:,.0f} images/s · {p.seconds_left:,.0f} s left · "
                     f"learning rate {p.lr:g} · {p.state}")
    if p.steps:
        curves(p)
    filters_and_maps(p)
    if p.grad_norms:
        st.bar_chart(pd.Series(p.grad_norms, name="gradient norm"), height=180, horizontal=True)
        st.caption("Size of each layer's gradient at the last logged step.")
    if st.session_state.get("was_active") and not run.alive:
        st.session_state.was_active = False
        st.rerun()  # one full rerun when training ends, to show the results below
    st.session_state.was_active = run.alive


st.fragment(run_every=1.0 if active else None)(page_run(live))()

# ---------------------------------------------------------------- results
run = st.session_state.get("run")
if run is not None and not run.alive and run.snapshot().state in ("finished", "stopped"):
    st.subheader("How well it reads the 10,000 test digits")
    key = id(run)
    if st.session_state.get("evaluation", (None,))[0] != key:
        _, _, x_test, y_test = digits()
        probs = run.model.predict_proba(x_test)
        st.session_state.evaluation = (key, probs)
    _, probs = st.session_state.evaluation
    _, _, x_test, y_test = digits()
    pred = probs.argmax(axis=1)
    matrix = metrics.confusion_matrix(y_test, pred)
    st.metric("Test accuracy", f"{(pred == y_test).mean():.2%}")
    left, right = st.columns([3, 2])
    with left:
        confusion(matrix)
    with right:
        st.bar_chart(pd.Series(metrics.per_class_accuracy(matrix), name="accuracy"), height=240)
        st.caption("Accuracy for each true digit.")
    t1, t2 = st.columns(2)
    true_d = t1.selectbox("Show digits that are really a", list(range(10)), index=4)
    pred_d = t2.selectbox("… but were read as", list(range(10)), index=9)
    picked = np.flatnonzero((y_test == true_d) & (pred == pred_d))[:16]
    if len(picked):
        digits_row(x_test[picked, 0], [f"{probs[i, pred_d]:.0%}" for i in picked])
    else:
        st.caption("No test digit falls in that cell.")
    st.markdown("**The most confident mistakes**")
    idx, wrong, conf = metrics.mistakes(probs, y_test, limit=16)
    digits_row(x_test[idx, 0], [f"{y} read as {w} ({c:.0%})" for y, w, c in zip(y_test[idx], wrong, conf)])
    st.markdown("**The network, layer by layer**")
    st.dataframe(pd.DataFrame(run.model.summary((1, 28, 28)), columns=["layer", "output shape", "parameters"]),
                 hide_index=True, width="stretch")
    buf = io.BytesIO()
    run.model.save(buf)
    st.download_button("Download the trained model (.npz)", buf.getvalue(), "convlab_digits.npz")
    st.session_state.trained_model = run.model
    if key not in {kept.key for kept in runs.session_runs().values()}:  # a run finished just now
        name = runs.next_name(f"{run.config.optimizer}, lr {run.config.lr:g}, batch {run.config.batch_size}")
        runs.keep(runs.digit_run(name, run.config, run.snapshot(), run.model, probs, y_test, key=key))
        record_run(run, SETTINGS.defaults(), float((pred == y_test).mean()))
    st.caption("This run is kept for the Compare runs page.")

SETTINGS.publish()
