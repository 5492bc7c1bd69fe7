"""Load test without browsers: many learners speaking Streamlit's websocket protocol to one server.

Starts the real Streamlit server on a free localhost port (as loadtest.py does) and opens one
websocket session per learner at ws://127.0.0.1:PORT/_stcore/stream. Each session sends the
same protobuf messages the Streamlit frontend sends (BackMsg.rerun_script with a ClientState:
page, query string, widget states) and reads the ForwardMsgs it gets back (new_session,
navigation, deltas, script_finished, auto_rerun, ...):

- most learners open a lesson page, find its sliders in the deltas and keep moving the first
  one a step at a time, pausing 1 to 3 s; each change is timed from sending the new widget
  state to the script_finished of that rerun and the download of the images it shows;
- a few learners open the training page, press Start (a trigger widget state) and answer the
  page's st.fragment(run_every=...) with a fragment rerun every interval, as the browser does,
  until the run ends and the test accuracy is shown.

A client costs a few milliseconds of CPU per message, so on a 2-core machine the figures are
the server's, not those of 30 browser tabs. It prints a table and writes
tests/loadtest/ws_results.md (or --out).

    .venv/bin/python tests/loadtest/ws_loadtest.py                        # 30 sessions, 4 training
    .venv/bin/python tests/loadtest/ws_loadtest.py --sessions 6 --trainers 1 --min-seconds 20
"""

import argparse
import asyncio
import concurrent.futures
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from loadtest import Results, add_class_arguments, cpu_seconds, percentile, report_tail, sample_memory  # noqa: E402
from loadtest import LESSON_PAGES as _BROWSER_LESSON_PAGES  # noqa: E402

from browser_helpers import free_port, start_server, stop_server  # noqa: E402  (path set by loadtest)

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.Slider_pb2 import Slider  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from engine.lessons.quiz import make_question  # noqa: E402

# Lesson pages with a slider that the class moves (the backprop lesson has none).
LESSON_PAGES = [p for p in _BROWSER_LESSON_PAGES if p != "backprop"]

FINISHED_COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
FINISHED_EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FINISHED_FRAGMENT = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

SELECT_SLIDER = Slider.SELECT_SLIDER
INT = Slider.INT

# What the teacher sends the class to halfway through a class load test.
PUSH_LINK = "pooling?size=3&stride=1"

# Elements that draw something: what a learner looks at after moving a slider.
FIGURE_TYPES = {"imgs", "vega_lite_chart", "html", "plotly_chart", "deck_gl_json_chart", "graphviz_chart"}



class Run:
    """What one script run (full or fragment) sent to the session."""

    def __init__(self, run_id="", fragment=False):
        self.run_id = run_id
        self.fragment = fragment
        self.status = None
        self.figures = 0
        self.explained = 0           # messages or captions: a page may say why it draws nothing
        self.images = []             # media URLs of st.image / st.pyplot
        self.sliders = {}            # widget id -> Slider proto, in page order
        self.buttons = {}            # label -> widget id
        self.metrics = {}            # label -> shown value
        self.progress = ""           # text of the last progress bar
        self.exceptions = []         # "Type: message"
        self.error_alerts = []       # st.error bodies
        self.text_inputs = {}        # label -> widget id
        self.alerts = []             # bodies of st.info, st.success, ... (a class's banner is one)


