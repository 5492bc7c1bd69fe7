"""How long every lesson page takes to rerun after a widget moves, on a quiet and on a busy server.

    make bench                       (runs this among the other benchmarks)
    python tests/benchmarks/bench_pages.py [--runs 30] [--pages filter2d,volumes] [--no-load]

Each lesson page runs in Streamlit's AppTest, once at its default settings and once at the
largest settings it allows (the biggest image, kernel, stack or grid), and one widget is moved
to a new value RUNS times; the time of each rerun (the page script on the server with
AppTest's own handling) is taken. The targets on a quiet server: a median under 100 ms and no
rerun over 300 ms. Then the same with two busy processes beside it (this script starts and
stops them), as on a classroom server that is also training: no rerun over 1 s.

The first run of each page (kernels loaded from Numba's cache, data loaded once per server) is
reported apart; the load average is printed next to each table.
"""

import argparse
import io
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import engine  # noqa: E402

# AppTest's note that the pages' cached loaders ran outside a script run
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(lambda record: False)

QUIET = (0.100, 0.300)  # median, slowest (s)
BUSY = (None, 1.0)      # with two busy processes: only the slowest counts
BUSY_LOOP = "while True: pass"


@dataclass
class Case:
    """One page at one setting: what goes into the session first, the widget moved and its values.

    widget: (kind, key or label), e.g. ("slider", "theta"); kind None only reruns the page.
    """

    name: str
    widget: tuple
    values: list
    settings: dict = field(default_factory=dict)
    upload: tuple = None  # (key, file name, bytes): set on the upload box before timing


