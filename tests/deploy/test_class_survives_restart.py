"""Nothing lost: the app server is killed (SIGKILL) while students answer questions and train, then
started again on the same class database; the board shows every answer a page had confirmed and
every run that had finished.

The students are websocket sessions of tests/loadtest/ws_loadtest.py: they join on the home page,
answer on check_yourself (an answer counts as confirmed once the page has said right or wrong),
and train on 1,000 digits (a run counts as finished once the page shows its test accuracy).
"""

import asyncio
import random
import sys
import time
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "loadtest"))

from ws_loadtest import WsResults, WsSession, join_class, open_board, quiz_session, run_apart  # noqa: E402

from browser_helpers import free_port, start_server, stop_server  # noqa: E402
from pages.server import classroom  # noqa: E402
from pages.server.board import load_board  # noqa: E402
from pages.server.store import Store, answers, students  # noqa: E402


async def trainer(port, res, code, state, stop):
    """Join, train one run to the end, then start a second one (which the kill interrupts)."""
    s = WsSession(port, "trainer", res, timeout=60)
    try:
        await join_class(s, (code, "Cy"))
        await s.navigate("train", "train_size=1000&epochs=1")
        await s.click("Start")
        deadline = time.perf_counter() + 120
        while "Test accuracy" not in s.last_full.metrics and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
        state["finished"] += "Test accuracy" in s.last_full.metrics
        await s.click("Start")
        state["second_started"] = True
        await stop.wait()  # training until the server dies
    except Exception:  # noqa: BLE001  (the kill closes the websocket)
        pass
    finally:
        await s.close()


async def class_until_killed(port, server, code, res):
    stop, sem = asyncio.Event(), asyncio.Semaphore(4)
    state = {"finished": 0, "second_started": False}
    tasks = [asyncio.create_task(quiz_session(port, f"answerer {name}", res, stop, random.Random(i), sem,
                                              (0.05, 0.2), 30, (code, name)))
             for i, name in enumerate(["Ana", "<b>Ben</b>"])]
    tasks.append(asyncio.create_task(trainer(port, res, code, state, stop)))
    deadline = time.perf_counter() + 150
    while not (state["second_started"] and len(res.answers_checked) >= 8) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    assert state["second_started"], f"the first run did not finish: {res.errors[:3]}"
    server.kill()  # no shutdown: whatever the database had not kept is gone
    server.wait()
    checked_at_kill = set(res.answers_checked)
    stop.set()
    await asyncio.wait(tasks, timeout=30)
    return checked_at_kill, state["finished"]


async def board_figures(port, code, key):
    s = WsSession(port, "teacher", WsResults(), timeout=60)
    try:
        return (await open_board(s, code, key)).metrics
    finally:
        await s.close()


def test_every_confirmed_answer_and_finished_run_is_on_the_board_after_a_kill(tmp_path):
    url = f"sqlite:///{tmp_path}/classes.db"
    env = {"CONVLAB_DATABASE_URL": url}
    store = Store(url)
    made = classroom.create_class(store, "Period 3")
    server = start_server(free_port(), env=env)
    port = int(server.args[server.args.index("--server.port") + 1])
    res = WsResults()
    try:
        checked, finished = run_apart(class_until_killed(port, server, made.code, res))
    finally:
        stop_server(server)
    assert finished == 1 and len(checked) >= 8

    again = start_server(free_port(), env=env)
    try:
        port = int(again.args[again.args.index("--server.port") + 1])
        shown = run_apart(board_figures(port, made.code, made.key))
    finally:
        stop_server(again)
    with store.read() as conn:
        recorded = set(conn.execute(select(students.c.name, answers.c.kind, answers.c.seed)
                                    .join(students, students.c.id == answers.c.student_id)).all())
    assert checked <= recorded, f"lost answers: {checked - recorded}"
    board = load_board(store, made.id, time.time())
    assert len(board.runs) == finished
    assert {s.name for s in board.present} == {"Ana", "<b>Ben</b>", "Cy"}
    assert (shown["Students"], shown["Answers"], shown["Finished runs"]) == ("3 of 100", str(len(recorded)), "1")
    store.engine.dispose()
