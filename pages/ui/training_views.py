"""Drawing for the training pages: curves, filters, feature maps, confusion matrix, digits."""

import numpy as np
import pandas as pd
import streamlit as st

from pages.server.run_queue import SERVER_QUEUE
from pages.ui.figures import grid_html, tile
from pages.ui.graphs import line_chart


def job_status(progress, whose):
    """The state of a background job as a coloured message; whose: "yours", "this search"..."""
    if progress.state == "queued":
        st.warning(f"The server is training {SERVER_QUEUE.capacity()} networks already; {whose} is "
                   f"number {progress.queue_position} in the queue and will start by itself.")
    elif progress.state == "failed":
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


def filters_and_maps(progress):
    if progress.filters is None:
        return
    left, right = st.columns(2)
    w = progress.filters[:, 0]
    left.image(tile(w, cols=min(8, len(w)), width=360, signed=True),
               caption=f"First-layer filters ({w.shape[0]} of {w.shape[1]}x{w.shape[2]}): red positive, blue negative")
    maps = progress.feature_maps
    right.image(tile(maps, cols=min(8, len(maps)), width=360, signed=True),
                caption="Their feature maps of one test digit")


def confusion(matrix):
    st.markdown(grid_html(matrix, cell=36, caption="rows: true digit 0-9; columns: predicted digit 0-9"),
                unsafe_allow_html=True)


def digits_row(images, labels, width=56):
    """Small digits with a caption each."""
    cols = st.columns(min(len(images), 8) or 1)
    for i, (img, label) in enumerate(zip(images, labels)):
        cols[i % len(cols)].image((np.clip(img, 0, 1) * 255).astype(np.uint8).repeat(2, 0).repeat(2, 1),
                                  caption=label, width=width)
