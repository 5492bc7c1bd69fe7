"""1D convolution: slide the flipped kernel along the signal and add up the products."""

import numpy as np
import streamlit as st

from engine import conv1d
from engine.lessons import examples
from engine.lessons.stepthrough import conv1d_steps, placed_kernel
from pages.ui import inputs, messages, params
from pages.ui.figures import grid_html
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("1D convolution")
st.markdown(
    "A convolution slides a small **kernel** w along a **signal** x. At each position it "
    "multiplies the values that line up and adds the products: "
    "$y[i] = \\sum_k x[k]\\,w[i-k]$. The index $i-k$ runs backwards, so the kernel is "
    "**flipped** before it slides. Without the flip the same sum is a *cross-correlation*."
)

SETTINGS = params.Settings("conv1d", {
    "x": params.Setting(",".join(f"{v:g}" for v in examples.SIGNAL_1D), "Signal x", "text_input",
                        help="Numbers separated by commas", max_chars=500),
    "w": params.Setting(",".join(f"{v:g}" for v in examples.KERNEL_1D), "Kernel w", "text_input",
                        help="Numbers separated by commas", max_chars=500),
    "flip": params.Setting(True, "Flip the kernel (convolution); off: cross-correlation", "toggle"),
    "pos": params.Setting(0, "Kernel position (output index i)", low=0, high=200),
})
SETTINGS.restore()


def parse(key, what):
    """The numbers typed in setting `key`, or None after showing why they cannot be used."""
    try:
        return inputs.number_list(st.session_state[key], what)
    except ValueError as err:
        messages.error(err)
        return None


def _factor(v):
    """A number as a factor in a written-out sum: negative ones in brackets, 2·(-1) not 2·-1."""
    return f"({v:g})" if v < 0 else f"{v:g}"


def _values(n):
    return f"{n} value" + ("" if n == 1 else "s")


def _advance(n_out):
    st.session_state.pos = (st.session_state.get("pos", 0) + 1) % n_out


left, right = st.columns(2)
SETTINGS.widget("x", left)
SETTINGS.widget("w", right)
SETTINGS.widget("flip")
x, w = parse("x", "the signal x"), parse("w", "the kernel w")

if x is not None and w is not None:
    flip = st.session_state.flip
    steps = conv1d_steps(x, w, flip)
    n_out = len(steps)
    # the slider's value is dropped from the session on a run that did not draw it (bad input)
    st.session_state.pos = min(st.session_state.get("pos", 0), n_out - 1)
    slide, step_button = st.columns([5, 1], vertical_alignment="bottom")
    if n_out > 1:
        SETTINGS.widget("pos", slide, max_value=n_out - 1)
    step_button.button("Next step", key="next_step", on_click=_advance, args=(n_out,), width="stretch",
                       help="Move the kernel one place to the right (back to the start after the end)")
    step = steps[st.session_state.pos]

    # The signal with zeros on both sides so the kernel can hang over the ends.
    m = len(w)
    padded = np.concatenate([np.zeros(m - 1), x, np.zeros(m - 1)])
    under = set((0, step.index + k) for k in range(m))
    kernel_row = placed_kernel(len(x), w, step.index, flip)
    st.markdown("**The kernel over the signal** (grey cells are the zeros beyond the ends)")
    zeros = [(0, k) for k in range(m - 1)] + [(0, k) for k in range(m - 1 + len(x), len(padded))]
    st.markdown(grid_html(padded, highlight=under, dim=zeros, caption="x with zeros added at both ends"),
                unsafe_allow_html=True)
    shown = np.where(np.isnan(kernel_row), 0, kernel_row)
    off = [(0, k) for k in range(len(padded)) if np.isnan(kernel_row[k])]
    st.markdown(grid_html(shown, highlight=under, dim=off,
                          caption="the flipped kernel" if flip else "the kernel, not flipped"),
                unsafe_allow_html=True)
    terms = " + ".join(f"{_factor(a)}·{_factor(b)}"
                       for a, b in zip(np.array(x)[list(step.positions)], step.kernel)) or "0"
    st.markdown(f"**y[{step.index}]** = {terms} = **{step.total:g}**")

    full = conv1d(x, w, "full", flip)
    same = conv1d(x, w, "same", flip)
    st.subheader("All outputs")
    same_cells = [(0, s.index) for s in steps if s.in_same]
    valid_cells = [(0, s.index) for s in steps if s.in_valid]
    st.markdown(grid_html(full, highlight=[(0, step.index)], outline=valid_cells,
                          caption="full output; orange dashes: the 'valid' part"),
                unsafe_allow_html=True)
    c1, c2, c3 = st.columns(3)
    c1.metric("full", _values(len(full)), help="every position where x and w overlap: n + m - 1")
    c2.metric("same", _values(len(same)), help="the centred part as long as x")
    if len(conv1d(x, w, "valid", flip)):
        c3.metric("valid", _values(len(valid_cells)), help="only where w lies fully inside x")
    st.code("full  = " + ", ".join(f"{v:g}" for v in full) + "\nsame  = "
            + ", ".join(f"{v:g}" for v in same) + "\nvalid = "
            + ", ".join(f"{v:g}" for v in conv1d(x, w, "valid", flip)), language=None)
    if flip and np.allclose(w, w[::-1]):
        st.info("This kernel reads the same backwards, so convolution and cross-correlation agree.")

SETTINGS.publish()