def png(side, seed=0):
    """A side x side grey PNG of noise and stripes: the largest upload filter2d keeps."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side]
    img = 127 + 60 * np.sin(x / 7.0) * np.cos(y / 11.0) + rng.normal(0, 30, (side, side))
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def saved_digit_net():
    from engine import nn

    buf = io.BytesIO()
    nn.digit_net(seed=0).save(buf)
    return buf.getvalue()


def cases():
    """{page file: [default case, extreme case]}."""
    from engine.lessons.quiz import MAKERS

    quiz_kinds = list(MAKERS)[1:] + list(MAKERS)[:1]
    theta = list(range(0, 181, 7))
    BIG_UPLOAD = ("An image file (PNG or JPEG)", "big.png", None)  # noqa: N806  # every value a new kernel: the feature map is computed each time
    return {
        "pages/home.py": [
            Case("default", ("text_input", "join_name"), ["Ada", "Grace", "Alan"]),
            Case("long name", ("text_input", "join_name"), ["A" * 60, "B" * 60]),
        ],
        "pages/conv1d.py": [
            Case("default", ("slider", "pos"), [0, 3, 6, 2]),
            Case("40-sample signal, 40-tap kernel", ("slider", "pos"), [0, 25, 50, 78],
                 {"x": ",".join(str(i % 10) for i in range(40)), "w": ",".join(str(i % 3) for i in range(40))}),
        ],
        "pages/filter2d.py": [
            Case("default, step-through", ("slider", "row"), [1, 2, 0]),
            Case("default, sigma of a Gaussian", ("slider", "sigma"), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0],
                 {"kernel": "gaussian", "size": 5}),
            Case("512x512 upload, 15x15 Gabor angle", ("slider", "theta"), theta,
                 {"source": "upload", "kernel": "gabor"}, upload=BIG_UPLOAD),
            Case("512x512 upload, 11x11 box, step-through", ("slider", "col"), [1, 2, 0],
                 {"source": "upload", "kernel": "box", "size": 11}, upload=BIG_UPLOAD),
        ],
        "pages/stride_padding.py": [
            Case("default", ("slider", "n"), [8, 9, 7]),
            Case("64x64, F 11, P 8, D 4", ("slider", "n"), [63, 64],
                 {"n": 64, "f": 11, "padding": 8, "dilation": 4}),
        ],
        "pages/volumes.py": [
            Case("default", ("slider", "k"), [9, 11, 10]),
            Case("128x128, 64 filters of 11x11", ("slider", "k"), [63, 64], {"side": 128, "k": 64, "f": 11}),
        ],
        "pages/layer_calculator.py": [
            Case("default", ("number_input", "in_h"), [30, 32, 34]),
            Case("VGG-16 on 4096x4096", ("number_input", "in_h"), [4095, 4096],
                 {"preset": "VGG-16", "in_w": 4096, "in_h": 4096}),
        ],
        "pages/activations.py": [
            Case("default", ("slider", "depth"), [9, 11, 10]),
            Case("30 layers, bias 5", ("slider", "depth"), [29, 30], {"depth": 30, "bias": 5.0}),
        ],
        "pages/pooling.py": [
            Case("default", ("slider", "shift"), [1, 2, 3, 0]),
            Case("4x4 windows, stride 1", ("slider", "shift"), [1, 2, 3, 0], {"size": 4, "stride": 1}),
        ],
        "pages/backprop.py": [
            Case("default", ("number_input", "w"), [1.5, 2.5, 2.0]),
            Case("backward, lambda 10", ("number_input", "w"), [9.5, 10.0], {"phase": "backward", "lam": 10.0}),
        ],
        "pages/receptive_field.py": [
            Case("default", ("slider", "row"), [2, 4, 3]),
            Case("first layer, corner units", ("slider", "row"), [26, 27], {"layer": 0, "col": 27}),
        ],
        "pages/train.py": [
            Case("default", ("slider", "epochs"), [2, 3, 1]),
            Case("largest network", ("slider", "epochs"), [19, 20],
                 {"conv1_filters": 32, "conv2_filters": 64, "dense_units": 1024, "conv1_size": 7,
                  "conv2_size": 5, "train_size": 60000, "batch_norm": True}),
        ],
        "pages/draw.py": [
            Case("default", ("slider", "Pen width"), [21, 22, 20]),
            Case("a test digit", ("number_input", "Test digit number"), [9998, 9999, 0],
                 {"_radio:Digit": "a test digit"}),
        ],
        "pages/what_it_learned.py": [
            Case("default", ("slider", "filter"), [1, 2, 3, 4, 5, 6, 7, 0]),
            Case("occlusion, stride 1", ("slider", "size"), [3, 4, 5, 6, 7, 8, 9],
                 {"view": "occlusion", "stride": 1}),
        ],
        "pages/own_classes.py": [
            Case("default", ("slider", "own_epochs"), [61, 62, 60]),
            Case("10 classes, every example shown", ("slider", "own_epochs"), [99, 100],
                 {"own_names": ", ".join(f"class{i}" for i in range(10)), "own_show_all": True}),
        ],
        "pages/compare.py": [
            Case("default", (None, None), [None]),
            Case("a saved model uploaded", (None, None), [None], upload=("model_upload", "net.npz", "model")),
        ],
        "pages/grid_search.py": [
            Case("default", ("slider", "epochs"), [2, 3, 1]),
            Case("6 x 5 grid, 20,000 images, 5 epochs", ("slider", "epochs"), [4, 5],
                 {"lrs": "0.00001, 0.0001, 0.001, 0.01, 0.1, 1", "batches": "16, 32, 64, 128, 256",
                  "train_size": 20000}),
        ],
        "pages/check_yourself.py": [
            Case("default", ("selectbox", "kind"), quiz_kinds),
            Case("question 1,000,000", ("selectbox", "kind"), quiz_kinds, {"seed": 1_000_000}),
        ],
        "pages/teacher.py": [
            Case("default", ("number_input", "class_size"), [90, 100]),
            Case("a class of 1,000", ("number_input", "class_size"), [999, 1000], {"class_size": 1000}),
        ],
    }


def find(at, kind, ident):
    """The widget of this kind whose key (or, for widgets without one, label) is ident."""
    for w in getattr(at, kind):
        if w.key == ident or (w.key is None and w.label == ident):
            return w
    return None


def prepare(page, case, uploads):
    """An AppTest of the page with the case's settings in, after its first run; returns (at, seconds)."""
    script = "app.py" if page == "pages/home.py" else page  # home links to pages only app.py sets up
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    radios = {k.split(":", 1)[1]: v for k, v in case.settings.items() if k.startswith("_radio:")}
    for key, value in case.settings.items():
        if not key.startswith("_radio:"):
            at.session_state[key] = value
    start = time.perf_counter()
    at.run()
    for label, value in radios.items():  # widgets without a key: chosen as a person would
        find(at, "radio", label).set_value(value)
        at.run()
    if case.upload:
        key, name, data = case.upload
        box = next(b for b in at.get("file_uploader") if b.key == key or b.label == key)
        box.set_value((name, uploads[data], "application/octet-stream"))
        at.run()
    return at, time.perf_counter() - start


