"""Load test: a class on one ConvLab server, with real browsers.

Starts the real Streamlit server on a free localhost port and drives it with headless Debian
Chromium through Playwright (one browser, one context per learner):

- most sessions open lesson pages and keep moving a slider, the way a class does during a demo;
- a few sessions train the digit network on the training page at the same time.

It measures the time from a slider key press to the updated page (the rerun finished and the
content changed), each training run's speed, the server's memory (RSS from /proc), the first
response of every page, and any exception a session saw. It prints a table and writes
tests/loadtest/results.md (or --out). Everything stays on 127.0.0.1 and stops by itself.

    .venv/bin/python tests/loadtest/loadtest.py                       # 30 sessions, 4 training
    .venv/bin/python tests/loadtest/loadtest.py --sessions 6 --trainers 1 --min-seconds 20

The slider latency includes Streamlit's own 200 ms debounce of slider input in the browser,
so it is what a learner feels, not only the server's compute time.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT))

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, stop_server  # noqa: E402

# Lesson pages the class moves sliders on (those that exist and show a slider are used).
LESSON_PAGES = ["stride_padding", "filter2d", "conv1d", "pooling", "activations", "volumes",
                "receptive_field", "backprop"]
# The image-filter page's default kernel (Sobel) has no slider; a Gaussian has two.
START = {"filter2d": "?kernel=gaussian"}

SLIDER = "[data-testid='stSlider'] input[type='range']:not([disabled])"

IDLE_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
  && !document.querySelector('[data-testid="stSkeleton"]')
  && !document.querySelector('[data-stale="true"]')
  && Array.from(document.images).every(i => i.complete)"""

# What the learner sees, without the slider itself (its label moves at once, before any rerun).
# textContent, not innerText: it forces no layout, so 26 tabs polling it stay cheap.
FINGERPRINT_JS = """() => {
  const parts = [];
  document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').forEach(e => {
    if (!e.querySelector('[data-testid="stSlider"], [data-testid="stSelectSlider"]')) parts.push(e.textContent);
  });
  document.querySelectorAll('[data-testid="stMain"] img').forEach(i => parts.push(i.src));
  return parts.join('|');
}"""

CHANGED_AND_IDLE_JS = """(before) => {
  const fp = (%s)();
  return fp !== before && (%s)();
}""" % (FINGERPRINT_JS, IDLE_JS)


def rss_mb(pid):
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (Linux /proc), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Results:
    def __init__(self):
        self.latencies = []          # seconds, slider key press -> updated page
        self.latency_by_page = {}
        self.first_response = {}     # page -> [seconds to a finished first run]
        self.errors = []             # (session, what)
        self.runs = []               # dicts per training run
        self.memory = []             # (t, MB)
        self.changes_timed_out = 0

    def error(self, who, what):
        self.errors.append((who, what))


async def wait_idle(page, timeout=60_000):
    await page.wait_for_timeout(200)
    await page.wait_for_function(IDLE_JS, timeout=timeout, polling=100)


async def open_page(page, url, res, name, timeout=90_000):
    t0 = time.perf_counter()
    await page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    await page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout)
    await wait_idle(page, timeout)
    res.first_response.setdefault(name, []).append(time.perf_counter() - t0)


async def check_exceptions(page, res, who):
    n = await page.locator("[data-testid='stException']").count()
    if n:
        text = await page.locator("[data-testid='stException']").first.inner_text()
        res.error(who, f"exception on the page: {text[:200]}")
        return True
    return False


