"""Helpers for the browser tests: the real Streamlit server on a free localhost port, driven by Playwright
through Debian's Chromium (never a browser that Playwright would download).

    open_page(page, url)       load a URL and wait until Streamlit has finished running the script
    wait_until_idle(page)      wait until the script run after an interaction has finished
    assert_no_exception(page)  fail if the page shows a Python exception
    screenshot(page, name)     save tests/browser/screenshots/<name>.png
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, env=None, app="app.py"):
    """Start `streamlit run` on 127.0.0.1:port; returns the Popen once /_stcore/health answers."""
    cmd = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Streamlit server exited while starting")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the Streamlit server did not answer within 60 s")


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_until_idle(page, timeout=60_000):
    """Wait until the script run has finished and its elements are on the page.

    stApp carries the script state ('initial', 'running', 'notRunning', ...); skeletons and
    stale elements mean a run is still arriving.
    """
    idle = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const state = app && app.getAttribute('data-test-script-state');
        return state && !['initial', 'running', 'rerunRequested'].includes(state)
            && !document.querySelector('[data-testid="stSkeleton"]')
            && !document.querySelector('[data-stale="true"]');
    }"""
    page.wait_for_timeout(300)
    # twice, with a pause between: a run that ends in a rerun (a page that sends itself back
    # through app.py) looks idle for a moment before the next run starts
    for _ in range(2):
        page.wait_for_function(idle, timeout=timeout)
        page.wait_for_timeout(300)


def open_page(page, url, timeout=60_000):
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_selector("[data-testid='stMain']", timeout=timeout)
    wait_until_idle(page, timeout)
    wait_for_images(page, timeout)


def wait_for_images(page, timeout=30_000):
    """Wait until every <img> on the page has loaded (st.image arrives after the script run)."""
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
        timeout=timeout,
    )


def assert_no_exception(page):
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()


def screenshot(page, name):
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
