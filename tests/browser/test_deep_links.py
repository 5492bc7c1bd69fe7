"""A lesson's own address, opened first on a fresh server (a link a teacher shares), shows the
lesson inside the app: its navigation, its layout and the settings in the link, also when a
whole class opens links at the same moment."""

import pytest

from browser_helpers import (assert_no_exception, free_port, open_page, screenshot, start_server,
                             stop_server, wait_until_idle)


@pytest.fixture
def fresh_server():
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def test_first_visit_by_a_lesson_link_gets_the_app_navigation(fresh_server, page):
    open_page(page, f"{fresh_server}/pooling?kind=average&size=3&stride=1")
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text() == "Pooling"
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    # the app's sections and lesson titles, not the pages/ folder's file names
    assert _app_navigation(nav), nav
    # the link's settings: average pooling, 3 x 3 windows moved by 1 (so they overlap)
    assert page.get_by_role("combobox", name="Pooling").input_value() == "average"
    page.get_by_text("The windows overlap").wait_for(timeout=60_000)
    # app.py's wide layout: the lesson uses most of the 1280-pixel window
    width = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
    assert width > 900, width
    screenshot(page, "deep_link_pooling")


def _app_navigation(nav):
    """Whether the sidebar holds the app's sections and lesson titles, not file names."""
    return all(t in nav for t in ("Inside a CNN", "Welcome", "Stride, padding, dilation")) \
        and "check yourself" not in nav and "stride padding" not in nav


def test_a_class_opening_lesson_links_at_once_all_get_the_app_navigation(fresh_server, browser):
    links = ["volumes?k=3", "conv1d", "stride_padding?n=9", "activations", "backprop", "receptive_field"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        # all sessions start before the first has finished loading the lessons' modules
        pages = [context.new_page() for _ in links]
        for page, link in zip(pages, links):
            page.goto(f"{fresh_server}/{link}", wait_until="commit")
        for page, link in zip(pages, links):
            page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)
            wait_until_idle(page)
            assert_no_exception(page)
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert _app_navigation(nav), f"{link}: {nav}"
    finally:
        context.close()