class WsSession:
    """One learner's browser tab, reduced to its websocket conversation with the server."""

    def __init__(self, port, who, res, timeout=30.0, headers=None):
        self.port = port
        self.headers = headers       # e.g. nginx's backend cookie
        self.who = who
        self.res = res
        self.timeout = timeout
        self.ws = None
        self.page_hash = ""
        self.query = ""
        self.widget_states = {}      # widget id -> WidgetState sent with every rerun
        self.run = Run()
        self.last_full = None        # the last finished full run
        self.waiter = None           # future resolved by the next finished full run
        self.auto_reruns = {}        # fragment id -> (interval, task)
        self.fragment_sent = []      # send times of fragment reruns not answered yet
        self.fragment_latencies = []
        self.on_progress = None      # callback(text) for progress bars
        self.closing = False
        self.reader = None
        self.name = ""
        self.app_pages = {}          # url path -> page script hash, from the navigation message
        self.last_fragment = None    # the last finished fragment run
        self.saw_push = False        # a banner with the teacher's link appeared

    # ------------------------------------------------------------------ connection
    async def connect(self):
        self.ws = await connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                max_size=None, ping_interval=None, open_timeout=60, close_timeout=5,
                                additional_headers=self.headers)
        self.reader = asyncio.create_task(self._read())

    async def close(self):
        self.closing = True
        for _, task in self.auto_reruns.values():
            task.cancel()
        self.auto_reruns.clear()
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=5)

    async def _read(self):
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except Exception as err:  # noqa: BLE001
            if not self.closing:
                self.res.error(self.who, f"websocket: {type(err).__name__}: {str(err)[:150]}")
        finally:
            if not self.closing:
                self.res.error(self.who, "the server closed the websocket")
                if self.waiter is not None and not self.waiter.done():
                    self.waiter.set_exception(ConnectionError("websocket closed"))

    # ------------------------------------------------------------------ messages from the server
    def _handle(self, msg):
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            fragment = bool(msg.metadata.run.fragment_ids)
            self.run = Run(msg.metadata.run.script_run_id, fragment)
            if not fragment:  # the frontend drops its auto-rerun timers at every full run
                self._stop_auto_reruns(list(self.auto_reruns))
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
            self.app_pages = {p.url_pathname or "home": p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
        elif kind == "auto_rerun":
            self._start_auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._stop_auto_reruns(list(msg.stop_auto_rerun.fragment_ids))
        elif kind == "page_not_found":
            self.res.error(self.who, f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "session_event":
            if msg.session_event.HasField("script_compilation_exception"):
                e = msg.session_event.script_compilation_exception
                self.res.error(self.who, f"script compilation error: {e.type}: {e.message[:150]}")
        elif kind == "script_finished":
            self._finished(msg.script_finished)

    def _element(self, el):
        kind = el.WhichOneof("type")
        run = self.run
        if kind in FIGURE_TYPES or (kind == "markdown" and el.markdown.allow_html and "<" in el.markdown.body):
            run.figures += 1
        if kind == "alert" or (kind == "markdown" and el.markdown.element_type == el.markdown.CAPTION):
            run.explained += 1
        if kind == "imgs":
            run.images += [i.url for i in el.imgs.imgs if i.url.startswith("/")]
        elif kind == "slider":
            slider = Slider()
            slider.CopyFrom(el.slider)
            run.sliders[slider.id] = slider
        elif kind == "button":
            run.buttons[el.button.label] = el.button.id
        elif kind == "metric":
            run.metrics[el.metric.label] = el.metric.body
        elif kind == "progress":
            run.progress = el.progress.text
            if self.on_progress is not None:
                self.on_progress(el.progress.text)
        elif kind == "exception":
            what = "warning" if el.exception.is_warning else "exception"
            run.exceptions.append(f"{what} {el.exception.type}: {el.exception.message[:150]}")
        elif kind == "text_input":
            run.text_inputs[el.text_input.label] = el.text_input.id
        if kind == "alert":
            run.alerts.append(el.alert.body)
            if "pushed=" in el.alert.body:
                self.saw_push = True
            if el.alert.format == 1:  # Alert.ERROR
                run.error_alerts.append(el.alert.body[:150])

    def _finished(self, status):
        run, now = self.run, time.perf_counter()
        run.status = status
        for text in run.exceptions:
            self.res.error(self.who, f"{self.name}: {text}")
        if status == FINISHED_COMPILE_ERROR:
            self.res.error(self.who, f"{self.name}: the script did not compile")
        if run.fragment:
            if status == FINISHED_FRAGMENT:
                self.last_fragment = run
                if self.fragment_sent:
                    self.fragment_latencies.append(now - self.fragment_sent[0])
                    self.fragment_sent.clear()
            return
        if status == FINISHED_EARLY:  # interrupted by a newer rerun: wait for that one
            return
        self.last_full = run
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((now, run))

    def _start_auto_rerun(self, fragment_id, interval):
        if not fragment_id:
            return
        if fragment_id in self.auto_reruns and self.auto_reruns[fragment_id][0] == interval:
            return
        self._stop_auto_reruns([fragment_id])
        self.auto_reruns[fragment_id] = (interval, asyncio.create_task(self._auto_rerun(fragment_id, interval)))

    def _stop_auto_reruns(self, fragment_ids):
        for fid in fragment_ids:
            entry = self.auto_reruns.pop(fid, None)
            if entry is not None:
                entry[1].cancel()

    async def _auto_rerun(self, fragment_id, interval):
        """The browser's setInterval: ask for a fragment rerun every `interval` seconds."""
        try:
            while True:
                await asyncio.sleep(interval)
                self.fragment_sent.append(time.perf_counter())
                await self.send_rerun(fragment_id=fragment_id, auto=True)
        except asyncio.CancelledError:
            pass
        except Exception as err:  # noqa: BLE001
            if not self.closing:
                self.res.error(self.who, f"fragment rerun: {type(err).__name__}: {str(err)[:150]}")

    # ------------------------------------------------------------------ messages to the server
    async def send_rerun(self, page_name="", triggers=(), fragment_id="", auto=False):
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        if not self.page_hash:
            cs.page_name = page_name
        for state in self.widget_states.values():
            cs.widget_states.widgets.add().CopyFrom(state)
        for wid in triggers:
            w = cs.widget_states.widgets.add()
            w.id = wid
            w.trigger_value = True
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = auto
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        await self.ws.send(msg.SerializeToString())

    async def rerun_and_wait(self, **kwargs):
        """Send a full rerun and wait for its script_finished; returns (seconds, Run)."""
        self.waiter = asyncio.get_running_loop().create_future()
        t0 = time.perf_counter()
        await self.send_rerun(**kwargs)
        t_end, run = await asyncio.wait_for(self.waiter, self.timeout)
        return t_end - t0, run

    async def fetch_images(self, run, previous):
        """Download the images of a run that the previous run did not show (the browser's <img> loads)."""
        old = set(previous.images) if previous is not None else set()
        urls = [u for u in dict.fromkeys(run.images) if u not in old]
        if urls:
            await asyncio.gather(*(self._get(u) for u in urls))

    async def _get(self, path):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            extra = "".join(f"{k}: {v}\r\n" for k, v in (self.headers or {}).items())
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{extra}Connection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), self.timeout)
        finally:
            writer.close()
        status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") else b"?"
        self.res.images_fetched += 1
        if status != b"200":
            self.res.error(self.who, f"{self.name}: image {path} answered {status.decode(errors='replace')}")

    def type_text(self, label, text, run=None):
        """Type into a text input of the last run (sent with every later rerun)."""
        wid = (run or self.last_full).text_inputs[label]
        self.widget_states[wid] = WidgetState(id=wid, string_value=text)

    async def click(self, label, run=None):
        """Press a button of the last run; returns (seconds, Run) of the rerun it causes."""
        return await self.rerun_and_wait(triggers=[(run or self.last_full).buttons[label]])

    async def navigate(self, name, query=""):
        """Go to another page of the app in this session, as a click in the sidebar does."""
        self.name = name
        self.page_hash = self.app_pages[name]
        self.query = query
        self.widget_states = {}
        _, run = await self.rerun_and_wait()
        await self.fetch_images(run, None)
        return run

    async def open(self, name, query=""):
        """Open a page like a new tab: connect, first run, its images. Returns seconds."""
        self.name = name
        self.query = query
        t0 = time.perf_counter()
        await self.connect()
        _, run = await self.rerun_and_wait(page_name=name)
        await self.fetch_images(run, None)
        return time.perf_counter() - t0