async def lesson_session(browser, base, name, who, res, stop, rng, sem, think=(1.0, 3.0)):
    context = await browser.new_context(viewport={"width": 1280, "height": 1200})
    page = await context.new_page()
    page.on("pageerror", lambda err: res.error(who, f"browser error: {str(err)[:200]}"))
    try:
        async with sem:  # a class does not press Enter in the same millisecond
            await open_page(page, f"{base}/{name}{START.get(name, '')}", res, name)
        slider = page.locator(SLIDER).first
        direction = 1
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(*think))  # looking at the result
            if stop.is_set():
                break
            lo, hi, now = await slider.evaluate("e => [+e.min, +e.max, +e.value]")
            if now >= hi:
                direction = -1
            elif now <= lo:
                direction = 1
            before = await page.evaluate(FINGERPRINT_JS)
            await slider.focus()
            t0 = time.perf_counter()
            await slider.press("ArrowRight" if direction > 0 else "ArrowLeft")
            try:
                await page.wait_for_function(CHANGED_AND_IDLE_JS, arg=before, timeout=30_000, polling=100)
            except Exception as err:  # noqa: BLE001  (Playwright TimeoutError)
                res.changes_timed_out += 1
                res.error(who, f"{name}: no updated page within 30 s of a slider change "
                               f"({type(err).__name__}: {str(err)[:150]})")
                continue
            dt = time.perf_counter() - t0
            res.latencies.append(dt)
            res.latency_by_page.setdefault(name, []).append(dt)
            await check_exceptions(page, res, who)
        await check_exceptions(page, res, who)
    except Exception as err:  # noqa: BLE001
        res.error(who, f"{name}: {type(err).__name__}: {str(err)[:200]}")
    finally:
        await context.close()


async def training_session(browser, base, who, res, train_size, epochs, sem, timeout_s):
    context = await browser.new_context(viewport={"width": 1280, "height": 1600})
    page = await context.new_page()
    page.on("pageerror", lambda err: res.error(who, f"browser error: {str(err)[:200]}"))
    run = {"session": who, "images": train_size * epochs, "finished": False}
    res.runs.append(run)
    try:
        async with sem:
            await open_page(page, f"{base}/train?train_size={train_size}&epochs={epochs}", res, "train")
        t0 = time.perf_counter()
        await page.get_by_role("button", name="Start").click()
        speeds = []
        deadline = t0 + timeout_s
        while time.perf_counter() < deadline:
            await asyncio.sleep(1.0)
            if await page.locator("text=Test accuracy").count():
                break
            if await check_exceptions(page, res, who):
                break
            text = await page.locator("[data-testid='stMain']").inner_text()
            m = re.search(r"([\d,]+) images/s", text)
            if m and "running" in text:
                value = float(m.group(1).replace(",", ""))
                if value > 0:
                    speeds.append(value)
        else:
            res.error(who, f"training did not finish within {timeout_s} s")
        await wait_idle(page, 60_000)
        await check_exceptions(page, res, who)
        wall = time.perf_counter() - t0
        if await page.locator("text=Test accuracy").count():
            run["finished"] = True
            metric = page.locator("[data-testid='stMetric']", has_text="Test accuracy")
            value = await metric.locator("[data-testid='stMetricValue']").inner_text()
            run["test_accuracy"] = value.strip()
        run["wall_s"] = wall
        run["images_per_s"] = statistics.median(speeds) if speeds else float("nan")
    except Exception as err:  # noqa: BLE001
        res.error(who, f"train: {type(err).__name__}: {str(err)[:200]}")
    finally:
        await context.close()


async def sample_memory(pid, res, stop, t0):
    while not stop.is_set():
        res.memory.append((time.perf_counter() - t0, rss_mb(pid)))
        await asyncio.sleep(1.0)


