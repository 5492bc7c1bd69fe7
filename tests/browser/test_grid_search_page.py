"""The grid-search page in a real browser: a coarse 3x3 grid finishes live, then refine around the best."""

import time

from browser_helpers import assert_no_exception, open_page, screenshot, wait_until_idle


def test_a_coarse_grid_finishes_and_refines(app_server, page):
    open_page(page, f"{app_server}/grid_search")
    start = time.perf_counter()
    page.get_by_role("button", name="Start the grid search").click()
    page.wait_for_selector("text=Finished 9 cells", timeout=120_000)
    print(f"\n3x3 grid on 2,000 images, as seen in the browser: {time.perf_counter() - start:.1f} s")
    wait_until_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("Best so far").count() == 1
    screenshot(page, "grid_search_finished")
    page.get_by_role("button", name="Refine around the best").click()
    wait_until_idle(page)
    lrs = page.get_by_role("textbox", name="Learning rates").input_value()
    assert lrs != "0.0001, 0.001, 0.01" and len(lrs.split(",")) == 3
    assert "lrs=" in page.url and "0.0001" not in page.url.split("lrs=")[1].split("&")[0]