def run_apart(coro):
    """asyncio.run(coro) in a thread of its own: a test process may already run an event loop
    (Playwright's sync API keeps one in the main thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def slider_state(slider, index):
    """The WidgetState a browser sends for a slider moved to `index` (value, or option index)."""
    state = WidgetState(id=slider.id)
    if slider.type == SELECT_SLIDER:
        state.string_array_value.data.append(slider.options[int(index)])
    else:
        state.double_array_value.data.append(index)
    return state


def slider_value(slider, session):
    sent = session.widget_states.get(slider.id)
    if sent is not None:
        if slider.type == SELECT_SLIDER:
            return float(list(slider.options).index(sent.string_array_value.data[0]))
        return sent.double_array_value.data[0]
    values = slider.value if slider.set_value and len(slider.value) else slider.default
    return values[0] if len(values) else slider.min


def slider_bounds(slider):
    if slider.type == SELECT_SLIDER:
        return 0.0, float(len(slider.options) - 1), 1.0
    return slider.min, slider.max, slider.step or 1.0


# ---------------------------------------------------------------------- learners
async def join_class(s, joining):
    """Join a class from the home page as a student does: code, name, Join. joining: (code, name)."""
    code, name = joining
    await s.open("")
    s.type_text("Class code", code)
    s.type_text("Your name, as the teacher will see it", name)
    await s.rerun_and_wait()  # the Join button turns on once both are typed
    _, run = await s.click("Join")
    if not any("You are in the class" in body for body in run.alerts):
        raise RuntimeError(f"could not join the class as {name!r}: {run.error_alerts or run.alerts}")
    s.res.joined.append(name)


async def open_as_learner(s, name, query, joining):
    """A page's first response: a new tab, or (in a class) a page opened after joining on the home page."""
    t0 = time.perf_counter()
    if joining is None:
        await s.open(name, query)
    else:
        await join_class(s, joining)
        await s.navigate(name, query)
    return time.perf_counter() - t0


