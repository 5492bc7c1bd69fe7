"""The image filter page's pictures, each computed and encoded once per input and kept.

An image is named by a key (its sample's name, its digit's number, its upload's id) rather than
hashed pixel by pixel. A rerun that moves only the step-through window, or a setting back to
where it was, sends the same bytes again instead of filtering, colouring and encoding a
512 x 512 image once more. The cached functions live here rather than in the page: a function
decorated inside a page script is decorated anew on every rerun, and Streamlit then reads and
hashes its source again.
"""

import streamlit as st

from engine import conv2d, filters
from engine.lessons import examples
from engine.lessons.stepthrough import conv2d_window
from pages.ui import images
from pages.ui.figures import encoded, grid_html, map_image, operator, side_by_side


@st.cache_data(show_spinner=False, max_entries=64)
def feature_map(image_key, _image, kernel, convolve, mode):
    """_image: (H, W), named by image_key (Streamlit hashes the key, not the pixels); kernel: (F, F).

    Returns the map's smallest and largest value and its picture."""
    out = filters.apply(_image, kernel, convolve, mode)
    return float(out.min()), float(out.max()), encoded(map_image(out, width=360))


@st.cache_data(show_spinner=False, max_entries=16)
def input_picture(image_key, _image):
    return encoded(map_image(_image, width=360, signed=False))


@st.cache_data(show_spinner=False, max_entries=16)
def uploaded_image(file_id, _data):
    """The bytes of upload file_id decoded once (images.load_upload); raises images.ImageError."""
    return images.load_upload(_data)


@st.cache_data(show_spinner=False, max_entries=16)
def step_through(i, j):
    """The lecture's 5 x 5 example with the window at output (i, j): the grids' HTML and the sum."""
    win = conv2d_window(examples.IMAGE_5X5, examples.X_KERNEL, i, j)
    out_small = conv2d(examples.IMAGE_5X5[None, None], examples.X_KERNEL[None, None])[0, 0]
    cells = [(r, c) for r in win.rows for c in win.cols]
    grids = side_by_side(
        grid_html(examples.IMAGE_5X5, highlight=cells, caption="image"), operator("*"),
        grid_html(examples.X_KERNEL, caption="kernel"), operator("="),
        grid_html(out_small, highlight=[(i, j)], caption="feature map"),
    )
    terms = " + ".join(f"{a:g}·{b:g}" for a, b in zip(win.patch.ravel(), examples.X_KERNEL.ravel()))
    return grids, f"Output ({i}, {j}) = {terms} = **{win.total:g}**"
