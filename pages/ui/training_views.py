"""Drawing for the training pages: curves, filters, feature maps, confusion matrix, digits."""

import numpy as np
import pandas as pd
import streamlit as st

from pages.server.run_queue import SERVER_QUEUE
from pages.ui.figures import grid_html, map_image, tile
from pages.ui.graphs import line_chart
from pages.ui.text import as_text


def job_status(progress, whose):
    """The state of a background job as a coloured message; whose: "yours", "this search"..."""
    if progress.state == "queued":
        st.warning(f"The server is training {SERVER_QUEUE.capacity()} networks already; {whose} is "
                   f"number {progress.queue_position} in the queue and will start by itself.")
    elif progress.state in ("failed", "error"):
        st.error(progress.message)
    elif progress.state == "finished":
        st.success(progress.message)
    elif progress.message:
        st.info(progress.message)


def early_stop_mark(progress, series=None):
    """The point of the validation-loss curve that early stopping kept, as a line_chart mark (or None)."""
    if not getattr(progress, "stopped_early", False) or not progress.best_step:
        return None
    mark = {"x": progress.best_step, "y": progress.best_val_loss,
            "label": f"kept: epoch {progress.best_epoch}"}
    if series is not None:
        mark["series"] = series
    return mark


def _joined(progress, train, val):
    a = pd.DataFrame({"training": train}, index=pd.Index(progress.steps, name="step"))
    b = pd.DataFrame({"validation": val}, index=pd.Index(progress.val_steps, name="step"))
    return a.join(b, how="outer")


def curves(progress):
    """Loss and accuracy over steps, training (mean of the last steps) and validation.

    A run that stopped early has the epoch it kept marked on the validation loss.
    """
    left, right = st.columns(2)
    mark = early_stop_mark(progress, series="validation")
    left.markdown("**Loss** (lower is better)")
    line_chart(_joined(progress, progress.train_loss, progress.val_loss), "step", "loss", where=left,
               marks=[mark] if mark else None)
    right.markdown("**Accuracy**")
    line_chart(_joined(progress, progress.train_acc, progress.val_acc), "step", "accuracy", where=right)
    if mark:
        st.caption(f"Early stopping: the validation loss was lowest ({progress.best_val_loss:.3f}) after epoch "
                   f"{progress.best_epoch} (step {progress.best_step:,}, marked on the loss curve) and did not "
                   "improve after it, "
                   "so training stopped and the model from that epoch is the one kept.")


def filters_and_maps(progress, watched="one test digit"):
    """The first layer's filters and their maps of the run's watched image."""
    if progress.filters is None:
        return
    left, right = st.columns(2)
    w = progress.filters[:, 0]
    left.image(tile(w, cols=min(8, len(w)), width=360, signed=True),
               caption=f"First-layer filters ({w.shape[0]} of {w.shape[1]}x{w.shape[2]}): red positive, blue negative")
    maps = progress.feature_maps
    right.image(tile(maps, cols=min(8, len(maps)), width=360, signed=True),
                caption=f"Their feature maps of {watched}")


def confusion(matrix, class_names=None, cell=36):
    """A confusion matrix as a grid of counts; class_names for classes other than the digits."""
    if class_names is None:
        st.markdown(grid_html(matrix, cell=cell, caption="rows: true digit 0-9; columns: predicted digit 0-9"),
                    unsafe_allow_html=True)
        return
    order = ", ".join(str(n) for n in class_names)
    st.markdown(grid_html(matrix, cell=cell, caption="confusion matrix"), unsafe_allow_html=True)
    st.caption("Rows: the true class; columns: what the network read; both in the order " + as_text(order) + ".")


def digits_row(images, labels, width=56):
    """Small digits with a caption each."""
    cols = st.columns(min(len(images), 8) or 1)
    for i, (img, label) in enumerate(zip(images, labels)):
        cols[i % len(cols)].image((np.clip(img, 0, 1) * 255).astype(np.uint8).repeat(2, 0).repeat(2, 1),
                                  caption=label, width=width)


def layer_outputs(model):
    """Every layer's output for the first image of the model's last forward pass: maps as
    tiles, short vectors as rows of 32."""
    for layer, out in zip(model.layers, model.activations):
        out = out[0]
        if out.ndim == 3:
            st.image(tile(out, cols=min(len(out), 8), width=min(720, 90 * min(len(out), 8)), signed=True),
                     caption=f"{layer.name}: {out.shape[0]} maps of {out.shape[1]} x {out.shape[2]}")
        elif out.size <= 1024:
            side = int(np.ceil(out.size / 32))
            row = np.zeros(side * 32, np.float32)
            row[:out.size] = out
            st.image(map_image(row.reshape(side, 32), width=640, signed=True),
                     caption=f"{layer.name}: {out.size} values, 32 to a row")
