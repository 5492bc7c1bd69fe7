"""Sessions that leave free what they held: their runs, their place in the queue, their state.

A browser tab's session ends when its websocket closes. Streamlit keeps a closed session for two
minutes, so that a tab that reconnects after a network blip finds its state, and then drops it;
nothing in that tells a training run that its learner has gone. Before this module, such a run
trained on until the idle limit (CONVLAB_IDLE_MINUTES), a queued one kept its place in the
line, and the session's models, curves and data sets stayed until garbage collection got to them.

    note_session()     app.py, every script run: this session is one to watch
    own(job)           BackgroundJob.start(): this job belongs to the session that started it
    status()           the tables' sizes, for the status endpoint and the tests

A watcher thread looks at the sessions it knows every few seconds. One that Streamlit no longer
has connected for CONVLAB_LEAVE_SECONDS (default 120, Streamlit's own reconnect window) is let
go: its jobs are stopped (a queued job leaves the line, a running one gives its place to the
next), Streamlit closes the session, so its state goes with it, and, once nothing trains, the
memory freed is handed back to the system.

CONVLAB_STATUS_PORT, when set, serves status() as JSON on http://127.0.0.1:PORT/ (read only;
for load tests and monitoring, off by default).
"""

import ctypes
import gc
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pages.server.limits import _int_from_env, current_limits
from pages.server.run_queue import SERVER_QUEUE

log = logging.getLogger("convlab.leaving")


def _session_id():
    """The id of the Streamlit session running this script, or None outside a served app
    (a plain script, a test, an AppTest run, which has no Runtime)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return None
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not Runtime.exists():
        return None
    return ctx.session_id


@dataclass
class _Watched:
    jobs: list = field(default_factory=list)   # BackgroundJobs this session started, still alive
    gone_since: float = None                    # monotonic time it was first seen disconnected


class Departures:
    """The sessions of a served app and their jobs; lets go of those that have left.

    is_connected(session_id) and close(session_id) speak to Streamlit (tests give their own).
    """

    def __init__(self, queue=SERVER_QUEUE, is_connected=None, close=None, grace=None, every=None):
        self.queue = queue
        self._is_connected = is_connected or _streamlit_is_connected
        self._close = close or _streamlit_close
        self._grace = grace
        self._every = every
        self._lock = threading.Lock()
        self._sessions = {}         # session id -> _Watched
        self.released = 0           # sessions let go so far
        self.jobs_stopped = 0       # jobs those sessions still had alive
        self._memory_to_hand_back = False
        self._thread = None

    @property
    def grace(self):
        return self._grace if self._grace is not None else current_limits().leave_seconds

    # ---------------------------------------------------------------- what the pages call
    def note(self, session_id):
        if session_id is None:
            return
        with self._lock:
            watched = self._sessions.setdefault(session_id, _Watched())
            watched.gone_since = None
        self._start_watching()

    def own(self, job, session_id):
        """Tie a job to a session: the job stops when the session is let go."""
        if session_id is None:
            return
        with self._lock:
            self._sessions.setdefault(session_id, _Watched()).jobs.append(job)
        self._start_watching()

    # ---------------------------------------------------------------- the watcher
    def sweep(self, now=None):
        """Look at every session once; let go of those gone for the grace period. Returns their ids."""
        now = time.monotonic() if now is None else now
        leaving = []
        with self._lock:
            items = list(self._sessions.items())
            for _, watched in items:
                watched.jobs = [job for job in watched.jobs if job.alive]  # finished jobs: nothing to stop
        for sid, watched in items:
            if self._is_connected(sid):
                watched.gone_since = None
            elif watched.gone_since is None:
                watched.gone_since = now
            elif now - watched.gone_since >= self.grace:
                leaving.append(sid)
        for sid in leaving:
            self._let_go(sid)
        # the runs just stopped give their places back at their next step: a later sweep trims
        self._memory_to_hand_back |= bool(leaving)
        if self._memory_to_hand_back and self.queue.running == 0 and self.queue.waiting == 0:
            self._memory_to_hand_back = False
            hand_back_memory()
        return leaving

    def _let_go(self, sid):
        if self._is_connected(sid):  # came back a moment ago
            return
        with self._lock:
            watched = self._sessions.pop(sid, None)
        if watched is None:
            return
        for job in watched.jobs:
            job.stop(reason="Stopped: its learner left the page.")
        self.released += 1
        self.jobs_stopped += len(watched.jobs)
        try:
            self._close(sid)
        except Exception:  # noqa: BLE001  (a session Streamlit has dropped already: nothing to close)
            log.exception("closing a session that had left")
        log.info("a session left: %d job(s) stopped", len(watched.jobs))

    def _watch(self):
        while True:
            time.sleep(self._every or min(5.0, max(self.grace / 4, 0.5)))
            try:
                self.sweep()
            except Exception:  # noqa: BLE001  (the watcher must outlive a bad sweep)
                log.exception("looking for sessions that have left")

    def _start_watching(self):
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="convlab-departures", daemon=True)
                self._thread.start()
                _serve_status_if_asked(self)

    def status(self):
        """The sizes of the tables: what a server holds for its sessions and their jobs."""
        with self._lock:
            watched = list(self._sessions.values())
        return {
            "sessions": len(watched),
            "sessions_leaving": sum(w.gone_since is not None for w in watched),
            "jobs": sum(job.alive for w in watched for job in w.jobs),
            "running": self.queue.running,
            "waiting": self.queue.waiting,
            "sessions_released": self.released,
            "jobs_stopped": self.jobs_stopped,
            "python_objects": len(gc.get_objects()),  # a leak grows it; cheap beside a page's run
        }


def _streamlit_is_connected(session_id):
    from streamlit.runtime import Runtime

    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def _streamlit_close(session_id):
    """Close a disconnected session that Streamlit keeps for a reconnect, from any thread.

    Streamlit's one thread-safe way to do so is the one it uses on logout: it marks the id as
    not to be resumed (a tab that comes back later gets a fresh session, as it would after
    Streamlit's own two minutes) and closes the stored session on its event loop.
    """
    from streamlit.runtime import Runtime

    if Runtime.exists() and not Runtime.instance().is_active_session(session_id):
        Runtime.instance().clear_user_info_for_session(session_id)


def hand_back_memory():
    """Collect what the sessions left and give glibc's free pages back to the system.

    engine.configure() asks malloc to keep freed memory for the next training step's arrays;
    once nothing trains, that memory is only the server's resident size. Returns whether it
    could (glibc only).
    """
    gc.collect()
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


_status_server = None


def _serve_status_if_asked(departures):
    """Serve departures.status() as JSON on 127.0.0.1:CONVLAB_STATUS_PORT (when set)."""
    global _status_server
    port = _int_from_env("CONVLAB_STATUS_PORT", 0, minimum=0)
    if not port or _status_server is not None:
        return

    class Status(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (the name http.server calls)
            body = json.dumps(departures.status()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # no line in the server's log for every poll
            pass

    try:
        _status_server = ThreadingHTTPServer(("127.0.0.1", port), Status)
    except OSError as err:
        log.error("cannot serve the status on port %d: %s", port, err)
        return
    threading.Thread(target=_status_server.serve_forever, name="convlab-status", daemon=True).start()


DEPARTURES = Departures()


def note_session():
    """app.py's hook, every script run: watch this session (nothing outside a served app)."""
    DEPARTURES.note(_session_id())


def own(job):
    """BackgroundJob.start(): the job belongs to the session running this script, if any."""
    DEPARTURES.own(job, _session_id())


def status():
    return DEPARTURES.status()