async def pages_with_sliders(browser, base, res):
    """The lesson pages that exist on this server and show at least one slider."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1200})
    page = await context.new_page()
    found = []
    for name in LESSON_PAGES:
        if not (ROOT / "pages" / f"{name}.py").exists():
            continue
        await open_page(page, f"{base}/{name}{START.get(name, '')}", res, f"{name} (cold)")
        if await page.locator(SLIDER).count():
            found.append(name)
    await context.close()
    return found


async def drive(base, server_pid, args, res):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # A class starts at the home page of a server no one has opened yet: time that first.
            warm = await browser.new_page()
            await open_page(warm, base, res, "home (cold)")
            await warm.close()
            lessons = await pages_with_sliders(browser, base, res)
            if not lessons:
                raise RuntimeError("no lesson page with a slider was found")
            rng = random.Random(args.seed)
            stop = asyncio.Event()
            sem = asyncio.Semaphore(4)
            t0 = time.perf_counter()
            cpu0 = cpu_seconds(server_pid)
            mem = asyncio.create_task(sample_memory(server_pid, res, stop, t0))
            n_lessons = max(args.sessions - args.trainers, 0)
            lesson_tasks = [
                asyncio.create_task(lesson_session(browser, base, lessons[i % len(lessons)], f"learner {i + 1}",
                                                   res, stop, random.Random(rng.random()), sem,
                                                   (args.think_min, args.think_max)))
                for i in range(n_lessons)
            ]
            train_tasks = [
                asyncio.create_task(training_session(browser, base, f"trainer {i + 1}", res, args.train_size,
                                                     args.epochs, sem, args.max_seconds))
                for i in range(args.trainers)
            ]
            # Keep the class busy at least min-seconds and until every run ended, at most max-seconds.
            hard_stop = t0 + args.max_seconds
            while time.perf_counter() < hard_stop:
                trainers_done = all(t.done() for t in train_tasks)
                if trainers_done and time.perf_counter() - t0 >= args.min_seconds:
                    break
                await asyncio.sleep(0.5)
            stop.set()
            await asyncio.wait(lesson_tasks + train_tasks, timeout=90)
            for t in train_tasks + lesson_tasks:
                if not t.done():
                    t.cancel()
                    res.error("harness", "a session did not stop within 90 s of the end")
            await mem
            res.duration = time.perf_counter() - t0
            res.server_cpu = (cpu_seconds(server_pid) - cpu0) / res.duration
            res.lessons = lessons
        finally:
            await browser.close()


def summary(res, args, server_start_s):
    lat = res.latencies
    mem = [m for _, m in res.memory]
    finished = [r for r in res.runs if r.get("finished")]
    return {
        "sessions": args.sessions,
        "trainers": args.trainers,
        "train_size": args.train_size,
        "epochs": args.epochs,
        "duration_s": round(getattr(res, "duration", 0.0), 1),
        "think_s": f"{args.think_min:g}-{args.think_max:g}",
        "load_average_at_end": os.getloadavg(),
        "lesson_pages": getattr(res, "lessons", []),
        "slider_changes": len(lat),
        "median_s": round(statistics.median(lat), 3) if lat else None,
        "p95_s": round(percentile(lat, 0.95), 3) if lat else None,
        "max_s": round(max(lat), 3) if lat else None,
        "by_page": {k: {"n": len(v), "median_s": round(statistics.median(v), 3),
                        "p95_s": round(percentile(v, 0.95), 3)} for k, v in sorted(res.latency_by_page.items())},
        "first_response_s": {k: round(statistics.median(v), 2) for k, v in sorted(res.first_response.items())},
        "server_start_s": round(server_start_s, 2),
        "server_cpu_cores": round(getattr(res, "server_cpu", float("nan")), 2),
        "memory_start_mb": round(mem[0], 0) if mem else None,
        "memory_peak_mb": round(max(mem), 0) if mem else None,
        "runs": res.runs,
        "runs_finished": len(finished),
        "timed_out_changes": res.changes_timed_out,
        "errors": [f"{who}: {what}" for who, what in res.errors],
    }


def table(s):
    lines = [
        f"# ConvLab load test ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"{s['sessions']} browser sessions on one server ({s['sessions'] - s['trainers']} moving sliders on "
        f"{', '.join(s['lesson_pages'])}; {s['trainers']} training on {s['train_size']:,} digits x "
        f"{s['epochs']} epoch(s)), a slider move every {s['think_s']} s per learner, {s['duration_s']} s, "
        f"on {os.cpu_count()} cores "
        f"({platform.machine()}), browsers on the same machine; load average at the end "
        f"{s['load_average_at_end'][0]:.1f} (1 min).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| slider changes timed | {s['slider_changes']} |",
        f"| slider change -> updated figure, median | {s['median_s']} s |",
        f"| slider change -> updated figure, 95th percentile | {s['p95_s']} s |",
        f"| slowest slider change | {s['max_s']} s |",
        f"| server start (process to health check) | {s['server_start_s']} s |",
        f"| server memory (RSS) at start / peak | {s['memory_start_mb']} / {s['memory_peak_mb']} MB |",
        f"| server CPU use, average (1.0 = one core busy) | {s['server_cpu_cores']} |",
        f"| training runs finished | {s['runs_finished']} of {s['trainers']} |",
        f"| sessions that saw an error | {len({e.split(':')[0] for e in s['errors']})} |",
        "",
        "| page | changes | median | p95 |",
        "|---|---|---|---|",
    ]
    for name, v in s["by_page"].items():
        lines.append(f"| {name} | {v['n']} | {v['median_s']} s | {v['p95_s']} s |")
    lines += ["", "| training run | finished | wall time | images/s (median while running) | test accuracy |",
              "|---|---|---|---|---|"]
    return "\n".join(lines + report_tail(s, "first response of a page (median)")) + "\n"


def report_tail(s, first_response_title):
    """The report's last lines, shared with ws_loadtest.py: training runs, first responses, errors."""
    lines = []
    for r in s["runs"]:
        lines.append(f"| {r['session']} | {'yes' if r.get('finished') else 'NO'} | "
                     f"{r.get('wall_s', float('nan')):.1f} s | {r.get('images_per_s', float('nan')):,.0f} | "
                     f"{r.get('test_accuracy', '-')} |")
    lines += ["", f"| {first_response_title} | seconds |", "|---|---|"]
    for name, v in s["first_response_s"].items():
        lines.append(f"| {name} | {v} |")
    lines += ["", "Errors: " + ("none" if not s["errors"] else "")]
    lines += [f"- {e}" for e in s["errors"][:50]]
    return lines