async def lesson_session(port, name, who, res, stop, rng, sem, think, timeout, joining=None):
    s = WsSession(port, who, res, timeout)
    try:
        async with sem:
            res.first_response.setdefault(name, []).append(await open_as_learner(s, name, "", joining))
        direction = 1
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(*think))  # looking at the result
            if stop.is_set():
                break
            sliders = [sl for sl in s.last_full.sliders.values() if not sl.disabled]
            if not sliders:
                res.error(who, f"{name}: no slider on the page")
                break
            slider = sliders[0]
            lo, hi, step = slider_bounds(slider)
            now = slider_value(slider, s)
            if now + step > hi + 1e-9:
                direction = -1
            elif now - step < lo - 1e-9:
                direction = 1
            new = now + direction * step
            if slider.data_type == INT and slider.type != SELECT_SLIDER:
                new = float(round(new))
            s.widget_states[slider.id] = slider_state(slider, new)
            previous = s.last_full
            res.sent_changes += 1
            t0 = time.perf_counter()
            try:
                server_s, run = await s.rerun_and_wait()
                await s.fetch_images(run, previous)
            except (asyncio.TimeoutError, TimeoutError):
                res.changes_timed_out += 1
                res.error(who, f"{name}: no script_finished within {timeout:g} s of a slider change")
                continue
            dt = time.perf_counter() - t0
            if run.figures == 0 and run.explained == 0:  # e.g. "the grids appear up to 24 cells"
                res.error(who, f"{name}: a rerun after a slider change drew no figure and said nothing")
            res.error_alerts += len(run.error_alerts)
            res.latencies.append(dt)
            res.server_latencies.append(server_s)
            res.latency_by_page.setdefault(name, []).append(dt)
            res.server_latency_by_page.setdefault(name, []).append(server_s)
    except Exception as err:  # noqa: BLE001
        res.error(who, f"{name}: {type(err).__name__}: {str(err)[:200]}")
    finally:
        res.saw_push += s.saw_push
        await s.close()


async def training_session(port, who, res, train_size, epochs, sem, timeout_s, rpc_timeout, joining=None):
    run_info = {"session": who, "images": train_size * epochs, "finished": False}
    res.runs.append(run_info)
    s = WsSession(port, who, res, rpc_timeout)
    speeds, shown = [], []

    def progress(text):
        m = re.search(r"([\d,]+) images/s", text)
        if m:
            value = float(m.group(1).replace(",", ""))
            if value > 0:
                (speeds if "running" in text else shown).append(value)

    s.on_progress = progress
    try:
        async with sem:
            res.first_response.setdefault("train", []).append(
                await open_as_learner(s, "train", f"train_size={train_size}&epochs={epochs}", joining))
        start = s.last_full.buttons.get("Start")
        if start is None:
            raise RuntimeError("no Start button on the training page")
        t0 = time.perf_counter()
        await s.rerun_and_wait(triggers=[start])
        deadline = t0 + timeout_s
        while time.perf_counter() < deadline:
            last = s.last_full
            if last is not None and "Test accuracy" in last.metrics:
                break
            if last is not None and last.error_alerts:
                res.error(who, f"train: {last.error_alerts[0]}")
                break
            await asyncio.sleep(0.25)
        else:
            res.error(who, f"training did not finish within {timeout_s:g} s")
        wall = time.perf_counter() - t0
        last = s.last_full
        if last is not None and "Test accuracy" in last.metrics:
            run_info["finished"] = True
            run_info["test_accuracy"] = last.metrics["Test accuracy"]
        run_info["wall_s"] = wall
        # A run shorter than the page's refresh shows its speed only once it has finished.
        run_info["images_per_s"] = statistics.median(speeds) if speeds else (shown[-1] if shown else float("nan"))
        run_info["fragment_reruns"] = len(s.fragment_latencies)
        res.fragment_latencies += s.fragment_latencies
    except Exception as err:  # noqa: BLE001
        res.error(who, f"train: {type(err).__name__}: {str(err)[:200]}")
    finally:
        res.saw_push += s.saw_push
        await s.close()


