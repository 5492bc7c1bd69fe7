"""Activations: sigmoid, tanh, ReLU and leaky ReLU, their slopes, and the vanishing gradient."""

import numpy as np
import pandas as pd
import streamlit as st

import engine
from engine.lessons import activation_lab as lab
from pages.ui import images, params
from pages.ui.figures import map_image
from pages.ui.graphs import line_chart
from pages.ui.lesson_data import gradient_norms
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Activations")
st.markdown(
    "After each convolution a non-linear **activation** is applied to every value. Without it a "
    "stack of layers would collapse into one linear map. During training the gradient is multiplied "
    "by the activation's **slope** at every layer, so the slope decides how well deep networks learn."
)

NAMES = list(lab.ACTIVATIONS)
SETTINGS = params.Settings("activations", {
    "act": params.Setting("sigmoid", "Activation", "radio", choices=NAMES),
    "depth": params.Setting(10, "Layers in the stack", low=1, high=30),
    "bias": params.Setting(0.0, "Shift the map by a bias b before the activation", low=-5.0, high=5.0, step=0.5),
})
SETTINGS.restore()
SETTINGS.widget("act", horizontal=True)
name = st.session_state.act

xs = np.linspace(-6, 6, 241)
y, slope = lab.curve(name, xs)
left, right = st.columns(2)
left.markdown(f"**{name}(x)**")
line_chart(pd.DataFrame({name: y}, index=pd.Index(xs, name="x")), "x", f"{name}(x)", where=left)
right.markdown("**its slope**")
line_chart(pd.DataFrame({"slope": slope}, index=pd.Index(xs, name="x")), "x", "slope", where=right)
right.caption(f"Largest slope: {slope.max():.3g}" + (" (so each sigmoid layer at least quarters the gradient)"
                                                      if name == "sigmoid" else ""))

st.subheader("A feature map before and after")
SETTINGS.widget("bias")
digit, _ = images.digit(3)
fmap = engine.conv2d(digit[None, None], engine.filters.sobel_x()[None, None], padding="same")[0, 0]
shifted = fmap + st.session_state.bias
after, _ = lab.curve(name, shifted.ravel())
after = after.reshape(fmap.shape)
a, b = st.columns(2)
a.image(map_image(shifted, width=224), caption="edge map + b (blue negative, red positive)")
b.image(map_image(after, width=224), caption=f"{name} of it")
if name == "ReLU":
    dead = lab.dead_fraction(shifted.reshape(1, -1))
    st.caption(f"{dead:.0%} of these units output 0 and pass back no gradient. Push b far below zero and "
               "almost all die: a 'dying ReLU' never recovers, since its gradient is zero.")

st.subheader("The vanishing gradient")
SETTINGS.widget("depth")
depth = st.session_state.depth
norms = {n: gradient_norms(n, depth) for n in ("sigmoid", "ReLU")}
table = pd.DataFrame({f"{n} network": v for n, v in norms.items()}, index=range(1, depth + 1))
table.index.name = "layer (1 = first)"
line_chart(np.log10(table.clip(lower=1e-30)), "layer (1 = first)", "log10 |gradient|", height=240,
           colours={"sigmoid network": "#d95f02", "ReLU network": "#1b9e77"})
sigmoid_first, relu_first = norms["sigmoid"][0], norms["ReLU"][0]
if depth == 1:
    finding = (f"With one layer there is nothing to pass the gradient through: the sigmoid layer gets "
               f"{sigmoid_first:.2g}, the ReLU layer {relu_first:.2g}. Add layers and watch the sigmoid "
               "network's first layer fall behind.")
else:
    finding = (f"Through {depth} sigmoid layers the first layer gets {sigmoid_first:.2g}, through ReLU "
               f"layers {relu_first:.2g}: the sigmoid network's early layers barely learn, "
               "one reason ReLU networks train faster.")
st.caption(f"log10 of the size of each layer's weight gradient, for a stack of dense layers. {finding}")

SETTINGS.publish()
