"""Backpropagation: step a computation graph forward and backward, train XOR, check gradients."""

import numpy as np
import pandas as pd
import streamlit as st

from engine import autodiff
from pages.ui import params
from pages.ui.figures import grid_html, operator, side_by_side
from pages.ui.graphs import computation_graph_dot, decision_surface_image

st.title("Backpropagation")
st.markdown(
    "Backpropagation computes every derivative of the loss in one backward sweep. Each node of the "
    "computation graph gets an **error signal** x̄ = ∂ℒ/∂x: the loss's is 1, and each node passes "
    "its own back to its inputs, multiplied by the local derivative (the chain rule)."
)

DEFAULTS = {"w": 2.0, "b": -1.0, "x": 1.5, "t": 1.0, "l2": False, "lam": 0.1, "stage": 0,
            "hidden": 4, "act": "tanh", "lr": 1.0, "seed": 1, "cseed": 0}
LIMIT = 1000.0
params.restore(DEFAULTS, page="backprop",
               choices={"act": ["tanh", "sigmoid"], "hidden": [2, 3, 4, 8]},
               bounds={"w": (-LIMIT, LIMIT), "b": (-LIMIT, LIMIT), "x": (-LIMIT, LIMIT), "t": (-LIMIT, LIMIT),
                       "lam": (0.0, 10.0), "stage": (0, 20), "lr": (0.001, 50.0), "seed": (0, 99), "cseed": (0, 99)})

# --- 1. the logistic least-squares graph -------------------------------------------------
st.header("1. One neuron, step by step")
st.markdown("The lecture's univariate logistic least-squares model: $z = wx + b$, $y = \\sigma(z)$, "
            "$\\mathcal L = \\tfrac12 (y - t)^2$, optionally with an L2 penalty "
            "$\\mathcal L_{reg} = \\mathcal L + \\lambda\\,\\tfrac12 w^2$.")
c = st.columns(5)
c[0].number_input("weight w", -LIMIT, LIMIT, key="w", step=0.5)
c[1].number_input("bias b", -LIMIT, LIMIT, key="b", step=0.5)
c[2].number_input("input x", -LIMIT, LIMIT, key="x", step=0.5)
c[3].number_input("target t", -LIMIT, LIMIT, key="t", step=0.5)
c[4].toggle("L2 term", key="l2")
if st.session_state.l2:
    st.slider("λ (regularisation strength)", 0.0, 10.0, key="lam", step=0.05)
lam = st.session_state.lam if st.session_state.l2 else 0.0

try:
    graph = autodiff.logistic_graph(st.session_state.w, st.session_state.b, st.session_state.x,
                                    st.session_state.t, lam)
except ValueError as err:
    st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
    st.stop()

leaves = [n.name for n in graph.nodes if not n.inputs]
computed = [n.name for n in graph.nodes if n.inputs]
steps = [("forward", n) for n in computed] + [("backward", n) for n in reversed(computed)] + [("backward", "w, b")]
if not 0 <= st.session_state.stage <= len(steps):
    st.session_state.stage = min(max(st.session_state.stage, 0), len(steps))


def _move(delta):
    st.session_state.stage = min(max(st.session_state.stage + delta, 0), len(steps))


b1, b2, b3 = st.columns([1, 1, 4])
b1.button("◀ back", on_click=_move, args=(-1,), disabled=st.session_state.stage == 0)
b2.button("step ▶", on_click=_move, args=(1,), disabled=st.session_state.stage == len(steps))
b3.slider("Step", 0, len(steps), key="stage", label_visibility="collapsed")
stage = st.session_state.stage
done = steps[:stage]
values = set(leaves) | {n for d, n in done if d == "forward"}
grads = {n for d, n in done if d == "backward"}
if ("backward", "w, b") in done:
    grads |= set(leaves)
current = done[-1][1] if done else None
st.graphviz_chart(computation_graph_dot(graph, values, grads, current))
st.caption("Blue: the forward value of each node. Red: its error signal (x̄ = ∂ℒ/∂x), filled in by the "
           "backward pass from the loss down to the inputs. The highlighted node is the current step.")
if not done:
    st.info("Only the inputs are known. Press **step ▶** to run the forward pass one node at a time.")
else:
    direction, name = done[-1]
    if name == "w, b":
        st.latex(graph.node("w").backward_rule + r",\qquad " + graph.node("b").backward_rule)
        st.success(f"Backward pass done: w̄ = {graph.node('w').grad:.6g}, b̄ = {graph.node('b').grad:.6g}. "
                   "Gradient descent would now move w and b against these.")
    else:
        node = graph.node(name)
        rule = node.forward_rule if direction == "forward" else node.backward_rule
        shown = node.value if direction == "forward" else node.grad
        st.latex(rule + r" \;=\; " + f"{shown:.6g}")

table = pd.DataFrame({
    "node": [n.label for n in graph.nodes],
    "value": [f"{n.value:.6g}" if n.name in values else "" for n in graph.nodes],
    "error signal": [f"{n.grad:.6g}" if n.name in grads else "" for n in graph.nodes],
})
st.dataframe(table, hide_index=True, width="content")
if abs(graph.node("z").value) > 10:
    st.warning(f"z = {graph.node('z').value:.4g} puts the sigmoid deep in its flat tail: σ'(z) is about "
               f"{graph.node('y').value * (1 - graph.node('y').value):.2g}, so almost no error signal gets "
               "back to w and b. This is a saturated unit.")

