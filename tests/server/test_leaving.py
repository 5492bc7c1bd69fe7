"""Sessions that leave free what they held (pages/server/leaving.py): the watcher's decisions,
with Streamlit's side played by a dict of connected sessions and a list of closed ones.

The same on a real server, with 20 websocket sessions: tests/server/test_sessions_leave_server.py.
"""

import time

import numpy as np

from engine.nn.recipe import TrainingConfig
from pages.server import leaving
from pages.server.jobs import TrainingRun
from pages.server.leaving import Departures
from pages.server.run_queue import RunQueue

rng = np.random.default_rng(3)
X = rng.random((256, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 10, 256)
DATA = (X, Y, X[:64], Y[:64])
LONG = TrainingConfig(train_size=256, batch_size=16, epochs=100)
SHORT = TrainingConfig(train_size=256, batch_size=32)


class FakeStreamlit:
    """Which sessions are connected, and which the watcher asked to close."""

    def __init__(self, *connected):
        self.connected = set(connected)
        self.closed = []

    def departures(self, queue, grace=5):
        return Departures(queue, is_connected=self.connected.__contains__, close=self.closed.append,
                          grace=grace, every=3600)  # the tests sweep by hand


def started(departures, session, config, queue):
    run = TrainingRun(config, data=DATA, queue=queue).start()
    departures.own(run, session)
    return run


def wait_until(done, timeout=30):
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)


def test_a_session_gone_for_the_grace_period_is_let_go_with_its_running_and_queued_runs():
    st = FakeStreamlit("a", "b")
    queue = RunQueue(1)
    d = st.departures(queue)
    d.note("a")
    d.note("b")
    a_running = started(d, "a", LONG, queue)
    wait_until(lambda: a_running.snapshot().state == "running")
    a_queued = started(d, "a", LONG, queue)
    b_queued = started(d, "b", SHORT, queue)
    wait_until(lambda: queue.waiting == 2)
    assert d.status()["sessions"] == 2 and d.status()["jobs"] == 3

    st.connected.discard("a")  # a's tab closed
    assert d.sweep(now=100.0) == [] and d.status()["sessions_leaving"] == 1  # within the grace: kept
    assert a_running.alive and queue.position(a_queued) == 1
    assert d.sweep(now=104.9) == []
    assert d.sweep(now=105.0) == ["a"] and st.closed == ["a"]

    a_running.join(30)
    a_queued.join(30)
    assert a_running.snapshot().state == a_queued.snapshot().state == "stopped"
    assert "left" in a_queued.snapshot().message
    b_queued.join(60)  # the places a's runs held went to b
    assert b_queued.snapshot().state == "finished"
    assert queue.running == queue.waiting == 0
    status = d.status()
    assert status["sessions"] == 1 and status["jobs"] == 0
    assert status["sessions_released"] == 1 and status["jobs_stopped"] == 2


def test_a_tab_that_reconnects_within_the_grace_keeps_its_run():
    st = FakeStreamlit("a")
    queue = RunQueue(1)
    d = st.departures(queue)
    run = started(d, "a", LONG, queue)
    st.connected.discard("a")
    d.sweep(now=0.0)
    st.connected.add("a")  # a network blip: the browser came back
    d.sweep(now=3.0)
    st.connected.discard("a")
    d.sweep(now=6.0)  # gone again: the grace starts over
    assert d.sweep(now=10.0) == [] and run.alive and st.closed == []
    assert d.sweep(now=11.0) == ["a"]
    run.join(30)
    assert run.snapshot().state == "stopped" and queue.running == 0


def test_a_session_without_runs_is_closed_too_and_finished_runs_are_not_held():
    st = FakeStreamlit("a")
    queue = RunQueue(1)
    d = st.departures(queue)
    run = started(d, "a", SHORT, queue)
    run.join(60)
    d.sweep(now=0.0)
    assert d.status()["jobs"] == 0 and d._sessions["a"].jobs == []  # nothing kept for a run that ended
    st.connected.clear()
    d.sweep(now=1.0)
    d.sweep(now=6.0)
    assert st.closed == ["a"] and d.status()["sessions"] == 0 and d.status()["jobs_stopped"] == 0


def test_outside_a_served_app_nothing_is_tracked():
    before = leaving.status()
    leaving.note_session()  # no script run context here, no Runtime
    run = TrainingRun(SHORT, data=DATA, queue=RunQueue(1)).start()  # start() calls leaving.own(run)
    run.join(60)
    after = leaving.status()
    assert (after["sessions"], after["jobs"]) == (before["sessions"], before["jobs"])


def test_the_grace_period_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONVLAB_LEAVE_SECONDS", "7")
    assert Departures().grace == 7
    monkeypatch.setenv("CONVLAB_LEAVE_SECONDS", "soon")
    assert Departures().grace == 120
