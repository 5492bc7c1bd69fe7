"""ConvLab: the entry point only routes to the lesson pages, in lesson order."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="ConvLab", page_icon="🧮", layout="wide")

HERE = Path(__file__).parent

# (section, file, title, icon), in the order a course meets them.
LESSONS = [
    ("Start", "pages/home.py", "Welcome", "🏠"),
    ("Convolution", "pages/conv1d.py", "1D convolution", "〰️"),
    ("Convolution", "pages/filter2d.py", "2D convolution: image filters", "🖼️"),
    ("Convolution", "pages/stride_padding.py", "Stride, padding, dilation", "📐"),
    ("Convolution", "pages/volumes.py", "Volumes and many filters", "🧊"),
    ("Convolution", "pages/layer_calculator.py", "Layer calculator", "🧮"),
    ("Inside a CNN", "pages/activations.py", "Activations", "📈"),
    ("Inside a CNN", "pages/pooling.py", "Pooling", "🔽"),
    ("Inside a CNN", "pages/backprop.py", "Backpropagation", "🔁"),
    ("Inside a CNN", "pages/receptive_field.py", "Receptive fields", "🎯"),
    ("Train", "pages/train.py", "Train on digits", "🏋️"),
    ("Train", "pages/draw.py", "Draw a digit", "✏️"),
    ("Train", "pages/compare.py", "Compare runs", "⚖️"),
    ("Practice", "pages/check_yourself.py", "Check yourself", "✅"),
]

sections = {}
for section, path, title, icon in LESSONS:
    if (HERE / path).exists():
        sections.setdefault(section, []).append(
            st.Page(path, title=title, icon=icon, default=(path == "pages/home.py"))
        )

st.navigation(sections).run()
