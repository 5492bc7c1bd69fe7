"""Training steps wait while pages run (pages/server/threads.py: PagesFirst)."""

import threading
import time

import numpy as np
import pytest

from pages.server import threads
from pages.server.threads import PagesFirst, page_run


def hold_a_page(gate, seconds):
    """A page run of `seconds` in another thread; returns the thread once the run has begun."""
    begun = threading.Event()

    def page():
        with gate.page_running():
            begun.set()
            time.sleep(seconds)

    t = threading.Thread(target=page)
    t.start()
    begun.wait(5)
    return t


def test_no_page_running_means_no_wait():
    gate = PagesFirst(patience=100)
    assert gate.wait_for_pages(1.0) == 0.0


def test_a_step_waits_until_the_page_has_run():
    gate = PagesFirst(patience=100)
    page = hold_a_page(gate, 0.3)
    waited = gate.wait_for_pages(1.0)   # up to 100 s allowed: the page's end lets it go
    page.join()
    assert 0.2 <= waited < 5
    assert gate.pages_running == 0


def test_a_step_waits_at_most_patience_times_its_last_step():
    gate = PagesFirst(patience=2)
    page = hold_a_page(gate, 3.0)
    waited = gate.wait_for_pages(0.1)   # at most 2 x 0.1 s although the page runs on
    assert gate.pages_running == 1
    page.join()
    assert 0.15 <= waited < 1.5


def test_patience_zero_turns_it_off(monkeypatch):
    monkeypatch.setenv("CONVLAB_PAGES_FIRST", "0")
    gate = PagesFirst()
    page = hold_a_page(gate, 0.5)
    assert gate.wait_for_pages(10.0) == 0.0
    page.join()


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "soon"])
def test_a_patience_that_is_not_a_number_is_the_default(monkeypatch, raw):
    monkeypatch.setenv("CONVLAB_PAGES_FIRST", raw)
    gate = PagesFirst()
    page = hold_a_page(gate, 2.0)
    waited = gate.wait_for_pages(0.1)   # the default, 2 x 0.1 s
    page.join()
    assert 0.15 <= waited < 1.5


def test_a_fragment_counts_as_a_page_run_and_an_error_ends_it(monkeypatch):
    gate = PagesFirst()
    monkeypatch.setattr(threads, "PAGES_FIRST", gate)
    seen = []

    @page_run
    def fragment(x):
        seen.append(gate.pages_running)
        if x is None:
            raise RuntimeError("a bug in the view")
        return 2 * x

    assert fragment(21) == 42 and fragment.__name__ == "fragment"
    with pytest.raises(RuntimeError):
        fragment(None)
    assert seen == [1, 1] and gate.pages_running == 0


def test_the_server_training_step_starts_after_the_page(monkeypatch):
    gate = PagesFirst(patience=1000)
    monkeypatch.setattr(threads, "PAGES_FIRST", gate)
    started = []
    monkeypatch.setattr(threads.nn, "train_step", lambda *args: started.append(time.perf_counter()) or 0.5)
    threads._last_step.seconds = 1.0
    page_end = []

    def page():
        with gate.page_running():
            time.sleep(0.3)
            page_end.append(time.perf_counter())

    t = threading.Thread(target=page)
    t.start()
    while gate.pages_running == 0:
        time.sleep(0.001)
    x = np.zeros((1, 1, 28, 28), np.float32)
    assert threads.shared_train_step(None, None, x, np.zeros(1, np.int64)) == 0.5
    t.join()
    assert started[0] >= page_end[0]
