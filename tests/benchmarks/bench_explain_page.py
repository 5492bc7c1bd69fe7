"""How long the "What the network learned" page takes to rerun when a slider moves, per view.

    make bench            (runs this after bench_explain.py)

Runs pages/what_it_learned.py in Streamlit's AppTest on the pretrained network, moves each
view's slider to a new value RUNS times, and prints the median and slowest time of a rerun
(the script run on the server, with AppTest's own handling; the bar: a median under 300 ms).
The first run of each view, which finds the top patches or projects the features once per
server, is reported apart.
"""

import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

# AppTest's note that the page's cached loaders ran outside a script run
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(lambda record: False)
RUNS = 21
# view, the slider moved, the values it steps through, other settings
VIEWS = [
    ("filters", "filter", list(range(16)), {"layer": 4}),
    ("occlusion", "size", [3, 4, 5, 6, 7, 8, 9], {"stride": 1}),
    ("features", "shown", [2000, 1500, 1000, 500], {}),
]


def main():
    print("What the network learned: a rerun after a slider moves (ms)", flush=True)
    print(f"{'view':<12} {'slider':<8} {'first run':>10} {'median':>8} {'slowest':>8}")
    for view, slider, values, settings in VIEWS:
        at = AppTest.from_file(str(ROOT / "pages" / "what_it_learned.py"), default_timeout=120)
        at.session_state["view"] = view
        for key, value in settings.items():
            at.session_state[key] = value
        t = time.perf_counter()
        at.run()
        first = time.perf_counter() - t
        times = []
        for i in range(RUNS):
            at.slider(key=slider).set_value(values[(i + 1) % len(values)])
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
            assert not at.exception, at.exception
        print(f"{view:<12} {slider:<8} {1000 * first:>10.0f} {1000 * np.median(times):>8.0f} "
              f"{1000 * max(times):>8.0f}", flush=True)


if __name__ == "__main__":
    main()
