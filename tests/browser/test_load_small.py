"""A small class on one server: 6 browser sessions, one of them training, for about half a minute.

Runs tests/loadtest/loadtest.py (the full `make loadtest` uses 30 sessions and 4 training) in a
child process with its own server, so a crash shows as a failed exit code. Every session must
finish without an error, the training run must finish, and sliders must answer; the latency
bound is loose because CI machines are shared, the full load test reports the real figures.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, ROOT


def test_six_sessions_with_one_training_stay_responsive(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "loadtest" / "loadtest.py"), "--sessions", "6",
         "--trainers", "1", "--train-size", "1000", "--min-seconds", "20", "--max-seconds", "120",
         "--out", str(tmp_path / "results.md"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400,
    )
    assert out.exists(), f"the load test wrote no figures:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    figures = json.loads(out.read_text())
    assert figures["errors"] == [], "\n".join(figures["errors"][:20])
    assert figures["runs_finished"] == 1, figures["runs"]
    assert figures["slider_changes"] >= 10, figures
    assert figures["p95_s"] < 5.0, f"95% of slider changes took up to {figures['p95_s']} s"
    assert proc.returncode == 0, proc.stdout[-3000:]
