"""A learner's own classes, end to end: how fast a tiny drawn set trains, from scratch and from
the digit network, and how well it then reads the held-out drawings.

    make bench            (runs this after the other benchmarks)
    python tests/benchmarks/bench_own_classes.py --sets 5

The set is 3 classes (circle, triangle, square) of 20 drawings each, made by drawn_shapes.py
(PIL outlines at random places, sizes and pen widths, prepared as the page prepares a drawing),
split 80/20 per class as the page splits it: 48 to learn from, 12 held out. Each run is the
page's: the same recipe (small_set_config), the background worker and its queue. The clock runs
from building the model to the run's end, kernels already loaded (a server loads them once).
The bar: at least 90% of the 12 held-out drawings within 5 s, from scratch and with transfer.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine  # noqa: E402
from drawn_shapes import shape_set  # noqa: E402
from engine import nn  # noqa: E402
from engine.nn import transfer  # noqa: E402
from engine.nn.recipe import build_model, small_set_config  # noqa: E402
from pages.server.jobs import TrainingRun  # noqa: E402
from pages.server.run_queue import RunQueue  # noqa: E402

engine.configure()
DIGITS = Path(__file__).resolve().parents[2] / "assets" / "pretrained_digit_net.npz"
BAR_ACCURACY, BAR_SECONDS = 0.90, 5.0


def train(split, start, digits):
    """(held-out accuracy, seconds) of one run as the page makes it."""
    x, y, x_held, y_held = split
    t0 = time.perf_counter()
    cfg = small_set_config(len(x))
    model = build_model(cfg, classes=3)
    extra = transfer.start_from(digits, model, start)
    run = TrainingRun(cfg, model=model, data=split, classes=3, callbacks=extra, queue=RunQueue(1)).start()
    run.join()
    seconds = time.perf_counter() - t0
    p = run.snapshot()
    if p.state != "finished":
        raise RuntimeError(f"the {start} run ended {p.state}: {p.message}")
    return float((model.predict(x_held) == y_held).mean()), seconds


def main():
    parser = argparse.ArgumentParser(description="own classes: a tiny drawn set, scratch against transfer")
    parser.add_argument("--sets", type=int, default=3, help="drawn sets to try (the first is the bar's)")
    args = parser.parse_args()
    digits = nn.Sequential.load(DIGITS)
    warm = shape_set(4, seed=99).split(0.25)
    for start in transfer.STARTS:  # load every kernel once, as a running server has
        train(warm, start, digits)
    print(f"own classes: 3 classes x 20 drawings, 48 learned from, 12 held out; recipe "
          f"{small_set_config(48)}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bar = f"bar ({BAR_ACCURACY:.0%} in {BAR_SECONDS:g} s)"
    print(f"{'set':>4}  {'start':<10} {'held-out accuracy':>18} {'seconds':>8}  {bar}")
    for seed in range(args.sets):
        split = shape_set(20, seed=seed).split(0.2, seed=0)
        for start in transfer.STARTS:
            acc, seconds = train(split, start, digits)
            ok = "met" if acc >= BAR_ACCURACY and seconds <= BAR_SECONDS else "MISSED"
            print(f"{seed:>4}  {start:<10} {acc:>18.0%} {seconds:>8.2f}  {ok}", flush=True)


if __name__ == "__main__":
    main()
