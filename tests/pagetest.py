"""A page script run by Streamlit's AppTest with some settings already in the session."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parent.parent / "pages"


def run_page(name, timeout=30, **settings):
    """Run pages/<name> once with these session settings; returns the AppTest to inspect."""
    at = AppTest.from_file(str(PAGES / name), default_timeout=timeout)
    for key, value in settings.items():
        at.session_state[key] = value
    return at.run()
