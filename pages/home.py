"""Home: what ConvLab teaches and where to start."""

import streamlit as st

st.title("ConvLab")
st.write(
    "Learn convolutional neural networks by touching them: change a kernel, a stride or a "
    "padding and see the numbers move; then train a small network on handwritten digits."
)
