"""ConvLab: the entry point only routes to the lesson pages, in lesson order."""

import streamlit as st

import engine
from pages.server.leaving import note_session
from pages.server.session import class_session
from pages.server.threads import PAGES_FIRST, limit_malloc_arenas
from pages.ui.lessons import app_navigation, available_lessons, open_entry_lesson

engine.configure()  # one BLAS thread beside Numba's, kept memory, the widest vectors
limit_malloc_arenas()  # sessions' threads share two malloc arenas: memory stays level all day
st.set_page_config(page_title="ConvLab", page_icon="🧮", layout="wide")

sections, by_path = {}, {}
for lesson in available_lessons():
    page = st.Page(lesson.path, title=lesson.title, icon=lesson.icon,
                   default=(lesson.url_path == "home"))
    sections.setdefault(lesson.section, []).append(page)
    by_path[lesson.url_path] = page

note_session()  # when this tab closes, what it holds is freed (pages/server/leaving.py)
with app_navigation():
    current = st.navigation(sections)
    open_entry_lesson(by_path)
    class_session(current)  # a student's page activity and the teacher's banner
    with PAGES_FIRST.page_running():  # training steps wait for it (pages/server/threads.py)
        current.run()