async def quiz_session(port, who, res, stop, rng, sem, think, timeout, joining):
    """A student in a class answering check-yourself questions: type, Check, Next question."""
    s = WsSession(port, who, res, timeout)
    kind, seed = "output size", 1  # the page's first question
    try:
        async with sem:
            res.first_response.setdefault("check_yourself", []).append(
                await open_as_learner(s, "check_yourself", "", joining))
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(*think))
            if stop.is_set():
                break
            answer = make_question(kind, seed).answer
            reply = answer if rng.random() < 0.6 else str(int(answer) + rng.choice([-1, 1, 2]))
            s.widget_states = {}
            s.type_text("Your answer", reply)
            await s.rerun_and_wait()  # the Check button turns on
            t0 = time.perf_counter()
            _, run = await s.click("Check")
            res.answer_latencies.append(time.perf_counter() - t0)
            if not any(body.startswith(("Right", "Not quite")) for body in run.alerts):
                res.error(who, f"check_yourself: no verdict after Check: {run.alerts[:2]}")
                break
            res.answers_checked.add((joining[1], kind, seed))  # the run that said so recorded it
            await s.click("Next question")
            seed += 1
    except Exception as err:  # noqa: BLE001
        res.error(who, f"check_yourself: {type(err).__name__}: {str(err)[:200]}")
    finally:
        res.saw_push += s.saw_push
        await s.close()


async def open_board(s, code, key):
    """Open the teacher page and its class board with the code and the key; returns that run."""
    await s.open("teacher")
    s.type_text("Class code", code)
    s.type_text("Teacher key", key)
    await s.rerun_and_wait()
    _, run = await s.click("Open the board")
    if "Students" not in run.metrics:
        raise RuntimeError(f"the board did not open: {run.error_alerts}")
    return run


async def teacher_session(port, res, stop, code, key, push_after, push_link, timeout):
    """The teacher's board, open all along (its fragment refreshes by itself); sends the class a link once."""
    s = WsSession(port, "teacher", res, timeout)
    try:
        await open_board(s, code, key)
        t0, pushed = time.perf_counter(), False
        while not stop.is_set():
            await asyncio.sleep(0.25)
            if not pushed and time.perf_counter() - t0 > push_after:
                s.type_text("or paste a page's address, with its settings", push_link)
                await s.rerun_and_wait()
                await s.click("Send the class there")
                res.pushed_at = time.perf_counter()
                pushed = True
    except Exception as err:  # noqa: BLE001
        res.error("teacher", f"board: {type(err).__name__}: {str(err)[:200]}")
    finally:
        res.board_latencies += s.fragment_latencies
        if s.last_fragment is not None:
            res.board_metrics = dict(s.last_fragment.metrics)
        await s.close()


def class_names(n):
    """Display names for a class of n, two of them hostile: they must be stored and shown as typed."""
    names = [f"Student {i + 1:02d}" for i in range(n)]
    for i, odd in enumerate(["<script>alert(1)</script>", "Robert'); DROP TABLE students;--"]):
        if i < n:
            names[i] = odd
    return names


def check_class(res, store, class_id):
    """After the class: every student, every checked answer and every finished run is on the board."""
    from pages.server.board import load_board
    from pages.server.store import answers, students

    board = load_board(store, class_id, time.time())
    with store.read() as conn:
        recorded = set(conn.execute(select(students.c.name, answers.c.kind, answers.c.seed)
                                    .join(students, students.c.id == answers.c.student_id)
                                    .where(answers.c.class_id == class_id)).all())
    finished = sum(1 for r in res.runs if r.get("finished"))
    res.classroom = {
        "joined": len(res.joined), "on_board": len(board.present),
        "answers_checked": len(res.answers_checked), "answers_recorded": len(recorded),
        "answers_missing": len(res.answers_checked - recorded), "runs_finished": finished,
        "runs_on_board": len(board.runs), "saw_push": res.saw_push, "board_metrics": res.board_metrics,
    }
    if res.answers_checked - recorded:
        res.error("class", f"{len(res.answers_checked - recorded)} checked answers are not recorded")
    if len(board.present) != len(res.joined) or len(board.runs) != finished:
        res.error("class", f"the board shows {len(board.present)} students and {len(board.runs)} runs, "
                           f"{len(res.joined)} joined and {finished} runs finished")


