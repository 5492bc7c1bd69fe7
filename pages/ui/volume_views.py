"""The volumes page's pictures, computed and encoded once per setting and kept.

A rerun that changes nothing they show (a setting moved back, another learner's same choice)
hands st.image the same bytes instead of colouring 64 feature maps and encoding them again.
The cached functions live here rather than in the page: a function decorated inside a page
script is decorated anew on every rerun, and Streamlit then reads and hashes its source again.
"""

import numpy as np
import streamlit as st

from engine import conv2d, filters
from pages.ui import images
from pages.ui.figures import channel_tiles, encoded, tile

DEPTH = 3  # the input's channels: red, green, blue


@st.cache_data(show_spinner=False, max_entries=32)
def rgb_input(side):
    """The colour sample photo at side x side (nearest pixels): (3, side, side)."""
    rgb = images.sample_rgb("hopper")
    idx = np.linspace(0, rgb.shape[1] - 1, side).astype(int)
    return np.ascontiguousarray(rgb[:, idx][:, :, idx])


def feature_volume(side, k, f, stride, padding, seed):
    """K random filters (one a Sobel edge detector when F is 3) over the input: (K, H2, W2).
    Not kept itself (up to 3.5 MB each): only its picture is."""
    x = rgb_input(side)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((k, DEPTH, f, f)).astype(np.float32) / f
    if f == 3:  # one known edge detector among the random filters
        w[0] = filters.sobel_x()[None]
    return conv2d(x[None], w, stride=stride, padding=padding)[0]


@st.cache_data(show_spinner=False, max_entries=32)
def input_picture(side):
    """The input's three channels side by side, as JPEG bytes."""
    return encoded(channel_tiles(rgb_input(side)))


@st.cache_data(show_spinner=False, max_entries=64)
def output_picture(side, k, f, stride, padding, seed):
    """The K feature maps in a grid of up to 8 columns, as JPEG bytes."""
    out = feature_volume(side, k, f, stride, padding, seed)
    return encoded(tile(out, cols=min(8, k), width=min(640, 80 * min(8, k)), signed=True))
