"""Volumes and many filters: an RGB image, K filters of F x F x D, and why sharing weights pays."""

import streamlit as st

from engine import conv_output_size
from engine.lessons.stepthrough import params_conv_vs_dense
from pages.ui import messages, params
from pages.ui.lessons import run_inside_app
from pages.ui.volume_views import DEPTH, input_picture, output_picture

run_inside_app()
st.title("Volumes and many filters")
st.markdown(
    "A colour image is a **volume**: height x width x 3 channels. Each filter is a volume too, "
    "F x F x D, as deep as its input, and gives one feature map. K filters give an output volume "
    "W2 x H2 x K. Every position reuses the same weights, so a convolution layer needs only "
    "F·F·D·K + K numbers, where a fully connected layer making as many outputs needs millions."
)

SETTINGS = params.Settings("volumes", {
    "k": params.Setting(10, "Filters K", low=1, high=64),
    "f": params.Setting(5, "Filter size F", low=1, high=11),
    "stride": params.Setting(1, "Stride S", low=1, high=4),
    "padding": params.Setting(0, "Padding P", low=0, high=5),
    "side": params.Setting(32, "Input side W = H", "select_slider", choices=(8, 16, 32, 64, 128)),
    "seed": params.Setting(0, "Random filters' seed", "number_input", low=0, high=999),
})
SETTINGS.restore()

c1, c2, c3 = st.columns(3)
SETTINGS.widget("k", c1)
SETTINGS.widget("f", c1)
SETTINGS.widget("stride", c2)
SETTINGS.widget("padding", c2)
SETTINGS.widget("side", c3)
SETTINGS.widget("seed", c3)
s = st.session_state
depth = DEPTH


try:
    size = conv_output_size(s.side, s.f, s.stride, s.padding)
except ValueError as err:
    messages.error(err, "Use a smaller filter or more padding.")
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

left, right = st.columns([1, 2])
left.image(input_picture(s.side), caption="The input volume: its 3 channels (red, green, blue)")
right.image(output_picture(s.side, s.k, s.f, s.stride, s.padding, s.seed),
            caption=f"The output volume: {s.k} feature maps of {size.size} x {size.size}, one per filter "
                    "(random filters; red positive, blue negative)")

SETTINGS.publish()
