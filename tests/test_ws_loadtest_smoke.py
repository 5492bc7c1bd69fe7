"""A small class through Streamlit's websocket protocol: 2 learners moving sliders, 1 training.

Runs tests/loadtest/ws_loadtest.py (the full run uses 30 sessions and 4 training) in a child
process with its own server for about 15 s, so a server crash shows as a failed exit code.
Every slider change must get the script_finished of its rerun with a figure in it, the run on
1,000 digits must finish and show its test accuracy, and no session may see an exception. The
second test runs its class mode (--classroom): 4 students join one class, one answers questions,
one trains, the teacher's board refreshes and sends a link, and all of it must be on the board.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server and a training run

ROOT = Path(__file__).resolve().parents[1]  # not from conftest: tests/browser has one too


def test_websocket_learners_get_every_rerun_and_the_run_finishes(tmp_path):
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "loadtest" / "ws_loadtest.py"), "--sessions", "3",
         "--trainers", "1", "--train-size", "1000", "--pages", "stride_padding,pooling",
         "--min-seconds", "12", "--max-seconds", "60", "--out", "", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert out.exists(), f"the load test wrote no figures:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    figures = json.loads(out.read_text())
    assert figures["errors"] == [], "\n".join(figures["errors"][:20])
    # The page shows the test accuracy only after a fragment rerun has seen the run end, so a
    # finished run also means the client's answers to auto_rerun worked.
    assert figures["runs_finished"] == 1, figures["runs"]
    assert figures["runs"][0]["test_accuracy"].endswith("%"), figures["runs"]
    assert figures["lesson_pages"] == ["stride_padding", "pooling"], figures["lesson_pages"]
    assert set(figures["by_page"]) == {"stride_padding", "pooling"}, figures["by_page"]
    # every slider change sent got the script_finished of its rerun, none timed out
    assert figures["slider_changes"] >= 4, figures
    assert figures["slider_changes"] == figures["sent_changes"], figures
    assert figures["timed_out_changes"] == 0, figures
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_a_small_class_joins_answers_trains_and_is_all_on_the_board(tmp_path):
    """The same harness in class mode: every session joins one class, the teacher's board refreshes."""
    out = tmp_path / "class.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "loadtest" / "ws_loadtest.py"), "--classroom", "--sessions", "4",
         "--trainers", "1", "--answerers", "1", "--answer-think", "0.5", "1", "--train-size", "1000",
         "--pages", "stride_padding",
         "--min-seconds", "12", "--max-seconds", "60", "--out", "", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert out.exists(), f"the load test wrote no figures:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    figures = json.loads(out.read_text())
    assert figures["errors"] == [], "\n".join(figures["errors"][:20])
    c = figures["classroom"]
    assert c["joined"] == c["on_board"] == 4
    assert c["answers_checked"] >= 2 and c["answers_missing"] == 0
    assert c["runs_finished"] == c["runs_on_board"] == 1
    assert figures["board_latency"]["n"] >= 3 and c["saw_push"] >= 1
    assert proc.returncode == 0, proc.stdout[-3000:]
