"""ConvLab: the entry point only routes to the lesson pages, in lesson order."""

import streamlit as st

import engine
from pages.ui.lessons import app_navigation, available_lessons

engine.configure()  # one BLAS thread beside Numba's, kept memory, the widest vectors
st.set_page_config(page_title="ConvLab", page_icon="🧮", layout="wide")

sections = {}
for lesson in available_lessons():
    page = st.Page(lesson.path, title=lesson.title, icon=lesson.icon,
                   default=(lesson.url_path == "home"))
    sections.setdefault(lesson.section, []).append(page)

with app_navigation():
    st.navigation(sections).run()
