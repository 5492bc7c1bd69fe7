"""The home page, run through app.py's navigation as a visitor sees it (pages/home.py)."""

from streamlit.testing.v1 import AppTest

from pages.ui.lessons import available_lessons


def test_home_lists_every_lesson_with_a_link():
    at = AppTest.from_file("../../app.py", default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "ConvLab"
    links = [el for el in at.main if getattr(el, "type", "") == "page_link"]
    lessons = [lesson for lesson in available_lessons() if lesson.url_path != "home"]
    assert len(links) == len(lessons) >= 4


def test_app_switches_to_a_lesson():
    at = AppTest.from_file("../../app.py", default_timeout=30).run()
    at.switch_page("pages/stride_padding.py").run()
    assert not at.exception
    assert at.title[0].value == "Stride, padding and dilation"
