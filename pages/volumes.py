"""Volumes and many filters: an RGB image, K filters of F x F x D, and why sharing weights pays."""

import numpy as np
import streamlit as st

from engine import conv2d, conv_output_size, filters
from engine.lessons.stepthrough import params_conv_vs_dense
from pages.ui import images, params
from pages.ui.figures import channel_tiles, tile
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Volumes and many filters")
st.markdown(
    "A colour image is a **volume**: height x width x 3 channels. Each filter is a volume too, "
    "F x F x D, as deep as its input, and gives one feature map. K filters give an output volume "
    "W2 x H2 x K. Every position reuses the same weights, so a convolution layer needs only "
    "F·F·D·K + K numbers, where a fully connected layer making as many outputs needs millions."
)

DEFAULTS = {"k": 10, "f": 5, "stride": 1, "padding": 0, "side": 32, "seed": 0}
params.restore(DEFAULTS, page="volumes",
               bounds={"k": (1, 64), "f": (1, 11), "stride": (1, 4), "padding": (0, 5), "side": (8, 128), "seed": (0, 999)})

c1, c2, c3 = st.columns(3)
c1.slider("Filters K", 1, 64, key="k")
c1.slider("Filter size F", 1, 11, key="f")
c2.slider("Stride S", 1, 4, key="stride")
c2.slider("Padding P", 0, 5, key="padding")
c3.select_slider("Input side W = H", [8, 16, 32, 64, 128], key="side")
c3.number_input("Random filters' seed", 0, 999, key="seed")
s = st.session_state
depth = 3


@st.cache_data(show_spinner=False, max_entries=32)
def rgb_input(side):
    """The colour sample photo at side x side (nearest pixels): (3, side, side)."""
    rgb = images.sample_rgb("hopper")
    idx = np.linspace(0, rgb.shape[1] - 1, side).astype(int)
    return np.ascontiguousarray(rgb[:, idx][:, :, idx])


@st.cache_data(show_spinner=False, max_entries=32)
def feature_volume(side, k, f, stride, padding, seed):
    x = rgb_input(side)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((k, depth, f, f)).astype(np.float32) / f
    if f == 3:  # one known edge detector among the random filters
        w[0] = filters.sobel_x()[None]
    return conv2d(x[None], w, stride=stride, padding=padding)[0]


try:
    size = conv_output_size(s.side, s.f, s.stride, s.padding)
except ValueError as err:
    st.error(f"{str(err)[0].upper()}{str(err)[1:]}. Use a smaller filter or more padding.")
    st.stop()

conv_params, unshared, dense_params = params_conv_vs_dense(s.side, s.side, depth, s.k, s.f, size.size, size.size)
m1, m2 = st.columns(2)
m3, m4 = st.columns(2)
m1.metric("Output volume", f"{size.size} x {size.size} x {s.k}")
m2.metric("Convolution weights", f"{conv_params:,}", help=f"F·F·D·K + K = {s.f}·{s.f}·{depth}·{s.k} + {s.k}")
m3.metric("Without sharing", f"{unshared:,}",
          help=f"(W·H·D)·K·(F·F·D + 1) = ({s.side}·{s.side}·{depth})·{s.k}·{s.f * s.f * depth + 1}: "
               "the lecture's count if every position had its own filters")
m4.metric("Fully connected, same outputs", f"{dense_params:,}",
          help="(W·H·D)·(W2·H2·K) + W2·H2·K: every output joined to every input")
st.caption(f"Each filter has {s.f}·{s.f}·{depth} + 1 = {s.f * s.f * depth + 1} numbers; sharing them across "
           f"positions needs {unshared / conv_params:,.0f} times fewer weights than giving every position its "
           f"own. {size.formula}.")
if not size.fits:
    st.warning(f"These windows do not fit: input rows {', '.join(map(str, size.unused))} are never seen.")
if s.f == 1:
    st.info("A 1 x 1 convolution looks at one pixel at a time but across all D channels: it mixes "
            "channels into K new ones, a cheap way to change a volume's depth.")

x = rgb_input(s.side)
out = feature_volume(s.side, s.k, s.f, s.stride, s.padding, s.seed)
left, right = st.columns([1, 2])
left.image(channel_tiles(x), caption="The input volume: its 3 channels (red, green, blue)")
right.image(tile(out, cols=min(8, s.k), width=min(640, 80 * min(8, s.k)), signed=True),
            caption=f"The output volume: {s.k} feature maps of {size.size} x {size.size}, one per filter "
                    "(random filters; red positive, blue negative)")

params.publish(list(DEFAULTS))