def add_class_arguments(ap, what, out):
    """The options both load tests take: the class's size, the training, the timing, the report."""
    ap.add_argument("--sessions", type=int, default=30, help=f"{what} sessions in all (default 30)")
    ap.add_argument("--trainers", type=int, default=4, help="of which train a network (default 4)")
    ap.add_argument("--train-size", type=int, default=5000, choices=[1000, 5000, 10000, 30000, 60000])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--min-seconds", type=float, default=60, help="keep moving sliders at least this long")
    ap.add_argument("--max-seconds", type=float, default=240, help="stop everything after this long")
    ap.add_argument("--think-min", type=float, default=1.0, help="shortest pause between slider moves (s)")
    ap.add_argument("--think-max", type=float, default=3.0, help="longest pause between slider moves (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / out), help="Markdown report ('' for none)")
    ap.add_argument("--json", default="", help="also write the figures as JSON here")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_class_arguments(ap, "browser", "results.md")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make system-packages` installs Debian's chromium", file=sys.stderr)
        return 2

    port = free_port()
    t0 = time.perf_counter()
    server = start_server(port)
    server_start_s = time.perf_counter() - t0
    res = Results()
    try:
        asyncio.run(drive(f"http://127.0.0.1:{port}", server.pid, args, res))
    except Exception as err:  # noqa: BLE001  (still report what was measured)
        res.error("harness", f"{type(err).__name__}: {str(err)[:300]}")
    finally:
        alive = server.poll() is None
        stop_server(server)
    if not alive:
        res.error("server", "the server process died during the load test")
    s = summary(res, args, server_start_s)
    report = table(s)
    print(report)
    if args.out:
        Path(args.out).write_text(report)
    if args.json:
        Path(args.json).write_text(json.dumps(s, indent=1, default=str))
    ok = not s["errors"] and s["runs_finished"] == args.trainers and s["slider_changes"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
