"""How training threads share the server's cores with the pages and with each other."""

import ctypes
import functools
import os
import sys
import threading
import time
from contextlib import contextmanager

import numba

from engine import nn
from pages.server.limits import current_limits


def lower_priority():
    """Lower the calling thread's CPU priority (Linux: niceness is per thread) by
    CONVLAB_TRAINING_NICE (default 0: off). The OpenMP threads that the engine's parallel kernels
    start from this thread inherit it. Returns the niceness set, or None where it is off or the
    system does not allow it.

    Off by default because a niced training thread that holds Python's interpreter lock, between
    two kernels, waits for a core behind every other program on the machine, and every page
    waits for it: beside two busy processes a 60-student class's slider changes took 5.9 s at
    the 95th percentile with niceness 10 and 2.4 s without. Pages come first by PagesFirst
    instead, which needs no priorities.
    """
    raw = os.environ.get("CONVLAB_TRAINING_NICE", "0")
    try:
        nice = min(max(int(raw), 0), 19)
    except ValueError:
        nice = 0
    if nice == 0 or not hasattr(os, "setpriority"):
        return None
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except OSError:
        return None


def limit_malloc_arenas():
    """Let the server's threads share CONVLAB_MALLOC_ARENAS of glibc's malloc arenas (default 2).

    Every session's script and every training run runs in a thread of its own, and glibc gives
    threads up to 8 arenas per core, each keeping its own freed memory (engine.configure() asks
    it to keep up to 256 MB for the next training step). With sessions coming and going all day,
    new threads keep landing in arenas that hold scattered free pieces: over 60 sessions that
    trained and left, the server's resident memory crept up by 40 MB while its Python objects
    stayed the same; with two arenas it stayed within 10 MB. Call it once, early (app.py);
    0 leaves glibc's default.
    Returns the limit set, or None where it cannot be (another C library, or 0).
    """
    raw = os.environ.get("CONVLAB_MALLOC_ARENAS", "2")
    try:
        arenas = max(int(raw), 0)
    except ValueError:
        arenas = 2
    if arenas == 0 or not sys.platform.startswith("linux"):
        return None
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return None
    M_ARENA_MAX = -8
    return arenas if mallopt(M_ARENA_MAX, arenas) == 1 else None


_steps_running = 0
_steps_lock = threading.Lock()


@contextmanager
def fair_share_of_threads():
    """Run the body on one thread while another training step runs in this process.

    On a shared server every session trains in its own thread. Two steps that each spread
    over both cores only take turns, and each pays for waking and syncing the other core:
    with four sessions training, a step that starts while another runs is quicker on one
    thread (Numba's thread count is set per calling thread). A step alone may use them all:
    nn.train_step then runs on one thread or on all, whichever has been faster lately, since
    other programs on the machine hold cores too (engine.runtime.FastestThreads). Either way the
    kernels split the work into the same parts, so the weights come out the same.
    """
    global _steps_running
    with _steps_lock:
        _steps_running += 1
        crowded = _steps_running > 1
    threads = numba.get_num_threads()
    if crowded:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        if crowded:
            numba.set_num_threads(threads)
        with _steps_lock:
            _steps_running -= 1


class PagesFirst:
    """Training steps wait while pages run, for at most `patience` times their own last step.

    A page's rerun holds Python's interpreter lock for most of its time, and so does a training
    step between its kernels: with six sessions training, a rerun waits for each of them at every
    turn. Here a step does not start while a page (or a live view's fragment) runs; it waits
    until none runs, or for `patience` (CONVLAB_PAGES_FIRST, default 2) times as long as its
    previous step took, so that training keeps at least 1 / (1 + patience) of its time however
    busy the pages are. In a class of 60 with 6 training and the board open
    (tests/loadtest/class_results.md), slider changes took 0.63 s at the 95th percentile with
    training niced and not waiting, and 0.41 s with it waiting; beside two busy processes 5.9 s
    and 0.89 s. The training runs finished sooner, not later: their steps run while the pages
    wait for the learners.
    """

    def __init__(self, patience=None):
        self.patience = patience
        self._running = 0
        self._idle = threading.Condition()

    @contextmanager
    def page_running(self):
        """The body is a page's run: training steps wait for it (app.py, fragments)."""
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                if self._running == 0:
                    self._idle.notify_all()

    @property
    def pages_running(self):
        return self._running

    def wait_for_pages(self, last_step_seconds):
        """Block until no page runs, or for patience x last_step_seconds. Returns seconds waited."""
        if not self._running:
            return 0.0
        patience = self.patience if self.patience is not None else current_limits().pages_first
        if patience <= 0:
            return 0.0
        start = time.perf_counter()
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=patience * last_step_seconds)
        return time.perf_counter() - start


def page_run(function):
    """function (a fragment's body) as a page's run, which training steps wait for."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        with PAGES_FIRST.page_running():
            return function(*args, **kwargs)
    return run


PAGES_FIRST = PagesFirst()
_last_step = threading.local()  # each training thread's previous step time


def shared_train_step(model, optimizer, x, y):
    """nn.train_step, after the pages that run now (PagesFirst), and on one thread while another
    session's step runs (fair_share_of_threads)."""
    PAGES_FIRST.wait_for_pages(getattr(_last_step, "seconds", 0.01))
    start = time.perf_counter()
    with fair_share_of_threads():
        result = nn.train_step(model, optimizer, x, y)
    _last_step.seconds = time.perf_counter() - start
    return result
