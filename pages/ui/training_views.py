"""Drawing for the training pages: curves, filters, feature maps, confusion matrix, digits."""

import numpy as np
import pandas as pd
import streamlit as st

from pages.ui.figures import grid_html, tile


def curves(progress):
    """Loss and accuracy over steps, training (mean of the last steps) and validation."""
    left, right = st.columns(2)
    train = pd.DataFrame({"step": progress.steps, "training": progress.train_loss}).set_index("step")
    val = pd.DataFrame({"step": progress.val_steps, "validation": progress.val_loss}).set_index("step")
    left.markdown("**Loss** (lower is better)")
    left.line_chart(train.join(val, how="outer"), height=220)
    train = pd.DataFrame({"step": progress.steps, "training": progress.train_acc}).set_index("step")
    val = pd.DataFrame({"step": progress.val_steps, "validation": progress.val_acc}).set_index("step")
    right.markdown("**Accuracy**")
    right.line_chart(train.join(val, how="outer"), height=220)


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