st.subheader("Numerical check")
st.markdown("Nudge each parameter by h = 10⁻⁵ both ways and measure the loss: "
            "(ℒ(p + h) − ℒ(p − h)) / 2h should equal the backpropagated gradient.")
check = autodiff.logistic_gradient_check(st.session_state.w, st.session_state.b, st.session_state.x,
                                         st.session_state.t, lam)
st.dataframe(pd.DataFrame([{"parameter": k, "backprop": f"{a:.8g}", "numerical": f"{n:.8g}",
                            "relative error": f"{e:.1e}"} for k, (a, n, e) in check.items()]),
             hide_index=True, width="content")

# --- 2. XOR ------------------------------------------------------------------------------
st.header("2. A small network learns XOR")
st.markdown("XOR is 1 when exactly one input is 1. No straight line separates its classes, so a "
            "single neuron cannot learn it; one hidden layer can. Train this 2-H-1 network one "
            "gradient-descent step at a time (loss: mean of ½(y − t)²).")
c = st.columns(4)
c[0].selectbox("hidden units H", [2, 3, 4, 8], key="hidden")
c[1].selectbox("hidden activation", ["tanh", "sigmoid"], key="act")
c[2].number_input("learning rate", 0.001, 50.0, key="lr", step=0.1, format="%.3f")
c[3].number_input("seed (starting weights)", 0, 99, key="seed")
config = (st.session_state.hidden, st.session_state.act, st.session_state.lr, st.session_state.seed)


def _new_net():
    st.session_state.xor_net = autodiff.XorMLP(*config[:2], lr=config[2], seed=config[3])
    st.session_state.xor_config = config


if st.session_state.get("xor_config") != config or "xor_net" not in st.session_state:
    try:
        _new_net()
    except ValueError as err:
        st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
        st.stop()
net = st.session_state.xor_net

b = st.columns(4)
if b[0].button("1 step"):
    net.step(1)
if b[1].button("10 steps"):
    net.step(10)
if b[2].button("200 steps"):
    net.step(200)
if b[3].button("reset"):
    _new_net()
    net = st.session_state.xor_net

loss = net.losses[-1]
if not np.isfinite(loss):
    st.error("The loss is no longer a number: the learning rate is far too high. Lower it and press reset.")
else:
    left, right = st.columns(2)
    with left:
        st.metric("steps", net.steps)
        st.metric("loss", f"{loss:.5f}", delta=f"{loss - net.losses[0]:.4f} since the start", delta_color="inverse")
        st.line_chart(pd.DataFrame({"loss": net.losses}), height=200, x_label="step", y_label="loss")
        preds = net.predictions()
        st.dataframe(pd.DataFrame({"x1": autodiff.XOR_X[:, 0].astype(int), "x2": autodiff.XOR_X[:, 1].astype(int),
                                   "target": autodiff.XOR_T[:, 0].astype(int),
                                   "output y": np.round(preds, 3),
                                   "correct": (preds > 0.5) == (autodiff.XOR_T[:, 0] > 0.5)}),
                     hide_index=True)
    with right:
        xs, ys, out = net.surface(41)
        st.image(decision_surface_image(out, autodiff.XOR_X, autodiff.XOR_T[:, 0]), width=300,
                 caption="The network's output over the plane x1 (right), x2 (up) from -0.5 to 1.5: red "
                         "above 0.5 (says 1), blue below (says 0). Squares are the four XOR points: "
                         "white target 1, black target 0.")
    if net.steps >= 1000 and loss > 0.05:
        st.warning("Stuck: this start has fallen into a flat region or a local minimum. Try another seed "
                   "or more hidden units.")
    with st.expander("Gradient check of every weight"):
        rows = [{"parameter": k, "shape": str(a.shape), "largest |gradient|": f"{np.abs(a).max():.3g}",
                 "relative error vs numerical": f"{e:.1e}"} for k, (a, n, e) in net.numerical_check().items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True)

# --- 3. the convolution filter gradient ----------------------------------------------------
st.header("3. The gradient of a convolution filter")
st.markdown("For y = x ⋆ w (cross-correlation, stride 1), each weight touches every output, so its "
            "gradient adds the inputs it met, weighted by the upstream gradient: "
            "$\\bar w_{ab} = \\sum_{ij} \\bar y_{ij}\\, x_{i+a,\\,j+b}$. That is the input **correlated with** "
            "the upstream gradient ȳ.")
st.slider("Random example (seed)", 0, 99, key="cseed")
rng = np.random.default_rng(st.session_state.cseed)
x = rng.integers(-2, 3, (5, 5)).astype(np.float64)
w = rng.integers(-1, 2, (3, 3)).astype(np.float64)
dy = rng.integers(-1, 2, (3, 3)).astype(np.float64)
dw, corr, num, err_corr, err_num = autodiff.conv_filter_gradient(x, w, dy)
st.markdown(side_by_side(grid_html(x, caption="input x (5x5)"), operator("⋆"),
                         grid_html(dy, caption="upstream ȳ (3x3)"), operator("="),
                         grid_html(corr, caption="conv2d(x, ȳ)"), operator("vs"),
                         grid_html(dw, caption="w̄ from conv2d_backward")),
            unsafe_allow_html=True)
st.caption(f"Correlating x with ȳ gives the backward pass's filter gradient exactly (relative difference "
           f"{err_corr:.1e}); central differences agree to {err_num:.1e}.")
m = st.columns(2)
m[0].metric("conv2d(x, ȳ) vs w̄", f"{err_corr:.1e}")
m[1].metric("numerical vs w̄", f"{err_num:.1e}")

params.publish(list(DEFAULTS))
