"""Stride, padding and dilation: the output-size formula with the learner's own numbers."""

import re

import numpy as np
import streamlit as st

from engine import conv_output_size, pad2d
from engine.lessons.stepthrough import window_coverage
from pages.ui import messages, params
from pages.ui.figures import grid_html
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Stride, padding and dilation")
st.markdown(
    "A window of size **F** slides over an input of size **W**. **Padding P** adds P cells on "
    "every side, **stride S** is how far the window jumps each time, and **dilation D** spreads "
    "its taps D cells apart, so it spans D(F-1)+1 cells. The number of positions is "
    "$W_{out} = \\lfloor (W - F + 2P) / S \\rfloor + 1$."
)

MODES = ["zero", "reflect", "replicate", "circular"]
SETTINGS = params.Settings("stride_padding", {
    "n": params.Setting(7, "Input size W (an W x W image)", low=1, high=64),
    "f": params.Setting(3, "Kernel size F", low=1, high=11),
    "stride": params.Setting(1, "Stride S", low=1, high=8),
    "padding": params.Setting(0, "Padding P", low=0, high=8),
    "dilation": params.Setting(1, "Dilation D", low=1, high=4),
    "mode": params.Setting("zero", "Padding mode", "selectbox", choices=MODES),
    "same": params.Setting(False, "'same' padding", "toggle",
                           help="Pick P so that at stride 1 the output is as big as the input"),
})
SETTINGS.restore()

c1, c2, c3 = st.columns(3)
SETTINGS.widget("n", c1)
SETTINGS.widget("f", c1)
SETTINGS.widget("stride", c2)
SETTINGS.widget("dilation", c2)
SETTINGS.widget("same", c3)
SETTINGS.widget("padding", c3, disabled=st.session_state.same)
SETTINGS.widget("mode", c3)

n, f, s, d = st.session_state.n, st.session_state.f, st.session_state.stride, st.session_state.dilation
if st.session_state.same:
    eff = d * (f - 1) + 1
    if eff % 2 == 0:
        st.info(f"The window spans {eff} cells, an even number, so 'same' cannot pad both sides "
                f"equally; frameworks put the extra cell at the bottom and right. Here P = {(eff - 1) // 2} "
                "on both sides is shown.")
    p = (eff - 1) // 2
else:
    p = st.session_state.padding

try:
    result = conv_output_size(n, f, s, p, d)
except ValueError as err:
    messages.error(err, "Make the kernel smaller, add padding or use a bigger input.")
    result = None

if result is not None:
    latex = result.formula.replace("W_out", "W_{out}").replace("·", r"\cdot ").replace("floor", r"\operatorname{floor}")
    span = re.search(r"\s*\(effective kernel (.*?= \d+)\)\s*", latex)
    if span:  # on a line of its own: beside the formula it pushed the answer off the page
        latex = (r"\begin{aligned}\text{window span } &= " + span.group(1) + r" \\ "
                 + latex.replace(span.group(0), " ").replace("W_{out} =", "W_{out} &=", 1) + r"\end{aligned}")
    st.latex(latex)
    m1, m2, m3 = st.columns(3)
    m1.metric("Output", f"{result.size} x {result.size}")
    m2.metric("Window spans", f"{result.effective_kernel} cells")
    m3.metric("Padded input", f"{result.padded} x {result.padded}")
    if result.fits:
        st.success("The windows fit exactly: the last one ends on the last row and column.")
    else:
        unused = ", ".join(map(str, result.unused)) or "none (only padding is left over)"
        st.warning(
            f"The windows do not fit: (W - F + 2P) / S = {(result.padded - result.effective_kernel) / s:g} is "
            f"not a whole number, so the last window would hang off the edge. Frameworks drop it: "
            f"input rows and columns never seen: **{unused}** (counting from 0)."
        )
    if st.session_state.same and s == 1:
        st.caption(f"With stride 1, P = (F-1)/2 = {p} keeps the output the size of the input.")

    if result.padded <= 24:
        counts, starts = window_coverage(n, f, s, p, d)
        grid = np.outer(counts, counts)
        pad_cells = [(i, j) for i in range(result.padded) for j in range(result.padded)
                     if not (p <= i < p + n and p <= j < p + n)]
        unseen = [(i + p, j + p) for i in range(n) for j in range(n) if i in result.unused or j in result.unused]
        first = [(starts[0] + a * d, starts[0] + b * d) for a in range(f) for b in range(f)] if starts else []
        # side by side while both fit; a bigger grid gets the page's whole width
        left, right = st.columns(2) if result.padded <= 12 else (st.container(), st.container())
        left.markdown("**How many windows see each cell**", help="Row count times column count")
        left.markdown(grid_html(grid, highlight=first, outline=pad_cells, dim=unseen, cell=24,
                                caption="dashed: padding; thick border: the first window; faded: never seen"),
                      unsafe_allow_html=True)
        sample = np.arange(1, n * n + 1, dtype=np.float64).reshape(n, n)
        right.markdown(f"**The padded input ({st.session_state.mode} padding)**")
        try:
            padded = pad2d(sample, p, st.session_state.mode) if p else sample
        except ValueError as err:
            messages.warning(err, where=right)
        else:
            right.markdown(grid_html(padded, outline=pad_cells, cell=24,
                                     caption="cells numbered 1, 2, ... in reading order"), unsafe_allow_html=True)
    else:
        st.caption("The grid drawings appear when the padded input is at most 24 cells wide.")

SETTINGS.publish()
