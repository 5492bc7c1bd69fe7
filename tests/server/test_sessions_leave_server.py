"""20 learners start a run on a real server and close their tabs: the server lets go of everything.

Starts `streamlit run app.py` (CONVLAB_LEAVE_SECONDS=3, two runs training at once) and drives it
through Streamlit's websocket protocol (tests/loadtest/ws_loadtest.py's client). Four waves of
five learners open the training page, press Start on a long run (60,000 digits, 5 epochs) and
close the tab two seconds later, each wave once the last one's places are free: in each wave two
runs are training and three are queued when their learners leave. Afterwards the server's tables
(its read-only status endpoint, pages/server/leaving.py) must be empty and every one of the 20
runs must have been stopped. The server's resident memory (VmRSS) must be back within 10% of its
level before the 20 came (measured after a warm-up in which one learner trained and five more
left as in the waves, so that the digits, the kernels, Streamlit's caches and the threads of five
sessions at once are there), and after a second round of 20 within
5% of where the first left it, with as many Python objects as then (within 1%): what stays is a
one-time cost, not a leak.
"""

import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server and 20 sessions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "loadtest"))

from server_watch import log_problems, rss_of, server_status, start_logged_server, wait_for_status  # noqa: E402
from ws_loadtest import WsResults, WsSession, free_port, run_apart, stop_server  # noqa: E402

LEAVE_SECONDS = 3
WAVES, PER_WAVE = 4, 5
MEMORY_MARGIN = 0.10  # RSS after the 20 have gone: at most 10% above the level before them ...
GROWTH_MARGIN = 0.05  # ... and after 20 more, at most 5% above that (malloc's arenas move by 10-20 MB)
OBJECTS_MARGIN = 0.01  # the Python objects the server holds after the second 20: as after the first
LONG_RUN = "train_size=60000&epochs=5"
EMPTY = ("sessions", "jobs", "running", "waiting")


def steady_rss(pid, seconds=3.0):
    """The median of a few RSS samples (MB): one sample may catch a collection half done."""
    samples = []
    for _ in range(int(seconds / 0.5)):
        samples.append(rss_of(pid))
        time.sleep(0.5)
    return statistics.median(samples)


async def start_and_leave(port, res, who, query, wait):
    """Open the training page, press Start, watch for `wait` seconds, close the tab.

    Returns the run's state as the page showed it last (running, queued, finished, ...)."""
    s = WsSession(port, who, res, timeout=120)
    states = []
    s.on_progress = lambda text: states.append(text.rsplit("·", 1)[-1].strip())
    try:
        await s.open("train", query)
        await s.click("Start")
        await asyncio.sleep(wait)
        queued = any(re.search(r"number \d+ in the queue", body) for body in s.last_full.alerts)
        return states[-1] if states else ("queued" if queued else "?")
    finally:
        await s.close()


async def learners(port, status_port, res):
    """The waves; each waits until the last one's places are free, so that two of its runs train."""
    seen = []
    for wave in range(WAVES):
        while (server_status(status_port) or {}).get("running", 1):
            await asyncio.sleep(0.5)
        seen += await asyncio.gather(*(start_and_leave(port, res, f"learner {wave * PER_WAVE + i + 1}", LONG_RUN,
                                                       2.0) for i in range(PER_WAVE)))
    return seen


def test_twenty_sessions_that_leave_free_their_runs_queue_places_and_memory(tmp_path):
    port, status_port = free_port(), free_port()
    log = tmp_path / "server.log"
    env = {"CONVLAB_DATABASE_URL": f"sqlite:///{tmp_path}/classes.db", "CONVLAB_MAX_TRAINING_RUNS": "2",
           "CONVLAB_LEAVE_SECONDS": str(LEAVE_SECONDS)}
    server = start_logged_server(port, status_port, log, env)
    res = WsResults()
    try:
        # warm-up: a short run that finishes, then one wave like those below (five at once, two
        # training): what the server builds the first time it serves that is in the level before
        async def warm_up():
            await start_and_leave(port, res, "warm-up 1", "train_size=1000&epochs=1", 20.0)
            await asyncio.gather(*(start_and_leave(port, res, f"warm-up {i + 2}", LONG_RUN, 2.0)
                                   for i in range(PER_WAVE)))

        run_apart(warm_up())
        warm = wait_for_status(status_port, lambda s: not any(s[k] for k in EMPTY), timeout=60)
        assert warm is not None and not any(warm[k] for k in EMPTY), warm
        before_rss = steady_rss(server.pid)

        rounds = []
        for _ in range(2):  # the same class twice: what the first leaves behind must not grow
            t0 = time.perf_counter()
            seen = run_apart(learners(port, status_port, res))
            during = server_status(status_port)
            after = wait_for_status(status_port, lambda s: not any(s[k] for k in EMPTY), timeout=60)
            freed_s = time.perf_counter() - t0
            time.sleep(1.0)  # the sweep that let the last ones go gives the memory back just after it
            rounds.append((seen, during, after, freed_s, steady_rss(server.pid)))
        alive = server.poll() is None
    finally:
        stop_server(server)
    for i, (seen, during, after, freed_s, rss) in enumerate(rounds):
        print(f"\nround {i + 1}: 20 sessions left while {seen.count('running')} runs were training and "
              f"{seen.count('queued')} queued; just after the last left {during}; {freed_s:.1f} s after the "
              f"round began {after}; RSS before {before_rss:.0f} MB, after {rss:.0f} MB ({rss / before_rss:.3f}x); "
              f"Python objects before {warm['python_objects']:,}, after {after['python_objects']:,}")
    (seen, during, after, _, after_rss), (_, _, again, _, again_rss) = rounds
    assert res.errors == [], res.errors
    assert seen.count("running") == 2 * WAVES and seen.count("queued") == 3 * WAVES, seen  # both kinds left
    assert during["sessions"] > 0 and during["running"] + during["waiting"] > 0  # held within the grace ...
    assert after is not None and not any(after[k] for k in EMPTY), after  # ... then let go
    assert after["sessions_released"] - warm["sessions_released"] == WAVES * PER_WAVE
    assert after["jobs_stopped"] - warm["jobs_stopped"] == WAVES * PER_WAVE  # none ran to its end
    assert again["jobs_stopped"] - after["jobs_stopped"] == WAVES * PER_WAVE
    assert after_rss <= before_rss * (1 + MEMORY_MARGIN), (before_rss, after_rss)
    assert again_rss <= after_rss * (1 + GROWTH_MARGIN), (after_rss, again_rss)
    assert again["python_objects"] <= after["python_objects"] * (1 + OBJECTS_MARGIN), (after, again)
    assert alive and log_problems(log) == []
