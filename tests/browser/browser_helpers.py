"""Helpers for the browser tests: the real Streamlit server on a free localhost port, driven by Playwright
through Debian's Chromium (never a browser that Playwright would download).

    open_page(page, url)       load a URL and wait until Streamlit has finished running the script
    wait_until_idle(page)      wait until the script run after an interaction has finished
    with rerun(page): ...      change a widget and wait for the rerun it asks for (sliders)
    enter_text(page, box, t)   type into a text box, press Enter, wait for that rerun
    assert_no_exception(page)  fail if the page shows a Python exception
    screenshot(page, name)     save tests/browser/screenshots/<name>.png
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
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
    return wait_until_healthy(proc, port, 60)


def wait_until_healthy(proc, port, seconds, why_it_exited=lambda: ""):
    """proc once the server on port answers /_stcore/health; RuntimeError (with why_it_exited(),
    e.g. the tail of its log) if it exits first, or after killing it if it does not answer in time."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Streamlit server exited while starting{why_it_exited()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the Streamlit server did not answer within {seconds} s")


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# Installed before the app's own scripts (open_page, the page fixture): counts the reruns the page
# asks the server for (BackMsg.rerun_script, field 11: first byte 0x5A) and the script runs the
# server starts (ForwardMsg.new_session, field 4) and finishes (ForwardMsg.script_finished, field 6:
# 0 finished, 1 compile error, 2 stopped early for a rerun, 3 fragment finished). A run that ends in
# st.switch_page stops early and the next one starts at once: the page counts as running until a
# run really finishes. It also notes the time of the latest click or key press and of the latest
# request: the frontend sends a button's or a text box's rerun a few milliseconds after the event
# (3-50 ms measured), so a wait that starts at once would otherwise find the page idle before
# the request has gone.
WATCH_RUNS = """(() => {
    if (window.__convlab) return;
    const runs = window.__convlab = {requested: 0, running: false, startedFor: 0, finishedFor: -1,
                                     inputAt: -1, requestedAt: -1};
    const input = () => { runs.inputAt = performance.now(); };
    window.addEventListener('pointerdown', input, true);
    window.addEventListener('keydown', input, true);
    const varint = (b, i) => {
        let v = 0, s = 0, x;
        do { x = b[i++]; v += (x & 127) * 2 ** s; s += 7; } while (x & 128);
        return [v, i];
    };
    const fields = (b) => {  // the top-level protobuf fields of a message: [[number, varint value or null], ...]
        const out = []; let i = 0;
        while (i < b.length) {
            let tag, v; [tag, i] = varint(b, i);
            const kind = tag & 7;
            if (kind === 0) { [v, i] = varint(b, i); out.push([Math.floor(tag / 8), v]); }
            else if (kind === 2) { [v, i] = varint(b, i); i += v; out.push([Math.floor(tag / 8), null]); }
            else if (kind === 1) { i += 8; } else if (kind === 5) { i += 4; } else break;
        }
        return out;
    };
    const received = (event) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        for (const [field, value] of fields(new Uint8Array(event.data))) {
            if (field === 4) { runs.running = true; runs.startedFor = runs.requested; }
            if (field === 6 && value !== 2) { runs.running = false; runs.finishedFor = runs.startedFor; }
        }
    };
    const Native = window.WebSocket;
    class Watched extends Native {
        constructor(...args) { super(...args); this.addEventListener('message', received); }
        send(data) {
            const b = data instanceof ArrayBuffer ? new Uint8Array(data)
                : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
            if (b && b[0] === 0x5A) { runs.requested += 1; runs.requestedAt = performance.now(); }
            return super.send(data);
        }
    }
    window.WebSocket = Watched;
})();"""

# The page has finished what it was asked for: the last rerun it requested has run to the end
# (none stopped early for another), no click or key press of the last half second is still
# waiting for its request, the app says it is not running, and no element is a skeleton or
# stale. Without the watcher (a page opened some other way) only the last part counts.
IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    const shown = state && !['initial', 'running', 'rerunRequested'].includes(state)
        && !document.querySelector('[data-testid="stSkeleton"]')
        && !document.querySelector('[data-stale="true"]');
    const runs = window.__convlab;
    const unsent = runs && runs.inputAt > runs.requestedAt && performance.now() - runs.inputAt < 500;
    return Boolean(shown && !unsent
                   && (!runs || (runs.requested > 0 && !runs.running && runs.finishedFor >= runs.requested)));
}"""


def watch_runs(page):
    """Count this page's reruns from its next navigation on (see WATCH_RUNS); once per page."""
    if not getattr(page, "_convlab_watched", False):
        page.add_init_script(WATCH_RUNS)
        page._convlab_watched = True


def reruns_requested(page):
    return page.evaluate("() => window.__convlab ? window.__convlab.requested : 0")


def wait_until_idle(page, timeout=60_000):
    """Wait until the script run after an interaction has finished and its elements are on the page.

    A button, a radio or Enter in a text box asks for its rerun a few milliseconds after
    Playwright's click or press returns: the wait counts a click or key press of the last half
    second without a request as not yet idle. A slider waits longer before it sends: move it
    inside `with rerun(page):` (or enter_text), which first waits for the request.
    """
    page.wait_for_function(IDLE, timeout=timeout)


@contextmanager
def rerun(page, timeout=60_000):
    """Around a widget change: afterwards, wait for the rerun it asks for and for that run's end."""
    before = reruns_requested(page)
    yield
    page.wait_for_function(f"() => !window.__convlab || window.__convlab.requested > {before}", timeout=timeout)
    wait_until_idle(page, timeout)


def enter_text(page, box, text, timeout=60_000):
    """Type `text` into a text box, press Enter, and wait for the rerun that asks for."""
    with rerun(page, timeout):
        box.fill(text)
        box.press("Enter")


def open_page(page, url, timeout=60_000):
    watch_runs(page)
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
