"""How large a class one server holds: ws_loadtest.py at growing class sizes, one learner in eight training.

    .venv/bin/python tests/loadtest/capacity.py                                  # 30/4 50/6 70/9 80/10 100/12
    .venv/bin/python tests/loadtest/capacity.py --sizes 80/10 --seconds 120

Each size is a fresh server and a fresh websocket class (ws_loadtest.run_load): most learners
move sliders on the lesson pages, the trainers train on all 60,000 digits for the whole step (the
server lets all of them train at once: CONVLAB_MAX_TRAINING_RUNS is set to their number). The
bar: slider change to updated figure, 95th percentile, under 1 s. After each size the curve so
far is written to tests/loadtest/capacity.md (or --out), with the machine's load average before
the server started (other work on the machine) and at the end.
"""

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ws_loadtest  # noqa: E402

BAR_S = 1.0


def parse_sizes(text):
    """'30/4,50/6' -> [(30, 4), (50, 6)]: learners in all / of which training."""
    sizes = []
    for part in text.split(","):
        learners, trainers = (int(v) for v in part.strip().split("/"))
        if not 0 <= trainers < learners:
            raise ValueError(f"{part}: the trainers must be fewer than the learners")
        sizes.append((learners, trainers))
    return sizes


def measure(learners, trainers, seconds, seed):
    """One class size on a fresh server; returns a row of the curve."""
    os.environ["CONVLAB_MAX_TRAINING_RUNS"] = str(max(trainers, 1))  # all of them train at once
    before = os.getloadavg()[0]
    args = ws_loadtest.parse_args([
        "--sessions", str(learners), "--trainers", str(trainers), "--train-size", "60000", "--epochs", "3",
        "--min-seconds", str(seconds), "--max-seconds", str(seconds + 20), "--seed", str(seed),
        "--out", "", "--json", ""])
    started = time.time()
    s = ws_loadtest.run_load(args)
    lat = s["latency"]
    # The trainers train all along: a run still going at the end is the plan, not an error.
    errors = [e for e in s["errors"] if "training did not finish" not in e]
    return {
        "learners": learners, "trainers": trainers, "when": time.strftime("%H:%M", time.gmtime(started)),
        "seconds": s["duration_s"], "changes": s["slider_changes"],
        "p50": lat["median_s"], "p95": lat["p95_s"], "max": lat["max_s"],
        "server_p95": s["server_latency"]["p95_s"], "fragment_p95": s["fragment_latency"]["p95_s"],
        "timed_out": s["timed_out_changes"], "errors": len(errors), "error_text": "; ".join(errors[:3]),
        "runs_finished": s["runs_finished"],
        "server_cpu": s["server_cpu_cores"], "machine_cpu": s["machine_cpu_cores"],
        "load_before": before, "load_end": s["load_average_at_end"][0],
        "memory_peak_mb": s["memory_peak_mb"],
    }


def verdict(row):
    return "PASS" if row["p95"] is not None and row["p95"] < BAR_S and not row["errors"] else "MISS"


def write(rows, out, seconds):
    lines = [
        "# How large a class one server holds",
        "",
        f"`tests/loadtest/capacity.py`: `ws_loadtest.py` at each class size on a fresh server for about "
        f"{seconds:.0f} s, on {os.cpu_count()} cores; one learner in eight trains on all 60,000 digits (all "
        "at once), the others move a slider on a lesson page every 1-3 s. The bar: slider change to "
        f"updated figure (script finished and images downloaded), 95th percentile under {BAR_S:g} s.",
        "",
        "The load average before each server started is other work on the machine, not the class's: "
        "where it is high, the figures are those of a busier server than a classroom's.",
        "",
        "| learners | training | p50 | p95 | slowest | script only p95 | training refresh p95 | changes "
        "| timed out | errors | runs finished | server CPU (cores) | load before / at end | peak memory | |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['learners']} | {r['trainers']} | {r['p50']} s | {r['p95']} s | {r['max']} s | {r['server_p95']} s "
            f"| {r['fragment_p95']} s | {r['changes']} | {r['timed_out']} | {r['errors']} | {r['runs_finished']} "
            f"| {r['server_cpu']} "
            f"| {r['load_before']:.1f} / {r['load_end']:.1f} | {r['memory_peak_mb']} MB | {verdict(r)} |")
    passing = [r for r in rows if verdict(r) == "PASS"]
    if passing:
        best = max(passing, key=lambda r: r["learners"])
        lines += ["", f"Largest class measured under the bar: {best['learners']} learners "
                      f"({best['trainers']} training)."]
    else:
        lines += ["", "No class size measured met the bar."]
    errors = [f"- {r['learners']}/{r['trainers']}: {r['error_text']}" for r in rows if r["errors"]]
    if errors:
        lines += ["", "Errors seen (first three per size):", *errors]
    Path(out).write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="30/4,50/6,70/9,80/10,100/12", help="learners/training, comma-separated")
    ap.add_argument("--seconds", type=float, default=150, help="how long each size runs (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "capacity.md"))
    args = ap.parse_args(argv)
    rows = []
    for learners, trainers in parse_sizes(args.sizes):
        row = measure(learners, trainers, args.seconds, args.seed)
        rows.append(row)
        print(f"{learners:>4} learners, {trainers:>2} training: p50 {row['p50']} s, p95 {row['p95']} s, "
              f"errors {row['errors']}, load {row['load_before']:.1f} -> {row['load_end']:.1f}  {verdict(row)}",
              flush=True)
        write(rows, args.out, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
