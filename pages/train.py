"""Train a CNN on the digits, live, and look inside it."""

import io
import time

import numpy as np
import pandas as pd
import streamlit as st

from engine import datasets, metrics, nn
from engine.training import SERVER_QUEUE, TrainingConfig, TrainingRun, build_model
from pages.server.session import record_run
from pages.ui import params
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
DEFAULTS = {"optimizer": "adam", "lr": 1e-3, "batch_size": 64, "epochs": 1, "train_size": 10000,
            "dropout": True, "batch_norm": False, "augment": False, "seed": 0, "conv1_filters": 8,
            "conv2_filters": 16, "conv1_size": 5, "conv2_size": 3, "dense_units": 256,
            "lr_decay": 1.0, "early_stopping": 0}
params.restore(DEFAULTS, page="train",
               choices={"optimizer": ["sgd", "momentum", "rmsprop", "adam"], "lr": LRS,
                        "batch_size": [16, 32, 64, 128, 256], "train_size": [1000, 5000, 10000, 30000, 60000],
                        "conv1_size": [3, 5, 7], "conv2_size": [3, 5]},
               bounds={"epochs": (1, 20), "seed": (0, 9999), "conv1_filters": (1, 32), "conv2_filters": (1, 64),
                       "dense_units": (8, 1024), "lr_decay": (0.5, 1.0), "early_stopping": (0, 5)})


@st.cache_resource(show_spinner="Loading the digits…")
def digits():
    return datasets.load_digits()


def current_config():
    s = st.session_state
    return TrainingConfig(
        conv1_filters=s.conv1_filters, conv1_size=s.conv1_size, conv2_filters=s.conv2_filters,
        conv2_size=s.conv2_size, dense_units=s.dense_units, dropout=s.dropout, batch_norm=s.batch_norm,
        optimizer=s.optimizer, lr=s.lr, batch_size=s.batch_size, epochs=s.epochs, train_size=s.train_size,
        augment=s.augment, seed=s.seed, lr_decay=s.lr_decay, early_stopping=s.early_stopping)


# ---------------------------------------------------------------- settings
with st.expander("Settings", expanded=True):
    a, b, c = st.columns(3)
    a.selectbox("Optimizer", ["sgd", "momentum", "rmsprop", "adam"], key="optimizer",
                format_func={"sgd": "SGD", "momentum": "SGD with momentum", "rmsprop": "RMSprop", "adam": "Adam"}.get)
    a.select_slider("Learning rate", LRS, key="lr", format_func=lambda v: f"{v:g}")
    a.select_slider("Batch size", [16, 32, 64, 128, 256], key="batch_size")
    b.slider("Epochs", 1, 20, key="epochs")
    b.select_slider("Training images", [1000, 5000, 10000, 30000, 60000], key="train_size",
                    format_func=lambda v: f"{v:,}")
    b.number_input("Seed", 0, 9999, key="seed", help="Same seed, same start: only your change differs")
    c.toggle("Dropout (0.25 after convolutions, 0.5 after the dense layer)", key="dropout")
    c.toggle("Batch norm", key="batch_norm")
    c.toggle("Augment: shift digits by up to 2 pixels", key="augment")
    a2, b2, c2 = st.columns(3)
    a2.slider("Filters in conv 1", 1, 32, key="conv1_filters")
    a2.select_slider("Kernel size conv 1", [3, 5, 7], key="conv1_size")
    b2.slider("Filters in conv 2", 1, 64, key="conv2_filters")
    b2.select_slider("Kernel size conv 2", [3, 5], key="conv2_size")
    c2.slider("Dense units", 8, 1024, key="dense_units")
    c2.slider("Learning-rate decay per epoch", 0.5, 1.0, key="lr_decay")
    c2.slider("Early stopping patience (epochs, 0 = off)", 0, 5, key="early_stopping")

config = current_config()
try:
    config.validate()
    preview = build_model(config)
except ValueError as err:
    st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
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


st.fragment(run_every=1.0 if active else None)(live)()

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
    runs = st.session_state.setdefault("runs", {})
    if key not in {r["id"] for r in runs.values()}:
        name = f"run {len(runs) + 1}: {run.config.optimizer}, lr {run.config.lr:g}, batch {run.config.batch_size}"
        runs[name] = {"id": key, "config": run.config, "progress": run.snapshot(), "model": run.model,
                      "probs": probs, "accuracy": float((pred == y_test).mean())}
        record_run(run, DEFAULTS, runs[name]["accuracy"])
    st.caption("This run is kept for the Compare runs page.")

params.publish(list(DEFAULTS))
