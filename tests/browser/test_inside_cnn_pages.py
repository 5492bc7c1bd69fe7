"""The 'Inside a CNN' lessons and the quiz in a real browser: drive a widget on each, check the page."""

import pytest

from browser_helpers import (assert_no_exception, enter_text, open_page, rerun, screenshot, wait_for_images,
                             wait_until_idle)

PAGES = ["activations", "pooling", "backprop", "receptive_field"]


def _nudge_first_slider(page, key="ArrowRight", times=1):
    thumb = page.locator("[data-testid='stSlider'] input[type='range']").first
    thumb.focus()
    with rerun(page):
        for _ in range(times):
            thumb.press(key)


@pytest.mark.parametrize("path", PAGES)
def test_lesson_reacts_to_a_setting_and_keeps_it_in_the_url(app_server, page, path):
    open_page(page, f"{app_server}/{path}")
    assert_no_exception(page)
    screenshot(page, f"inside_{path}_default")
    before = page.url
    if path == "backprop":   # its settings are number boxes and a radio
        page.get_by_text("backward: values and error signals").click()
    else:
        _nudge_first_slider(page, times=2)
    wait_until_idle(page)
    wait_for_images(page)
    assert_no_exception(page)
    assert page.url != before, "the changed setting should be mirrored in the URL"
    # the link restores the setting in a fresh load
    changed = page.url
    open_page(page, changed)
    assert_no_exception(page)
    assert page.url == changed
    screenshot(page, f"inside_{path}_changed")


def test_backprop_backward_pass_and_xor_training(app_server, page):
    open_page(page, f"{app_server}/backprop")
    page.get_by_text("backward: values and error signals").click()
    wait_until_idle(page)
    assert_no_exception(page)
    assert page.locator("[data-testid='stGraphVizChart']").count() >= 1
    # w = 2, b = -1, x = 1.5, t = 1: b_bar = (y - t) y (1 - y) = -0.0125155, w_bar = 1.5 b_bar
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    page.get_by_role("button", name="Train 50 steps").click()
    wait_until_idle(page)
    wait_for_images(page)
    assert_no_exception(page)
    assert page.get_by_text("50 steps; loss now", exact=False).count() == 1
    assert "phase=backward" in page.url
    screenshot(page, "backprop_backward_xor_50")


def test_check_yourself_gives_feedback_and_keeps_score(app_server, page):
    open_page(page, f"{app_server}/check_yourself")
    assert_no_exception(page)
    score = page.locator("[data-testid='stMetricValue']").first
    assert score.inner_text() == "0 of 0"
    box = page.get_by_role("textbox", name="Your answer")
    enter_text(page, box, "-1")   # no output size is negative
    page.get_by_role("button", name="Check").click()
    wait_until_idle(page)
    assert_no_exception(page)
    assert "Not quite: the answer is" in page.locator("[data-testid='stAlert']").first.inner_text()
    assert score.inner_text() == "0 of 1"
    screenshot(page, "check_yourself_wrong_answer")
    before = page.url
    page.get_by_role("button", name="Next question").click()
    wait_until_idle(page)
    assert_no_exception(page)
    assert page.url != before and score.inner_text() == "0 of 1"
