"""The training page in a real browser: start a run, watch it finish, see the results."""

from browser_helpers import assert_no_exception, open_page, screenshot, wait_until_idle


def test_train_page_runs_to_the_end(app_server, page):
    open_page(page, f"{app_server}/train?train_size=5000")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=step", timeout=60_000)
    screenshot(page, "train_running")
    page.wait_for_selector("text=Test accuracy", timeout=120_000)
    wait_until_idle(page)
    assert_no_exception(page)
    screenshot(page, "train_finished")


def test_drawing_a_digit_gives_a_prediction(app_server, page):
    open_page(page, f"{app_server}/draw")
    canvas = page.locator("canvas").last  # inside the component's shadow root; CSS locators pierce it
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    x0, y0 = box["x"] + 140, box["y"] + 40
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 21):  # a vertical stroke: a one
        page.mouse.move(x0, y0 + step * 10, steps=2)
    page.mouse.up()
    page.wait_for_selector("text=What the network sees", timeout=60_000)
    wait_until_idle(page)
    assert_no_exception(page)
    prediction = page.locator("[data-testid='stMetricValue']").first.inner_text()
    assert prediction.strip() == "1", f"a vertical stroke was read as {prediction}"
    screenshot(page, "draw_prediction")
