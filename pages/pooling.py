"""Pooling: shrink feature maps by summarising windows, and see where the gradient goes back."""

import numpy as np
import streamlit as st

import engine
from engine.lessons import examples
from pages.ui import images, messages, params
from pages.ui.figures import grid_html, map_image, operator, side_by_side
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Pooling")
st.markdown(
    "A pooling layer slides a window over each feature map and keeps one number per window: the "
    "**max**, the **average**, the min, the sum or the L2 norm. It has no weights. With stride equal "
    "to the window size the windows sit side by side and the map shrinks; with a smaller stride "
    "they overlap."
)

KINDS = {"max": (engine.max_pool2d, engine.max_pool2d_backward),
         "average": (engine.avg_pool2d, engine.avg_pool2d_backward),
         "min": (engine.min_pool2d, engine.min_pool2d_backward),
         "sum": (engine.sum_pool2d, engine.sum_pool2d_backward),
         "L2": (engine.l2_pool2d, engine.l2_pool2d_backward)}
SETTINGS = params.Settings("pooling", {
    "kind": params.Setting("max", "Pooling", "selectbox", choices=tuple(KINDS)),
    "size": params.Setting(2, "Window size", low=1, high=4),
    "stride": params.Setting(2, "Stride", low=1, high=4),
    "shift": params.Setting(0, "Shift the digit right by (pixels)", low=0, high=3),
})
SETTINGS.restore()

c1, c2, c3 = st.columns(3)
SETTINGS.widget("kind", c1)
SETTINGS.widget("size", c2)
SETTINGS.widget("stride", c3)
forward, backward = KINDS[st.session_state.kind]
size, stride = st.session_state.size, st.session_state.stride

st.subheader("The lecture's 4 x 4 example")
x = examples.POOL_4X4.astype(np.float64)
try:
    out = forward(x[None, None], size, stride)[0, 0]
except ValueError as err:
    messages.error(err)
    st.stop()
pooled = grid_html(out, fmt="{:.3g}", caption=f"{st.session_state.kind} pool {size}x{size}, stride {stride}")
st.markdown(side_by_side(grid_html(x, caption="input"), operator("→"), pooled), unsafe_allow_html=True)
if stride < size and out.size > 1:
    st.caption("The windows overlap: some inputs belong to several windows.")
if (4 - size) % stride:
    st.warning("The windows do not tile the 4 x 4 input: the last rows and columns are left out.")

st.subheader("Where the gradient goes back")
st.markdown("Send a gradient of 1 back from every output and see what each input receives. Max and min "
            "route it to the winner of each window; average splits it evenly; where windows overlap, "
            "an input adds up what every window sends it.")
dx = backward(np.ones((1, 1) + out.shape), x[None, None], size, stride)[0, 0]
winners = []
if st.session_state.kind == "max":
    rows, cols = engine.pool.max_pool2d_argmax(x[None, None], size, stride)
    winners = list(zip(rows.ravel().tolist(), cols.ravel().tolist()))
caption = "gradient each input receives" + (" (thick border: a window's maximum)" if winners else "")
st.markdown(grid_html(dx, fmt="{:.3g}", highlight=winners, caption=caption), unsafe_allow_html=True)

st.subheader("On a real feature map, and what a small shift does")
SETTINGS.widget("shift")
digit, _ = images.digit(0)
fmap = engine.conv2d(digit[None, None], engine.filters.sobel_x()[None, None], padding="same")
shifted = np.roll(fmap, st.session_state.shift, axis=3)
pooled = forward(np.maximum(fmap, 0), size, stride)[0, 0]
pooled_shift = forward(np.maximum(shifted, 0), size, stride)[0, 0]
change = float(np.abs(pooled_shift - pooled).sum() / max(np.abs(pooled).sum(), 1e-12))
raw_change = float(np.abs(shifted - fmap).sum() / max(np.abs(fmap).sum(), 1e-12))
a, b, c = st.columns(3)
a.image(map_image(fmap[0, 0], width=224), caption="edge map of a digit (28 x 28)")
b.image(map_image(pooled, width=224, signed=False), caption=f"after {st.session_state.kind} pooling "
        f"({pooled.shape[0]} x {pooled.shape[1]})")
c.image(map_image(pooled_shift, width=224, signed=False), caption="the same, digit shifted")
st.metric("How much the pooled map changed", f"{change:.0%}",
          help="sum of absolute differences / sum of the unshifted values")
st.caption(f"The edge map itself changed by {raw_change:.0%}. Pooling keeps one number per window, so "
           "a shift that stays inside a window changes little.")

SETTINGS.publish()
