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
