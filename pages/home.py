"""Home: what ConvLab teaches, lesson by lesson, with a link to each."""

import streamlit as st

from pages.ui.classroom import join_box
from pages.ui.lessons import available_lessons, run_inside_app

run_inside_app()
st.title("ConvLab")
st.markdown(
    "Learn how convolutional neural networks work by changing them and watching what happens. "
    "Start with one kernel sliding along a signal, end with a network you trained yourself "
    "reading the digits you draw. Every number on every page is computed live from your settings."
)
join_box()

section = None
for lesson in available_lessons():
    if lesson.url_path == "home":
        continue
    if lesson.section != section:
        section = lesson.section
        st.subheader(section)
    st.page_link(lesson.path, label=f"**{lesson.title}**: {lesson.teaches}", icon=lesson.icon)

st.caption(
    "Digits from MNIST (LeCun, Cortes and Burges, CC BY-SA 3.0). "
    "Open source under the MIT licence."
)
