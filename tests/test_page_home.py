from streamlit.testing.v1 import AppTest


def test_home_lists_the_lessons():
    at = AppTest.from_file("../pages/home.py", default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "ConvLab"
