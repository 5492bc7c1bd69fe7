"""Page tests: a page script run by Streamlit's AppTest with some settings already in the session, and
look-ups of what it shows by label or text rather than by position."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parent.parent / "pages"


def run_page(name, timeout=30, **settings):
    """Run pages/<name> once with these session settings; returns the AppTest to inspect."""
    at = AppTest.from_file(str(PAGES / name), default_timeout=timeout)
    for key, value in settings.items():
        at.session_state[key] = value
    return at.run()


def metric(at, label):
    """The value of the metric with this label."""
    return next(m.value for m in at.metric if m.label == label)


def markdown_with(at, text):
    """The first Markdown element whose text contains `text` (a caption inside a drawn grid, say)."""
    return next(m.value for m in at.markdown if text in m.value)


def button(at, label):
    """The button with this label."""
    return next(b for b in at.button if b.label == label)


def widget(elements, label):
    """The widget among `elements` (at.radio, at.text_input, ...) with this label."""
    return next(w for w in elements if w.label == label)
