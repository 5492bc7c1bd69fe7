"""Backpropagation: forward values, backward error signals, and a numerical check beside each."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import conv2d, conv2d_backward, nn
from engine.lessons.autodiff import (XOR_X, decision_surface, graph_dot, logistic_edges, logistic_graph,
                             numerical_gradient, xor_net, xor_train)
from pages.ui import params
from pages.ui.figures import grid_html, map_image, operator, side_by_side
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Backpropagation")
st.markdown(
    "Training needs the gradient of the loss with respect to every weight. Backpropagation gets "
    "them all in one backward sweep: each node receives the gradient of the loss with respect to "
    "its output (its **error signal**) and passes it on multiplied by its local slope, the chain rule."
)



def _number(default, label, low=-10.0):
    return params.Setting(default, label, "number_input", low=low, high=10.0, step=0.1)


SETTINGS = params.Settings("backprop", {
    "w": _number(2.0, "w"), "b": _number(-1.0, "b"), "x": _number(1.5, "x"), "t": _number(1.0, "target t"),
    "lam": _number(0.0, "L2 weight λ", low=0.0),
    "phase": params.Setting("forward", "Show", "radio", choices=("forward", "backward"),
                            format_func={"forward": "forward: values",
                                         "backward": "backward: values and error signals"}.get),
})
SETTINGS.restore()

st.subheader("One neuron: z = wx + b, y = σ(z), L = (y − t)² / 2")
for col, key in zip(st.columns(5), ["w", "b", "x", "t", "lam"]):
    SETTINGS.widget(key, col)
SETTINGS.widget("phase", horizontal=True)
s = st.session_state
g = logistic_graph(s.w, s.b, s.x, s.t, s.lam)
st.graphviz_chart(graph_dot(g, logistic_edges(s.lam), show_grad=s.phase == "backward"))
if s.phase == "backward":
    num_w, num_b = numerical_gradient(s.w, s.b, s.x, s.t, s.lam)

    def rel(a, n):
        return abs(a - n) / max(abs(a), abs(n), 1e-12)
    st.dataframe(pd.DataFrame({
        "gradient": ["∂L/∂w", "∂L/∂b"],
        "backpropagation": [g["w"].grad, g["b"].grad],
        "numerical (central difference)": [num_w, num_b],
        "relative error": [f"{rel(g['w'].grad, num_w):.1e}", f"{rel(g['b'].grad, num_b):.1e}"],
    }), hide_index=True)
    st.caption("∂L/∂w = (y − t) · σ'(z) · x" + (" + λw" if s.lam else "") +
               ": the error signal at z times the input x. The L2 term pulls w towards 0.")

st.subheader("A small network learns XOR")
st.markdown("Two inputs, four tanh units, one sigmoid output, trained on the four XOR points with "
            "gradient descent. No single straight line separates XOR; the hidden layer bends the boundary.")
if "xor" not in st.session_state:
    model = xor_net()
    st.session_state.xor = (model, nn.SGD(model, 2.0), [])
c1, c2, c3, c4 = st.columns(4)
for col, steps in ((c1, 50), (c2, 500), (c4, 1)):
    if col.button(f"Train {steps} step{'s' if steps > 1 else ''}"):
        model, opt, losses = st.session_state.xor
        losses += xor_train(model, opt, steps)
if c3.button("Start over"):
    model = xor_net()
    st.session_state.xor = (model, nn.SGD(model, 2.0), [])
model, opt, losses = st.session_state.xor
left, right = st.columns(2)
if losses:
    left.line_chart(pd.DataFrame({"squared error": losses}), height=220)
    left.caption(f"{len(losses)} steps; loss now {losses[-1]:.4f}")
else:
    left.info("Press Train to take gradient steps.")
surface = decision_surface(model)
right.image(map_image(surface - 0.5, width=240, signed=True, vmax=0.5), width=240,
            caption="Output over the square from -0.5 to 1.5: red means 1, blue means 0. "
                    "The XOR points sit at the corners (0,0), (0,1), (1,0), (1,1).")
pred = model.forward(XOR_X, training=False).ravel()
st.caption("Outputs at (0,0), (0,1), (1,0), (1,1): " + ", ".join(f"{p:.2f}" for p in pred))

st.subheader("The gradient of a convolution filter")
st.markdown("For a convolution layer, ∂L/∂w is the cross-correlation of the layer's **input** with "
            "the **upstream gradient**: the same sliding-window sum as the forward pass, with the gradient in "
            "place of the kernel.")
rng = np.random.default_rng(0)
x = rng.integers(0, 4, (5, 5)).astype(np.float64)
dy = rng.integers(-1, 2, (3, 3)).astype(np.float64)
_, dw, _ = conv2d_backward(dy[None, None], x[None, None], np.zeros((1, 1, 3, 3)))
corr = conv2d(x[None, None], dy[None, None])[0, 0]
st.markdown(side_by_side(grid_html(x, caption="input x"), operator("⋆"), grid_html(dy, caption="upstream ∂L/∂y"),
                         operator("="), grid_html(dw[0, 0], caption="∂L/∂w from backward")), unsafe_allow_html=True)
st.caption("The same as conv2d(x, ∂L/∂y): " + ("yes, every entry matches." if np.allclose(dw[0, 0], corr) else "no!"))

SETTINGS.publish()
