"""How training threads share the server's cores with the pages and with each other."""

import ctypes
import os
import sys
import threading
from contextlib import contextmanager

import numba

from engine import nn


def lower_priority():
    """Lower the calling thread's CPU priority (Linux: niceness is per thread), so that pages
    being opened and widgets being moved come first; training takes the CPU time they leave.

    The niceness is CONVLAB_TRAINING_NICE (default 10; 0 turns it off). The OpenMP threads that
    the engine's parallel kernels start from this thread inherit it. Returns the niceness set,
    or None where the system does not allow it.
    """
    raw = os.environ.get("CONVLAB_TRAINING_NICE", "10")
    try:
        nice = min(max(int(raw), 0), 19)
    except ValueError:
        nice = 10
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


def shared_train_step(model, optimizer, x, y):
    """nn.train_step, on one thread while another session's step runs (fair_share_of_threads)."""
    with fair_share_of_threads():
        return nn.train_step(model, optimizer, x, y)
