"""Numbers the lesson pages derive from their settings, computed once per server and kept.

The cached functions live in a module rather than in the page scripts: a function decorated
inside a page script is decorated anew on every rerun, and Streamlit then reads and hashes its
source again. Each takes only small, hashable settings.
"""

import streamlit as st

from engine.lessons import activation_lab


@st.cache_data(show_spinner=False, max_entries=256)
def gradient_norms(name, depth):
    """activation_lab.gradient_norms: (depth,), first layer first. Building and running a stack of
    up to 30 dense layers twice took 50-100 ms of every rerun of the activations page."""
    return activation_lab.gradient_norms(name, depth)
