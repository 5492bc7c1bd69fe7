"""Receptive fields: pick a unit in any layer of the digit network and see what it can see."""

import pandas as pd
import streamlit as st

from engine import nn
from engine.lessons.receptive_field import patch, receptive_fields, window_specs
from pages.ui import images, params
from pages.ui.figures import with_box
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Receptive fields")
st.markdown(
    "A unit in the first convolution sees only the 5 x 5 pixels under its kernel. A unit one layer "
    "deeper combines several of those, so it sees more of the digit, and every pooling step doubles "
    "the distance between neighbouring units. Pick a layer and a unit to see its patch."
)


@st.cache_resource(show_spinner=False)
def fields():
    return receptive_fields(window_specs(nn.digit_net()))


FIELDS = fields()
NAMES = [f"{i + 1}. {f.layer}" for i, f in enumerate(FIELDS)]
SETTINGS = params.Settings("receptive_field", {
    "layer": params.Setting(len(FIELDS) - 1, "Layer", "selectbox", choices=tuple(range(len(FIELDS))),
                            format_func=lambda i: NAMES[i]),
    "row": params.Setting(3, "Unit row", low=0, high=27),
    "col": params.Setting(3, "Unit column", low=0, high=27),
    "digit": params.Setting(0, "Test digit", "number_input", low=0, high=9999),
})
SETTINGS.restore()

SETTINGS.widget("layer")
field = FIELDS[st.session_state.layer]
st.session_state.row = min(st.session_state.row, field.units - 1)
st.session_state.col = min(st.session_state.col, field.units - 1)
c1, c2, c3 = st.columns(3)
if field.units > 1:
    SETTINGS.widget("row", c1, max_value=field.units - 1)
    SETTINGS.widget("col", c2, max_value=field.units - 1)
SETTINGS.widget("digit", c3)

digit, label = images.digit(st.session_state.digit)
rows, cols = patch(field, st.session_state.row, st.session_state.col)
left, right = st.columns([1, 1])
left.image(with_box(digit, rows, cols), caption=f"Unit ({st.session_state.row}, {st.session_state.col}) of "
           f"layer {st.session_state.layer + 1} sees rows {rows[0]}-{rows[1]} and columns {cols[0]}-{cols[1]}")
with right:
    st.metric("Receptive field", f"{field.size} x {field.size} pixels")
    st.metric("Units in this layer", f"{field.units} x {field.units}", help="one unit every "
              f"{field.jump} input pixels (the jump)")
    clipped = (rows[1] - rows[0] + 1, cols[1] - cols[0] + 1)
    if clipped != (field.size, field.size):
        st.caption(f"Near the border part of the field lies in the zero padding: only {clipped[0]} x "
                   f"{clipped[1]} real pixels are inside the image.")

st.markdown("**Layer by layer**: r grows by (k - 1) times the jump, and the jump multiplies by the stride.")
st.dataframe(pd.DataFrame({"layer": NAMES, "receptive field": [f"{f.size} x {f.size}" for f in FIELDS],
                           "jump": [f.jump for f in FIELDS], "units": [f"{f.units} x {f.units}" for f in FIELDS],
                           "how": [f.formula for f in FIELDS]}), hide_index=True, width="stretch")

SETTINGS.publish()
