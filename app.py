"""ConvLab: the entry point only routes to the lesson pages, in lesson order."""

import streamlit as st

from pages.server.session import class_session
from pages.ui.lessons import app_navigation, available_lessons

st.set_page_config(page_title="ConvLab", page_icon="🧮", layout="wide")

sections = {}
for lesson in available_lessons():
    page = st.Page(lesson.path, title=lesson.title, icon=lesson.icon,
                   default=(lesson.url_path == "home"))
    sections.setdefault(lesson.section, []).append(page)

with app_navigation():
    page = st.navigation(sections)
    class_session(page)  # a student's page activity and the teacher's banner
    page.run()