async def pages_with_sliders(port, res, timeout, pages=LESSON_PAGES):
    """Open each lesson page once on the fresh server (its cold first response); keep those with a slider."""
    found = []
    for name in pages:
        if not (ROOT / "pages" / f"{name}.py").exists():
            continue
        s = WsSession(port, "cold start", res, max(timeout, 60))
        try:
            res.first_response.setdefault(f"{name} (cold)", []).append(await s.open(name))
            if any(not sl.disabled for sl in s.last_full.sliders.values()):
                found.append(name)
        finally:
            await s.close()
    return found


def machine_busy_jiffies():
    """(busy, total) CPU jiffies of the whole machine from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan"), float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class WsResults(Results):
    def __init__(self):
        super().__init__()
        self.server_latencies = []   # seconds, change -> script_finished (no image download)
        self.server_latency_by_page = {}
        self.fragment_latencies = []
        self.sent_changes = 0
        self.error_alerts = 0
        self.images_fetched = 0
        self.joined = []             # a class: names that joined it
        self.answers_checked = set()  # (name, kind, seed) that a page said right or wrong to
        self.answer_latencies = []
        self.board_latencies = []
        self.board_metrics = {}
        self.saw_push = 0
        self.classroom = None


async def drive(port, server_pid, args, res, klass=None):
    """klass: (store, NewClass) when the whole class joins one class with a teacher's board open."""
    pages = [p.strip() for p in args.pages.split(",") if p.strip()] if args.pages else LESSON_PAGES
    lessons = await pages_with_sliders(port, res, args.timeout, pages)
    if not lessons:
        raise RuntimeError("no lesson page with a slider was found")
    rng = random.Random(args.seed)
    stop = asyncio.Event()
    sem = asyncio.Semaphore(4)
    t0 = time.perf_counter()
    cpu0, client0 = cpu_seconds(server_pid), time.process_time()
    busy0, total0 = machine_busy_jiffies()
    mem = asyncio.create_task(sample_memory(server_pid, res, stop, t0))
    n_quiz = args.answerers if klass else 0
    n_lessons = max(args.sessions - args.trainers - n_quiz, 0)
    joining = [(klass[1].code, name) for name in class_names(args.sessions)] if klass else [None] * args.sessions
    think = (args.think_min, args.think_max)
    lesson_tasks = [
        asyncio.create_task(lesson_session(port, lessons[i % len(lessons)], f"learner {i + 1}", res, stop,
                                           random.Random(rng.random()), sem, think, args.timeout, joining[i]))
        for i in range(n_lessons)
    ]
    lesson_tasks += [
        asyncio.create_task(quiz_session(port, f"answerer {i + 1}", res, stop, random.Random(rng.random()), sem,
                                         tuple(args.answer_think), args.timeout, joining[n_lessons + i]))
        for i in range(n_quiz)
    ]
    train_tasks = [
        asyncio.create_task(training_session(port, f"trainer {i + 1}", res, args.train_size, args.epochs, sem,
                                             args.max_seconds, args.timeout, joining[n_lessons + n_quiz + i]))
        for i in range(args.trainers)
    ]
    if klass:
        lesson_tasks.append(asyncio.create_task(teacher_session(
            port, res, stop, klass[1].code, klass[1].key, args.min_seconds / 2, PUSH_LINK, args.timeout)))
    hard_stop = t0 + args.max_seconds
    while time.perf_counter() < hard_stop:
        if all(t.done() for t in train_tasks) and time.perf_counter() - t0 >= args.min_seconds:
            break
        await asyncio.sleep(0.25)
    stop.set()
    await asyncio.wait(lesson_tasks + train_tasks, timeout=max(60, args.timeout + 10))
    for t in train_tasks + lesson_tasks:
        if not t.done():
            t.cancel()
            res.error("harness", "a session did not stop within a minute of the end")
    await mem
    res.duration = time.perf_counter() - t0
    res.server_cpu = (cpu_seconds(server_pid) - cpu0) / res.duration
    res.client_cpu = (time.process_time() - client0) / res.duration
    busy1, total1 = machine_busy_jiffies()
    res.machine_cpu = (busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1)
    res.lessons = lessons
    if klass:
        check_class(res, klass[0], klass[1].id)


