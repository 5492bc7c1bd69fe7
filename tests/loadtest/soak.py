"""Soak test: learners come and go for an hour; the server must end the hour as it was after ten minutes.

Starts the real server (`streamlit run app.py`, its log kept) and sends it --sessions learners
through Streamlit's websocket protocol (tests/loadtest/ws_loadtest.py's client), arriving evenly
over --minutes. Each learner opens a lesson page and moves its slider a few times, goes to a
second lesson page and does the same, then opens the training page, trains a short run (1,000
digits, one epoch) and closes the tab: most wait for the test accuracy, every fifth leaves while
its run is queued or training. At most --concurrency learners are connected at once, and the
server trains --trainers runs at a time (CONVLAB_MAX_TRAINING_RUNS; the others queue).

Every few seconds it samples the server's resident memory (VmRSS), the sessions connected and
the runs active (training or queued, from the server's status endpoint, pages/server/leaving.py).
At the end it checks:

- the RSS at the end of the hour is at most 20% above the RSS after the first ten minutes
  (--reference-minutes), once the server has warmed up (a leak grows without bound; a level
  that falls is fine and is reported as it is);
- every run finished (its learner saw the test accuracy), or its learner left and the server
  stopped it: after CONVLAB_LEAVE_SECONDS the server holds no session, no job, no queue place;
- no page showed an exception or an error message, and the server's log has no error.

It writes the memory curve and the verdict to tests/loadtest/soak_results.md (--out) and exits 0
only when every check passed.

    make soak                                                     # 200 learners over an hour
    .venv/bin/python tests/loadtest/soak.py --sessions 12 --minutes 2 --reference-minutes 0.5
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from server_watch import log_problems, rss_of, server_status, start_logged_server, wait_for_status  # noqa: E402
from ws_loadtest import (  # noqa: E402
    INT, SELECT_SLIDER, WsResults, WsSession, free_port, pages_with_sliders, slider_bounds, slider_state,
    slider_value, stop_server,
)

TRAIN_QUERY = "train_size=1000&epochs=1"


@dataclass
class Sample:
    t: float            # seconds since the first learner arrived
    rss_mb: float
    connected: int      # websocket sessions open now
    runs_active: int    # training or queued on the server
    sessions_held: int  # sessions the server still holds (connected, or closed and within the grace)


@dataclass
class Soak:
    samples: list = field(default_factory=list)
    learners: int = 0
    connected: int = 0
    runs_finished: int = 0
    runs_left: int = 0          # learners who left while their run was queued or training
    slider_moves: int = 0
    error_messages: int = 0     # st.error bodies shown to learners
    end_of_hour: Sample = None  # the sample at the end of the time the learners came


async def move_slider(s, rng, think):
    """Look at the page for a moment, then move its first slider one step (back at the ends)."""
    await asyncio.sleep(rng.uniform(*think))
    sliders = [sl for sl in s.last_full.sliders.values() if not sl.disabled]
    if not sliders:
        raise RuntimeError(f"{s.name}: no slider on the page")
    slider = sliders[0]
    lo, hi, step = slider_bounds(slider)
    now = slider_value(slider, s)
    new = now + step if now + step <= hi + 1e-9 else now - step
    if new < lo - 1e-9:
        return None
    if slider.data_type == INT and slider.type != SELECT_SLIDER:
        new = float(round(new))
    s.widget_states[slider.id] = slider_state(slider, new)
    previous = s.last_full
    _, run = await s.rerun_and_wait()
    await s.fetch_images(run, previous)
    if run.figures == 0 and run.explained == 0:
        raise RuntimeError(f"{s.name}: a rerun after a slider change drew no figure and said nothing")
    return run


async def learner(port, who, lessons, soak, res, rng, args, leaves_early=False):
    """One learner's visit: two lesson pages with a few slider moves, a short run, and away
    (leaves_early: right after Start, while the run is queued or training)."""
    s = WsSession(port, who, res, args.timeout)
    soak.connected += 1
    try:
        first, second = rng.sample(lessons, 2) if len(lessons) > 1 else (lessons[0], lessons[0])
        await s.open(first)
        for page in (first, second):
            if page != s.name:
                await s.navigate(page)
            for _ in range(rng.randint(1, 3)):
                run = await move_slider(s, rng, args.think)
                soak.slider_moves += 1
                if run is not None:
                    soak.error_messages += len(run.error_alerts)
        await s.navigate("train", TRAIN_QUERY)
        soak.error_messages += len(s.last_full.error_alerts)
        await s.click("Start")
        if leaves_early:
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            soak.runs_left += 1
            return
        deadline = time.perf_counter() + args.run_timeout
        while time.perf_counter() < deadline:
            last = s.last_full
            if "Test accuracy" in last.metrics:
                soak.runs_finished += 1
                break
            if last.error_alerts:
                soak.error_messages += len(last.error_alerts)
                res.error(who, f"train: {last.error_alerts[0]}")
                break
            await asyncio.sleep(0.25)
        else:
            res.error(who, f"train: no test accuracy within {args.run_timeout:g} s")
        await asyncio.sleep(rng.uniform(*args.think))  # a look at the results before closing the tab
    except Exception as err:  # noqa: BLE001
        res.error(who, f"{s.name or 'connect'}: {type(err).__name__}: {str(err)[:200]}")
    finally:
        soak.connected -= 1
        await s.close()


async def sample_every(seconds, pid, status_port, soak, t0, stop):
    while not stop.is_set():
        status = server_status(status_port) or {}
        soak.samples.append(Sample(round(time.perf_counter() - t0, 1), round(rss_of(pid), 1), soak.connected,
                                   status.get("running", 0) + status.get("waiting", 0),
                                   status.get("sessions", 0)))
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except (asyncio.TimeoutError, TimeoutError):
            pass


async def drive(port, pid, status_port, args, soak, res):
    lessons = await pages_with_sliders(port, res, max(args.timeout, 180))  # first opens compile kernels
    if len(lessons) < 2:
        raise RuntimeError(f"fewer than two lesson pages with a slider: {lessons}")
    rng = random.Random(args.seed)
    duration = args.minutes * 60
    # arrivals spread over the hour but for the length of one visit at the end
    spread = max(duration - args.visit_seconds, duration / 2)
    gap = spread / max(args.sessions, 1)
    stop = asyncio.Event()
    t0 = time.perf_counter()
    sampler = asyncio.create_task(sample_every(args.sample_seconds, pid, status_port, soak, t0, stop))
    room = asyncio.Semaphore(args.concurrency)
    tasks = []

    async def visit(i):
        async with room:
            soak.learners += 1
            await learner(port, f"learner {i + 1}", lessons, soak, res, random.Random(rng.random()), args,
                          leaves_early=i % 5 == 4)

    for i in range(args.sessions):
        await asyncio.sleep(max(t0 + i * gap - time.perf_counter(), 0))
        tasks.append(asyncio.create_task(visit(i)))
    remaining = t0 + duration - time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=max(remaining, 0) + args.run_timeout + 60)
    for t in pending:
        t.cancel()
        res.error("harness", "a learner was still there long after the end")
    await asyncio.sleep(max(t0 + duration - time.perf_counter(), 0))
    soak.end_of_hour = Sample(round(time.perf_counter() - t0, 1), round(rss_of(pid), 1), soak.connected,
                              *_active(server_status(status_port)))
    stop.set()
    await sampler


def _active(status):
    status = status or {}
    return status.get("running", 0) + status.get("waiting", 0), status.get("sessions", 0)


def nearest(samples, t):
    return min(samples, key=lambda s: abs(s.t - t)) if samples else None


def verdict(soak, res, args, final, problems, alive):
    """The checks: (name, passed, what was measured)."""
    ref = nearest(soak.samples, args.reference_minutes * 60)
    end = soak.end_of_hour
    ratio = end.rss_mb / ref.rss_mb if ref and ref.rss_mb else float("nan")
    waiters = args.sessions - soak.runs_left
    held = {k: final.get(k) for k in ("sessions", "jobs", "running", "waiting")} if final else None
    return [
        ("RSS at the end within 20% of the RSS after the reference time", ratio <= 1.20,
         f"{end.rss_mb:.0f} MB / {ref.rss_mb:.0f} MB = {ratio:.3f}"),
        ("every learner who waited saw the test accuracy", soak.runs_finished == waiters,
         f"{soak.runs_finished} of {waiters} (and {soak.runs_left} left while their run was queued or training)"),
        ("after the last learner left, the server holds no session, job or queue place",
         held is not None and not any(held.values()), f"{held}"),
        ("no page showed an exception or an error message", not res.errors and soak.error_messages == 0,
         f"{len(res.errors)} errors, {soak.error_messages} error messages"),
        ("the server's log has no error", not problems, f"{len(problems)} lines"),
        ("the server ran all along", alive, "alive" if alive else "died"),
    ]


def report(soak, res, args, checks, final, load, started):
    ref = nearest(soak.samples, args.reference_minutes * 60)
    end = soak.end_of_hour
    ok = all(passed for _, passed, _ in checks)
    every = max(len(soak.samples) // 30, 1)
    rows = soak.samples[::every]
    if rows and rows[-1] is not soak.samples[-1]:
        rows.append(soak.samples[-1])
    lines = [
        f"# ConvLab soak test ({started})",
        "",
        f"{soak.learners} learners over {args.minutes:g} minutes through Streamlit's websocket protocol, at most "
        f"{args.concurrency} connected at once; each moved sliders on two lesson pages, trained 1,000 digits for one "
        f"epoch ({args.trainers} training at a time on the server, the others queued) and closed the tab; every "
        f"fifth left while its run was queued or training. Closed sessions are let go after "
        f"CONVLAB_LEAVE_SECONDS={args.leave_seconds}. {os.cpu_count()} cores shared with other work: load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the end.",
        "",
        f"**{'PASS' if ok else 'FAIL'}**: RSS {ref.rss_mb:.0f} MB after {args.reference_minutes:g} min, "
        f"{end.rss_mb:.0f} MB at the end ({end.rss_mb / ref.rss_mb:.3f}x), peak "
        f"{max(s.rss_mb for s in soak.samples):.0f} MB; {soak.runs_finished} runs finished, {soak.runs_left} left "
        f"while queued or training; {len(res.errors)} errors on pages, {soak.error_messages} error messages; "
        f"{checks[4][2]} of errors in the server's log; {soak.slider_moves} slider moves.",
        "",
        "| check | result | measured |",
        "|---|---|---|",
        *[f"| {name} | {'pass' if passed else 'FAIL'} | {what} |" for name, passed, what in checks],
        "",
        f"After the last learner left: {final}.",
        "",
        "| time (s) | RSS (MB) | sessions connected | runs active (training or queued) | sessions held |",
        "|---|---|---|---|---|",
        *[f"| {s.t:.0f} | {s.rss_mb:.0f} | {s.connected} | {s.runs_active} | {s.sessions_held} |" for s in rows],
    ]
    if res.errors:
        lines += ["", "Errors:", "", *[f"- {who}: {what}" for who, what in res.errors[:30]]]
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=200, help="learners in all (default 200)")
    ap.add_argument("--minutes", type=float, default=60.0, help="how long the learners keep coming (default 60)")
    ap.add_argument("--reference-minutes", type=float, default=10.0,
                    help="the RSS at this time is what the end is compared with (default 10)")
    ap.add_argument("--concurrency", type=int, default=8, help="learners connected at once at most (default 8)")
    ap.add_argument("--trainers", type=int, default=2, help="runs training at once (CONVLAB_MAX_TRAINING_RUNS)")
    ap.add_argument("--leave-seconds", type=int, default=10, help="CONVLAB_LEAVE_SECONDS for the server")
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                    help="seconds a learner looks at a page before the next move (default 1 3)")
    ap.add_argument("--visit-seconds", type=float, default=45.0, help="about how long one visit takes")
    ap.add_argument("--sample-seconds", type=float, default=5.0, help="seconds between two memory samples")
    ap.add_argument("--timeout", type=float, default=60.0, help="longest wait for one rerun (s)")
    ap.add_argument("--run-timeout", type=float, default=180.0, help="longest wait for a run's test accuracy (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "soak_results.md"), help="the report ('' for none)")
    ap.add_argument("--json", default="", help="also write the figures as JSON here")
    ap.add_argument("--log", default="", help="keep the server's log here (default: a temporary file)")
    return ap.parse_args(argv)


def run_soak(args):
    """Start a server, soak it, stop it; returns (passed, report text, figures dict)."""
    folder = Path(tempfile.mkdtemp(prefix="convlab-soak-"))
    log_path = Path(args.log) if args.log else folder / "server.log"
    port, status_port = free_port(), free_port()
    env = {"CONVLAB_DATABASE_URL": f"sqlite:///{folder}/classes.db",
           "CONVLAB_MAX_TRAINING_RUNS": str(args.trainers), "CONVLAB_LEAVE_SECONDS": str(args.leave_seconds)}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    server = start_logged_server(port, status_port, log_path, env)
    soak, res = Soak(), WsResults()
    final, final_rss, alive = None, float("nan"), False
    try:
        try:
            asyncio.run(drive(port, server.pid, status_port, args, soak, res))
        except Exception as err:  # noqa: BLE001  (still report what was measured)
            res.error("harness", f"{type(err).__name__}: {str(err)[:300]}")
        # every learner has gone: the server lets go of them within the grace and a sweep or two
        final = wait_for_status(status_port, lambda s: not any(s[k] for k in ("sessions", "jobs", "running",
                                                                              "waiting")),
                                timeout=args.leave_seconds + 60)
        time.sleep(1.0)  # the sweep that let the last one go gives the memory back just after
        final_rss = rss_of(server.pid)
        alive = server.poll() is None
    finally:
        stop_server(server)
    problems = log_problems(log_path)
    if soak.end_of_hour is None:  # the soak broke off: compare what there is
        soak.end_of_hour = soak.samples[-1] if soak.samples else Sample(0, float("nan"), 0, 0, 0)
    if not soak.samples:
        soak.samples.append(soak.end_of_hour)
    checks = verdict(soak, res, args, final, problems, alive)
    text = report(soak, res, args, checks, {**(final or {}), "rss_mb": round(final_rss)}, os.getloadavg(),
                  started)
    if problems:
        text += "\nThe server's log:\n\n" + "\n".join(f"    {line}" for line in problems[:30]) + "\n"
    figures = {"checks": checks, "samples": [asdict(x) for x in soak.samples], "end_of_hour": asdict(soak.end_of_hour),
               "final": final, "final_rss_mb": final_rss, "errors": res.errors, "log_problems": problems,
               "runs_finished": soak.runs_finished, "runs_left": soak.runs_left, "learners": soak.learners,
               "slider_moves": soak.slider_moves, "error_messages": soak.error_messages}
    if not args.log:
        shutil.rmtree(folder, ignore_errors=True)
    return all(passed for _, passed, _ in checks), text, figures


def main(argv=None):
    args = parse_args(argv)
    ok, text, figures = run_soak(args)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
