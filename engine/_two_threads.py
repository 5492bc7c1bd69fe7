"""Run two independent pieces of NumPy work at once, one of them on a helper thread.

BLAS is held to one thread (see _runtime.py), so the big matrix products of a dense layer
would leave the second core idle. The backward pass's two products (the weight gradient and
the input gradient) and the two halves of a big batch's forward product are independent, so
one can run on the helper while the caller runs the other: a training step of the digit
network at batch 256 spent 2.2 ms in its dense layers on one thread and 1.8 ms on two.

There is one helper for the whole process. When another thread is already using it, the
work simply runs in turn on the caller's thread: nobody waits for somebody else's matrices.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-helper")
_free = threading.Lock()


def _niceness():
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except (AttributeError, OSError):
        return None


def _run_as_nice_as(nice, f):
    """f() on the helper, first lowering the helper's priority to the caller's (a training
    thread runs at a lower priority so that pages come first; its helper work should too)."""
    if nice is not None:
        own = _niceness()
        if own is not None and own < nice:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
            except OSError:
                pass
    return f()


def both(f, g):
    """(f(), g()): f on the helper thread while g runs here, or both here if it is busy."""
    if not _free.acquire(blocking=False):
        return f(), g()
    try:
        future = _helper.submit(_run_as_nice_as, _niceness(), f)
        second = g()
        return future.result(), second
    finally:
        _free.release()
