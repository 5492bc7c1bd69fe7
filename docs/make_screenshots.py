"""Remake the screenshots in docs/ from the real app, in Debian's headless Chromium.

    .venv/bin/python docs/make_screenshots.py          # about a minute; needs /usr/bin/chromium

Starts `streamlit run app.py` on a free localhost port (as the browser tests do), opens each
page below with the settings in its link, acts on it where a screenshot needs it (a training
run to its end, a digit drawn), and writes docs/screenshot_<name>.png at 1280 pixels wide.
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "tests" / "browser"))

from browser_helpers import (CHROMIUM, CHROMIUM_ARGS, assert_no_exception, free_port,  # noqa: E402
                             open_page, start_server, stop_server, wait_for_images, wait_until_idle)


def stride_padding(page, base):
    open_page(page, f"{base}/stride_padding?n=7&f=3&stride=3")


def train(page, base):
    open_page(page, f"{base}/train?train_size=5000&epochs=2")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Test accuracy", timeout=180_000)
    wait_until_idle(page)
    page.get_by_text("Settings", exact=True).click()  # fold the settings: the curves come into view
    wait_until_idle(page)


def draw(page, base):
    open_page(page, f"{base}/draw")
    canvas = page.locator("canvas").last
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    x0, y0 = box["x"] + 110, box["y"] + 60
    page.mouse.move(x0, y0)
    page.mouse.down()
    for dx, dy in [(60, 0), (60, 0), (-20, 45), (-20, 45), (-20, 45), (-20, 45)]:  # a seven
        x0, y0 = x0 + dx, y0 + dy
        page.mouse.move(x0, y0, steps=6)
    page.mouse.up()
    page.wait_for_selector("text=What the network sees", timeout=60_000)
    wait_until_idle(page)


def what_it_learned(page, base):
    open_page(page, f"{base}/what_it_learned?view=filters&layer=4&filter=3")


SHOTS = {"stride_padding": stride_padding, "train": train, "what_it_learned": what_it_learned, "draw": draw}


def main(names=None):
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in names or SHOTS:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                SHOTS[name](page, base)
                wait_for_images(page)
                assert_no_exception(page)
                out = DOCS / f"screenshot_{name}.png"
                page.screenshot(path=str(out), full_page=False)
                print("wrote", out.relative_to(DOCS.parent))
                page.context.close()
            browser.close()
    finally:
        stop_server(server)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