def _stats(values):
    if not values:
        return {"n": 0, "median_s": None, "p95_s": None, "max_s": None}
    return {"n": len(values), "median_s": round(statistics.median(values), 3),
            "p95_s": round(percentile(values, 0.95), 3), "max_s": round(max(values), 3)}


def summary(res, args, server_start_s):
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
        "slider_changes": len(res.latencies),
        "latency": _stats(res.latencies),
        "server_latency": _stats(res.server_latencies),
        "fragment_latency": _stats(res.fragment_latencies),
        "by_page": {k: {"full": _stats(v), "server": _stats(res.server_latency_by_page.get(k, []))}
                    for k, v in sorted(res.latency_by_page.items())},
        "first_response_s": {k: round(statistics.median(v), 2) for k, v in sorted(res.first_response.items())},
        "server_start_s": round(server_start_s, 2),
        "server_cpu_cores": round(getattr(res, "server_cpu", float("nan")), 2),
        "client_cpu_cores": round(getattr(res, "client_cpu", float("nan")), 2),
        "machine_cpu_cores": round(getattr(res, "machine_cpu", float("nan")), 2),
        "memory_start_mb": round(mem[0], 0) if mem else None,
        "memory_peak_mb": round(max(mem), 0) if mem else None,
        "runs": res.runs,
        "runs_finished": len(finished),
        "timed_out_changes": res.changes_timed_out,
        "error_messages_shown": res.error_alerts,
        "images_fetched": res.images_fetched,
        "errors": [f"{who}: {what}" for who, what in res.errors],
        "classroom": res.classroom,
        "answerers": args.answerers if res.classroom else 0,
        "answer_latency": _stats(res.answer_latencies),
        "board_latency": _stats(res.board_latencies),
    }


