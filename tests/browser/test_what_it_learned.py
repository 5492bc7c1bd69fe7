"""The "What the network learned" page in a real browser: each view reacts to its slider, and a
digit drawn on the canvas is read, explained and placed in the feature space."""

import pytest

from browser_helpers import assert_no_exception, open_page, rerun, screenshot, wait_for_images, wait_until_idle


@pytest.mark.parametrize("view", ["filters", "occlusion", "features"])
def test_each_view_reacts_to_its_slider(app_server, page, view):
    open_page(page, f"{app_server}/what_it_learned?view={view}")
    assert_no_exception(page)
    screenshot(page, f"what_it_learned_{view}")
    before = page.url
    thumb = page.locator("[data-testid='stSlider'] input[type='range']").first
    thumb.focus()
    with rerun(page):
        thumb.press("ArrowLeft" if view == "features" else "ArrowRight")
    wait_for_images(page)
    assert_no_exception(page)
    assert page.url != before, "the changed setting should be mirrored in the URL"


def draw_a_one(page):
    canvas = page.locator("canvas").last  # inside the component's shadow root; CSS locators pierce it
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + 40
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 16):  # a vertical stroke
        page.mouse.move(x0, y0 + step * 10, steps=2)
    page.mouse.up()


def test_a_drawn_digit_is_explained_and_placed_in_the_feature_space(app_server, page):
    open_page(page, f"{app_server}/what_it_learned?view=occlusion&source=draw")
    draw_a_one(page)
    page.wait_for_selector("text=The network reads your digit as", timeout=60_000)
    wait_until_idle(page)
    wait_for_images(page)
    assert_no_exception(page)
    reading = page.get_by_text("The network reads your digit as").inner_text()
    assert "as 1 (" in reading, reading
    screenshot(page, "what_it_learned_drawn_occlusion")
    page.get_by_text("Feature space").click()
    wait_until_idle(page)
    draw_a_one(page)  # the canvas of a view not shown starts empty
    page.wait_for_selector("text=The black diamond is your digit", timeout=60_000)
    wait_until_idle(page)
    assert_no_exception(page)
    screenshot(page, "what_it_learned_drawn_features")
