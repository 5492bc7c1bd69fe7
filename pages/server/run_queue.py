"""The server-wide admission of training jobs: at most CONVLAB_MAX_TRAINING_RUNS train at once,
the others wait first come, first served, and know their place."""

import threading

from pages.server.limits import current_limits


class RunQueue:
    """At most `capacity()` jobs hold a place at once; the rest wait in order."""

    def __init__(self, capacity=None):
        self._capacity = capacity
        self._cond = threading.Condition()
        self._running = set()
        self._waiting = []

    def capacity(self):
        return self._capacity or current_limits().max_training_runs

    def position(self, job):
        """0 while running, k for the k-th in line, None when neither."""
        with self._cond:
            if job in self._running:
                return 0
            return self._waiting.index(job) + 1 if job in self._waiting else None

    def acquire(self, job, cancelled):
        """Wait for a place; False if cancelled() became true while waiting."""
        with self._cond:
            self._waiting.append(job)
            try:
                while not (self._waiting[0] is job and len(self._running) < self.capacity()):
                    if cancelled():
                        return False
                    self._cond.wait(timeout=0.2)
                self._running.add(job)
                return True
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def release(self, job):
        with self._cond:
            self._running.discard(job)
            self._cond.notify_all()

    @property
    def running(self):
        with self._cond:
            return len(self._running)

    @property
    def waiting(self):
        with self._cond:
            return len(self._waiting)


SERVER_QUEUE = RunQueue()