def table(s, when=None):
    lat, srv, frag = s["latency"], s["server_latency"], s["fragment_latency"]
    answering = s.get("answerers", 0)
    in_class = (f"{answering} answering check-yourself questions; " if s.get("classroom") else "")
    lines = [
        f"# ConvLab websocket load test ({when or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"{s['sessions']} websocket sessions on one server ({s['sessions'] - s['trainers'] - answering} moving "
        f"sliders on {', '.join(s['lesson_pages'])}; {in_class}{s['trainers']} training on "
        f"{s['train_size']:,} digits x "
        f"{s['epochs']} epoch(s)), a slider move every {s['think_s']} s per learner, {s['duration_s']} s, "
        f"on {os.cpu_count()} cores ({platform.machine()}); the clients speak Streamlit's websocket "
        f"protocol from one Python process on the same machine (no browsers); load average at the end "
        f"{s['load_average_at_end'][0]:.1f} (1 min)."
        + (" All of them are students of one class, joined on the home page, and a teacher's session has the "
           "class board open all along." if s.get("classroom") else ""),
        "",
        "| measure | value |",
        "|---|---|",
        f"| slider changes timed (images downloaded after them and on opening pages) | {s['slider_changes']} "
        f"({s['images_fetched']}) |",
        f"| slider change -> updated figure (script finished, new images downloaded), median | {lat['median_s']} s |",
        f"| slider change -> updated figure, 95th percentile | {lat['p95_s']} s |",
        f"| slowest slider change | {lat['max_s']} s |",
        f"| slider change -> script_finished only, median / p95 | {srv['median_s']} / {srv['p95_s']} s |",
        f"| training page refresh (fragment rerun -> finished), median / p95 "
        f"| {frag['median_s']} / {frag['p95_s']} s |",
        f"| server start (process to health check) | {s['server_start_s']} s |",
        f"| server memory (RSS) at start / peak | {s['memory_start_mb']} / {s['memory_peak_mb']} MB |",
        f"| server CPU use, average (1.0 = one core busy) | {s['server_cpu_cores']} |",
        f"| load client CPU use / whole machine, average | {s['client_cpu_cores']} / {s['machine_cpu_cores']} |",
        f"| training runs finished | {s['runs_finished']} of {s['trainers']} |",
        f"| slider changes without an answer within the time limit | {s['timed_out_changes']} |",
        f"| sessions that saw an error | {len({e.split(':')[0] for e in s['errors']})} |",
        *class_rows(s),
        "",
        "| page | changes | median | p95 | max | script_finished median / p95 |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in s["by_page"].items():
        f, sv = v["full"], v["server"]
        lines.append(f"| {name} | {f['n']} | {f['median_s']} s | {f['p95_s']} s | {f['max_s']} s | "
                     f"{sv['median_s']} / {sv['p95_s']} s |")
    lines += ["", "| training run | finished | wall time (Start to test accuracy) | images/s (median while running) "
              "| test accuracy |",
              "|---|---|---|---|---|"]
    lines += report_tail(s, "first response of a page (median; connect to finished run and images)")
    return "\n".join(lines) + "\n"


def class_rows(s):
    """The class's own lines of the table: board refreshes, answers, what the board showed at the end."""
    c = s.get("classroom")
    if not c:
        return []
    board, answer = s["board_latency"], s["answer_latency"]
    return [
        f"| class: students joined from the home page / on the board at the end | {c['joined']} / {c['on_board']} |",
        f"| class board refresh (every 2 s, fragment rerun -> finished), median / p95 / max ({board['n']} refreshes) "
        f"| {board['median_s']} / {board['p95_s']} / {board['max_s']} s |",
        f"| check-yourself answer (Check -> verdict), median / p95 ({answer['n']} answers from {s['answerers']} "
        f"students) | {answer['median_s']} / {answer['p95_s']} s |",
        f"| answers checked / recorded / missing | {c['answers_checked']} / {c['answers_recorded']} / "
        f"{c['answers_missing']} |",
        f"| finished runs / on the leaderboard | {c['runs_finished']} / {c['runs_on_board']} |",
        f"| students who saw the teacher's pushed link | {c['saw_push']} of {c['joined']} |",
        f"| the board's figures at the end | {', '.join(f'{k} {v}' for k, v in c['board_metrics'].items())} |",
    ]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_class_arguments(ap, "websocket", "ws_results.md")
    ap.add_argument("--timeout", type=float, default=30.0, help="longest wait for one rerun (s)")
    ap.add_argument("--pages", default="", help="comma-separated lesson pages to use (default: "
                    + ",".join(LESSON_PAGES) + ")")
    ap.add_argument("--classroom", action="store_true",
                    help="every session joins one class from the home page; a teacher's board is open all along")
    ap.add_argument("--answerers", type=int, default=10, help="in a class: sessions answering check-yourself questions")
    ap.add_argument("--answer-think", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"),
                    help="in a class: seconds a student works on a question before answering (default 5 15)")
    return ap.parse_args(argv)


def run_load(args):
    """Start a server, drive it with args.sessions websocket learners, stop it; returns the summary dict."""
    port = free_port()
    folder = tempfile.mkdtemp(prefix="convlab-load-")
    url = f"sqlite:///{folder}/classes.db"  # a class store of its own, deleted afterwards
    env = {"CONVLAB_DATABASE_URL": url}
    if args.classroom:  # every trainer trains at once
        env["CONVLAB_MAX_TRAINING_RUNS"] = str(max(args.trainers, 1))
    t0 = time.perf_counter()
    server = start_server(port, env=env)
    server_start_s = time.perf_counter() - t0
    res = WsResults()
    klass = None
    try:
        if args.classroom:
            from pages.server.classroom import create_class
            from pages.server.store import Store

            store = Store(url)
            klass = (store, create_class(store, "Load test class", max_students=max(args.sessions, 1)))
        asyncio.run(drive(port, server.pid, args, res, klass))
    except Exception as err:  # noqa: BLE001  (still report what was measured)
        res.error("harness", f"{type(err).__name__}: {str(err)[:300]}")
    finally:
        alive = server.poll() is None
        stop_server(server)
        if klass:
            klass[0].engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    if not alive:
        res.error("server", "the server process died during the load test")
    s = summary(res, args, server_start_s)
    s["sent_changes"] = res.sent_changes
    return s


def main(argv=None):
    args = parse_args(argv)
    s = run_load(args)
    report = table(s)
    print(report)
    if args.out:
        Path(args.out).write_text(report)
    if args.json:
        Path(args.json).write_text(json.dumps(s, indent=1, default=str))
    ok = not s["errors"] and s["runs_finished"] == args.trainers and s["slider_changes"] > 0
    if args.classroom:
        ok = ok and s["answer_latency"]["n"] > 0 and s["board_latency"]["n"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
