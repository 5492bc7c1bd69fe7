"""Your own classes in a real browser: draw examples of two classes on the canvas, train, and
read the prediction for a new drawing."""

import math

from browser_helpers import assert_no_exception, open_page, screenshot, wait_until_idle


def stroke(page, canvas, points):
    """Draw one stroke through points given in canvas pixels (0-280)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
    page.mouse.up()


def line(x, top, bottom):
    return [(x, top + (bottom - top) * i / 20) for i in range(21)]


def ring(cx, cy, r):
    return [(cx + r * math.cos(2 * math.pi * i / 36), cy + r * math.sin(2 * math.pi * i / 36)) for i in range(38)]


def canvas_in(page, key):
    canvas = page.locator(f".st-key-{key} canvas").last  # the top canvas takes the mouse
    canvas.wait_for(timeout=30_000)
    return canvas


def draw_example(page, points, tries=3):
    """Draw on the collecting canvas until the page shows the prepared drawing (a canvas just
    replaced by a fresh one can miss a stroke made while it is still starting)."""
    for _ in range(tries):
        stroke(page, canvas_in(page, "own_draw"), points)
        try:
            page.wait_for_selector("text=This drawing, prepared", timeout=10_000)
            wait_until_idle(page)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout: let the page settle, draw again
            wait_until_idle(page)
    screenshot(page, "own_classes_stroke_missed")
    raise AssertionError("the canvas never took the stroke")


def pick(page, group, option):
    page.locator("[data-testid='stRadio']").filter(has_text=group).get_by_text(option, exact=True).click()
    wait_until_idle(page)


def test_draw_two_classes_train_and_predict(app_server, page):
    open_page(page, f"{app_server}/own_classes?own_names=line,ring&own_epochs=40")
    shapes = {"line": [line(x, top, 280 - top) for x, top in ((140, 40), (100, 60), (180, 30), (120, 80), (160, 50))],
              "ring": [ring(cx, cy, r) for cx, cy, r in ((140, 140, 90), (120, 150, 60), (160, 130, 100),
                                                        (140, 140, 50), (130, 120, 75))]}
    for name, drawings in shapes.items():
        pick(page, "Add to the class", name)
        for points in drawings:
            draw_example(page, points)
            page.get_by_role("button", name=f"Add this drawing to {name}").click()
            wait_until_idle(page)
    assert_no_exception(page)
    page.wait_for_selector("text=Added a drawing to ring (5 now)", timeout=30_000)
    screenshot(page, "own_classes_collected")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=Held-out accuracy", timeout=120_000)
    wait_until_idle(page)
    assert_no_exception(page)
    stroke(page, canvas_in(page, "own_try"), ring(140, 140, 80))
    page.wait_for_selector("text=What the network sees", timeout=60_000)
    wait_until_idle(page)
    assert_no_exception(page)
    values = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert values[-1].strip() == "ring", f"a drawn ring was read as {values[-1]}"
    screenshot(page, "own_classes_prediction")
