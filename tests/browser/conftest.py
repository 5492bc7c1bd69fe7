"""Fixtures for the browser tests (helpers live in browser_helpers.py).

    app_server   base URL of a running `streamlit run app.py` (one per test session)
    browser      headless Debian Chromium driven by Playwright
    page         a fresh Playwright page (1280x1600)
"""

from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, stop_server, watch_runs


@pytest.fixture(scope="session")
def app_server():
    # Kernels compiled here, before the server starts, as the container image does at build time:
    # with a cold cache (a fresh checkout, an edited kernel) the image filter's kernel alone takes
    # minutes to compile on a busy machine, which a page's first run must not wait for.
    from pages.server.warm_up import warm_up

    warm_up()
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    pg = context.new_page()
    watch_runs(pg)  # wait_until_idle counts the page's script runs
    yield pg
    context.close()
