"""Watching a real server from outside: its log, its resident memory, and what it holds for its sessions.

    server = start_logged_server(port, status_port, log_path, env)  # streamlit run app.py, log kept
    server_status(status_port)    # pages/server/leaving.py's tables: sessions, jobs, running, waiting
    wait_for_status(status_port, lambda s: s["sessions"] == 0, timeout=60)
    log_problems(log_path)        # lines of the log that say something went wrong

The status comes from the server's read-only JSON endpoint (CONVLAB_STATUS_PORT), which
start_logged_server turns on.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_helpers import wait_until_healthy  # noqa: E402

# What a line of the server's log looks like when something went wrong: a traceback, a Python
# exception's name, or a message logged at error level (the format below names the level).
PROBLEM = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b| (ERROR|CRITICAL) ")


def start_logged_server(port, status_port, log_path, env=None):
    """`streamlit run app.py` on 127.0.0.1:port with its output in log_path; the Popen once it answers."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--logger.messageFormat", "%(asctime)s %(levelname)s %(name)s: %(message)s"]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {}), "CONVLAB_STATUS_PORT": str(status_port)})
    log.close()  # the child has its own copy
    return wait_until_healthy(proc, port, 90, lambda: f":\n{Path(log_path).read_text()[-2000:]}")


def server_status(status_port):
    """The server's tables (pages/server/leaving.py status()), or None before its first session."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{status_port}/", timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return None


def wait_for_status(status_port, done, timeout):
    """Poll the status until done(status) is true; returns the last status (check it again)."""
    deadline = time.monotonic() + timeout
    status = server_status(status_port)
    while time.monotonic() < deadline and not (status is not None and done(status)):
        time.sleep(0.5)
        status = server_status(status_port)
    return status


def rss_of(pid):
    """The process's resident memory in MB (VmRSS in /proc/<pid>/status), NaN once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def log_problems(log_path):
    """The lines of the server's log that tell of an error (empty when all went well)."""
    return [line for line in Path(log_path).read_text(errors="replace").splitlines() if PROBLEM.search(line)]
