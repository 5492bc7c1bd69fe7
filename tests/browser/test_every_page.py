"""Every lesson page loads in a real browser, renders without an exception, and is photographed."""

import pytest

from browser_helpers import assert_no_exception, open_page, screenshot
from pages.ui.lessons import available_lessons


@pytest.mark.parametrize("lesson", available_lessons(), ids=lambda lesson: lesson.url_path)
def test_page_renders_without_exception(app_server, page, lesson):
    url = app_server if lesson.url_path == "home" else f"{app_server}/{lesson.url_path}"
    open_page(page, url)
    assert_no_exception(page)
    assert page.locator("h1").count() >= 1, "every lesson page has a title"
    screenshot(page, f"page_{lesson.url_path}")
