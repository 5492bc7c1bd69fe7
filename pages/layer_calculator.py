"""Layer calculator: stack layers and see each output shape and parameter count."""

import pandas as pd
import streamlit as st

from engine import nn
from engine.lessons import layer_calculator as arch
from pages.ui import messages, params
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Layer calculator")
st.markdown(
    "Stack layers as you would in Keras and read the table like `model.summary()`: the shape "
    "each layer hands on and how many weights it learns. A convolution learns F·F·C·K + K "
    "numbers whatever the image size; a dense layer learns inputs·units + units."
)

PRESETS = list(arch.PRESETS)
PRESET = params.Settings("layer_calculator", {
    "preset": params.Setting(PRESETS[0], "Start from", "selectbox", choices=PRESETS),
})
PRESET.restore()
_shape = arch.PRESETS[st.session_state.preset][0]  # the input size defaults to the preset's
INPUT = params.Settings("layer_calculator_input", {
    key: params.Setting(default, label, "number_input", low=1, high=4096)
    for key, default, label in zip(("in_c", "in_h", "in_w"), _shape,
                                   ("Input channels", "Input height", "Input width"))
})
INPUT.restore()
# Table columns for the layers' options; options of one meaning share a column.
LABELS = {"out_ch": "filters / units", "n_out": "filters / units", "p": "rate", "alpha": "slope"}
COLUMNS = ["type"] + list(dict.fromkeys(LABELS.get(option, option) for kind in arch.LAYER_KINDS
                                        for option in nn.LAYER_TYPES[kind].options))


def specs_to_frame(specs):
    rows = []
    for s in specs:
        row = {column: None for column in COLUMNS} | {"type": s["type"]}
        for option, value in s.items():
            if option != "type":
                row[LABELS.get(option, option)] = str(value) if option == "padding" else value
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def frame_to_specs(frame):
    specs = []
    for _, r in frame.iterrows():
        kind = r["type"]
        if not isinstance(kind, str) or kind not in nn.LAYER_TYPES:
            continue
        spec = {"type": kind}
        for option in nn.LAYER_TYPES[kind].options:
            value = r[LABELS.get(option, option)]
            if (value.strip() != "") if isinstance(value, str) else not pd.isna(value):
                spec[option] = value
        specs.append(spec)
    return specs


def load_preset(keep_shape=False):
    shape, specs, _ = arch.PRESETS[st.session_state.preset]
    if not keep_shape:
        st.session_state.in_c, st.session_state.in_h, st.session_state.in_w = shape
    st.session_state.layers = specs_to_frame(specs)
    st.session_state.editor_version = st.session_state.get("editor_version", 0) + 1


PRESET.widget("preset", on_change=load_preset)
if "layers" not in st.session_state:
    load_preset(keep_shape=True)
st.caption(arch.PRESETS[st.session_state.preset][2])

channels, height, width = (INPUT.widget(key, column) for key, column in zip(("in_c", "in_h", "in_w"), st.columns(3)))

st.markdown("**Layers** (add a row at the bottom, delete rows with the checkbox on the left; "
            "padding is a number, 'same' or 'valid')")
edited = st.data_editor(
    st.session_state.layers, num_rows="dynamic", width="stretch", hide_index=False,
    key=f"editor_{st.session_state.editor_version}",
    column_config={
        "type": st.column_config.SelectboxColumn("type", options=arch.LAYER_KINDS, required=True),
        "filters / units": st.column_config.NumberColumn(min_value=1, max_value=100_000, step=1),
        "size": st.column_config.NumberColumn(min_value=1, max_value=512, step=1),
        "stride": st.column_config.NumberColumn(min_value=1, max_value=64, step=1),
        "padding": st.column_config.TextColumn(),
        "rate": st.column_config.NumberColumn(min_value=0.0, max_value=0.99, step=0.05),
        "slope": st.column_config.NumberColumn(min_value=0.0, max_value=1.0, step=0.01),
    },
)
move1, move2, move3 = st.columns([1, 1, 2])
row = move3.number_input("Row to move", 0, max(len(edited) - 1, 0), 0)
if move1.button("Move up") and 0 < row < len(edited):
    order = list(range(len(edited)))
    order[row - 1], order[row] = order[row], order[row - 1]
    st.session_state.layers = edited.iloc[order].reset_index(drop=True)
    st.session_state.editor_version += 1
    st.rerun()
if move2.button("Move down") and row < len(edited) - 1:
    order = list(range(len(edited)))
    order[row + 1], order[row] = order[row], order[row + 1]
    st.session_state.layers = edited.iloc[order].reset_index(drop=True)
    st.session_state.editor_version += 1
    st.rerun()

try:
    rows = arch.summarize(frame_to_specs(edited), (channels, height, width))
except ValueError as err:
    messages.error(err, "Change that layer or the input size.")
else:
    table = pd.DataFrame({
        "layer": [r.name for r in rows],
        "output shape": [" x ".join(map(str, r.output_shape)) for r in rows],
        "parameters": [r.params for r in rows],
        "how": [r.formula for r in rows],
    })
    st.dataframe(table, width="stretch", hide_index=True,
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    total = arch.total_params(rows)
    st.metric("Total parameters", f"{total:,}")
    size = total * 4
    st.caption(f"About {size / 2**20:,.1f} MB as 32-bit floats." if size >= 2**20 else
               f"About {size / 1024:,.1f} KB as 32-bit floats.")

PRESET.publish()
INPUT.publish()