def time_case(page, case, runs, uploads):
    """(first run s, [rerun s]) for one case; raises if the page shows an exception."""
    at, first = prepare(page, case, uploads)
    kind, ident = case.widget
    if kind is not None and find(at, kind, ident) is None:
        raise RuntimeError(f"{page}: no {kind} {ident!r} at '{case.name}'")
    times = []
    for i in range(runs):
        if kind is not None:
            find(at, kind, ident).set_value(case.values[i % len(case.values)])
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(f"{page} at '{case.name}': {at.exception[0].value}")
    return first, times


def verdict(median, slowest, targets):
    med_ok = targets[0] is None or median < targets[0]
    return "PASS" if med_ok and slowest < targets[1] else "MISS"


def table(title, selected, runs, targets, uploads):
    """Print one table; returns the number of misses."""
    target = (f"median < {1000 * targets[0]:.0f} ms, " if targets[0] else "") + f"slowest < {1000 * targets[1]:.0f} ms"
    print(f"\n{title} ({runs} reruns each; target {target}; load average at start "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())})", flush=True)
    print(f"| {'page':<18} | {'setting':<40} | {'first':>7} | {'median':>7} | {'slowest':>7} | {'':4} | load |")
    print(f"|{'-' * 20}|{'-' * 42}|{'-' * 9}|{'-' * 9}|{'-' * 9}|------|------|")
    misses = 0
    for page, page_cases in selected.items():
        for case in page_cases:
            first, times = time_case(page, case, runs, uploads)
            median, slowest = float(np.median(times)), max(times)
            result = verdict(median, slowest, targets)
            misses += result == "MISS"
            print(f"| {Path(page).stem:<18} | {case.name[:40]:<40} | {1000 * first:>5.0f}ms | {1000 * median:>5.0f}ms"
                  f" | {1000 * slowest:>5.0f}ms | {result} | {os.getloadavg()[0]:4.1f} |", flush=True)
    return misses


def start_busy(n):
    """n processes that keep a core busy each (what other sessions' training does to a server)."""
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(n)]


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="reruns per page and setting")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: every lesson page)")
    parser.add_argument("--no-load", action="store_true", help="skip the table with two busy processes")
    parser.add_argument("--only-load", action="store_true", help="only the table with two busy processes")
    args = parser.parse_args()
    engine.configure()  # as app.py does
    from pages.ui.lessons import available_lessons

    all_cases = cases()
    wanted = {p.strip() for p in args.pages.split(",") if p.strip()}
    selected = {lesson.path: all_cases[lesson.path] for lesson in available_lessons()
                if lesson.path in all_cases and (not wanted or lesson.url_path in wanted)}
    missing = [lesson.path for lesson in available_lessons() if lesson.path not in all_cases]
    if missing:
        print(f"no benchmark case for {', '.join(missing)}: add one to cases()", flush=True)
    uploads = {None: png(512), "model": saved_digit_net()}
    print(f"Lesson pages: a rerun after a widget moves ({os.cpu_count()} cores)", flush=True)
    misses = 0
    if not args.only_load:
        misses += table("Quiet", selected, args.runs, QUIET, uploads)
    if not args.no_load:
        busy = start_busy(2)
        try:
            time.sleep(2)
            misses += table("Two busy processes beside the server", selected, args.runs, BUSY, uploads)
        finally:
            stop(busy)
    print(f"\n{misses} miss(es); load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
