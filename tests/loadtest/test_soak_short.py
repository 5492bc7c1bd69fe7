"""The soak test (tests/loadtest/soak.py, `make soak`: 200 learners over an hour) in two minutes:
12 learners come and go, and the same checks hold, scaled, with the memory compared to its level
after the first 30 s instead of ten minutes.

It runs soak.py in a child process with its own server, so a server crash shows as a failed exit.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server for two minutes

HERE = Path(__file__).resolve().parent


def test_two_minutes_of_learners_coming_and_going_leave_the_server_as_it_was(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, str(HERE / "soak.py"), "--sessions", "12", "--minutes", "2", "--reference-minutes", "0.5",
         "--sample-seconds", "2", "--visit-seconds", "30", "--out", str(tmp_path / "soak.md"), "--json", str(out)],
        cwd=HERE.parents[1], capture_output=True, text=True, timeout=600,
    )
    assert out.exists(), f"the soak wrote no figures:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    figures = json.loads(out.read_text())
    failed = [f"{name}: {what}" for name, passed, what in figures["checks"] if not passed]
    assert failed == [], "\n".join(failed + figures["log_problems"][:10] + [str(e) for e in figures["errors"][:10]])
    assert figures["learners"] == 12 and figures["runs_finished"] + figures["runs_left"] == 12
    assert figures["runs_left"] == 2 and figures["slider_moves"] >= 24  # every learner moved sliders on two pages
    assert figures["final"]["sessions_released"] >= 12
    assert len(figures["samples"]) >= 30  # a sample every 2 s over 2 minutes
    assert proc.returncode == 0, proc.stdout[-3000:]
