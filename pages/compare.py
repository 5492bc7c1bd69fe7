"""Compare runs: the session's training runs side by side, an ensemble of them, save, load, export."""

import io
import logging

import pandas as pd
import streamlit as st

from engine import datasets, metrics, nn
from engine.export import to_keras, to_pytorch
from pages.server.limits import model_limits
from pages.ui.graphs import line_chart
from pages.ui.lessons import run_inside_app
from pages.ui.text import as_text
from pages.ui.runs import digit_run, keep, session_runs
from pages.ui.training_views import confusion, early_stop_mark

run_inside_app()
st.title("Compare runs")
st.markdown(
    "Tuning means changing one thing and training again. Every run you finish on the training page "
    "(or on your own classes) is kept here for this session: overlay their curves, read their settings "
    "side by side (only what differs is what you changed), and average their predictions into an ensemble."
)


@st.cache_resource(show_spinner=False)
def test_digits():
    _, _, x_test, y_test = datasets.load_digits()
    return x_test, y_test


runs = session_runs()
log = logging.getLogger(__name__)
DIGIT = (1, 28, 28)  # one test digit, as the loaded model must take it


with st.expander("Load a saved model (.npz)"):
    upload = st.file_uploader("A model saved from the training page", type=None, key="model_upload")
    if upload is not None and upload.file_id != st.session_state.get("loaded_file"):
        try:
            model = nn.Sequential.load(io.BytesIO(upload.getvalue()), input_shape=DIGIT, limits=model_limits())
            outputs = model.summary(DIGIT)[-1][1]
            if outputs != (10,):
                raise nn.ModelFileError(f"this model gives {' x '.join(map(str, outputs))} outputs for a digit, "
                                        "but scoring it needs 10, one for each digit")
            x_test, y_test = test_digits()
            probs = model.predict_proba(x_test)
        except ValueError as err:
            st.error(f"This file could not be loaded: {as_text(str(err))}.")
        except Exception:  # noqa: BLE001  a bug of ours: the details go to the server's log, never the page
            log.exception("loading the uploaded model %r failed", upload.name)
            st.error("This file could not be loaded: something went wrong on the server while reading it.")
        else:
            st.session_state.loaded_file = upload.file_id
            keep(digit_run(f"loaded: {upload.name}", None, None, model, probs, y_test, key=upload.file_id))
            st.success(f"Loaded {as_text(upload.name)}.")

if not runs:
    st.info("No runs yet: train a network on the training page (a small training set is quick), then "
            "change one setting and train again.")
    st.stop()

chosen = st.multiselect("Runs to compare", list(runs), default=list(runs)[-3:])
if not chosen:
    st.stop()

curves = [(n, runs[n].progress) for n in chosen if runs[n].progress is not None]
if curves:
    left, middle, right = st.columns(3)
    loss = pd.concat([pd.Series(p.train_loss, index=p.steps, name=n) for n, p in curves], axis=1)
    left.markdown("**Training loss**")
    line_chart(loss.sort_index(), "step", "loss", height=240, where=left, long_names=True)
    val_loss = pd.concat([pd.Series(p.val_loss, index=p.val_steps, name=n) for n, p in curves], axis=1)
    marks = [m for n, p in curves if (m := early_stop_mark(p, series=n))]
    middle.markdown("**Validation loss** (one point per epoch)")
    line_chart(val_loss.sort_index(), "step", "loss", height=240, where=middle, marks=marks or None,
               long_names=True)
    acc = pd.concat([pd.Series(p.val_acc, index=p.val_steps, name=n) for n, p in curves], axis=1)
    right.markdown("**Validation accuracy** (one point per epoch)")
    line_chart(acc.sort_index(), "step", "accuracy", height=240, where=right, long_names=True)
    early = [f"{n}: stopped early, kept epoch {p.best_epoch} (step {p.best_step:,})"
             if getattr(p, "stopped_early", False) else f"{n}: best validation loss at epoch {p.best_epoch}"
             for n, p in curves if p.best_epoch]
    if early:
        st.caption("; ".join(early) + (". A dot on the validation loss marks where early stopping kept the model."
                                       if marks else "."))

settings = pd.DataFrame({n: runs[n].settings() for n in chosen if runs[n].config is not None})
if not settings.empty:
    differs = settings.astype(str).nunique(axis=1) > 1
    st.markdown("**Settings** (rows that differ are marked)")
    st.dataframe(settings.astype(str).assign(differs=differs.map({True: "◀", False: ""})), width="stretch")

sets = {runs[n].evaluation for n in chosen}
table = pd.DataFrame({"accuracy": [runs[n].accuracy for n in chosen],
                      "scored on": [runs[n].evaluation for n in chosen]}, index=chosen)
if len(sets) > 1:
    st.warning(f"These runs were scored on {len(sets)} different sets ({'; '.join(sorted(sets))}): an "
               "accuracy is comparable only with another on the same set, and no ensemble is made across "
               "them. Pick runs scored on the same set to compare them.")
elif len(chosen) > 1:
    first = runs[chosen[0]]
    averaged = metrics.ensemble([runs[n].probs for n in chosen])
    table.loc["ensemble (averaged probabilities)"] = [metrics.accuracy(averaged, first.labels), first.evaluation]
st.dataframe(table.style.format("{:.2%}", subset=["accuracy"]), width="stretch")
if len(sets) == 1 and 1 < len(chosen) <= 4:
    st.markdown("**Where each run goes wrong** (confusion matrices on the same set)")
    for column, n in zip(st.columns(len(chosen)), chosen):
        with column:
            r = runs[n]
            st.caption(n)
            confusion(metrics.confusion_matrix(r.labels, r.probs.argmax(1), classes=len(r.class_names)),
                      r.class_names, cell=24 if len(r.class_names) > 5 else 36)

st.subheader("Save and export")
pick = st.selectbox("Run", chosen)
model = runs[pick].model


def saved_model(model=model):
    """The model file, written only when the button is pressed (compressing the weights took
    about 100 ms of every rerun on a busy server)."""
    buf = io.BytesIO()
    model.save(buf)
    return buf.getvalue()


c1, c2, c3 = st.columns(3)
c1.download_button("Model weights (.npz)", saved_model, "convlab_model.npz")
c2.download_button("PyTorch code", to_pytorch(model, "convlab_model.npz"), "convlab_model_pytorch.py")
c3.download_button("Keras code", to_keras(model, "convlab_model.npz"), "convlab_model_keras.py")
with st.expander("Show the PyTorch code"):
    st.code(to_pytorch(model, "convlab_model.npz"), language="python")
picked = runs[pick]
matrix = metrics.confusion_matrix(picked.labels, picked.probs.argmax(1), classes=len(picked.class_names))
st.caption(f"{pick}: accuracy per class on {picked.evaluation}: " + ", ".join(
    f"{name}: {a:.0%}" for name, a in zip(picked.class_names, metrics.per_class_accuracy(matrix))))
