"""A student's side of a class, in AppTest: the join box, the address that remembers it, leaving,
the activity and answers recorded, and names that are shown as text.

The scripts below put app.py's hook (class_session) in front of the real join box or lesson page;
AppTest does not deliver button clicks to pages run through st.navigation.
"""

import time

import pytest
from streamlit.testing.v1 import AppTest

from engine.lessons.quiz import make_question
from pages.server import classroom
from pages.server.board import load_board
from pages.server.session import MEMBER
from pages.server.store import Store

HOSTILE_NAMES = ["<script>alert(1)</script>", "**bold** _it_ [link](http://x)", ":red[red] $x^2$",
                 "Robert'); DROP TABLE students;--", "<img src=x onerror=alert(1)>"]


def home_in_class():
    from types import SimpleNamespace

    from pages.server.session import class_session
    from pages.ui.classroom import join_box

    class_session(SimpleNamespace(url_path="home"))
    join_box()


def lesson_in_class(page):
    import runpy
    from types import SimpleNamespace

    from pages.server.session import class_session

    class_session(SimpleNamespace(url_path=page))
    runpy.run_path(f"pages/{page}.py", run_name="__main__")


@pytest.fixture
def store():
    return Store.open()


@pytest.fixture
def made(store):
    return classroom.create_class(store, "Period 3")


def join_with(code, name, query=None):
    at = AppTest.from_function(home_in_class, default_timeout=30)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.text_input(key="join_code").input(code)
    at.text_input(key="join_name").input(name).run()
    at.button[0].click().run()
    assert not at.exception
    return at


def test_a_student_joins_with_the_code_and_a_name_and_the_address_remembers_it(store, made):
    at = join_with(made.code.lower(), "Ana")
    assert "You are in the class **Period 3** as **Ana**" in at.success[0].value
    token = at.query_params["student"]
    who = classroom.member(store, token)
    assert who.name == "Ana" and who.class_id == made.id
    assert [c.value for c in at.sidebar.caption][0].startswith("In the class **Period 3** as **Ana**")
    # a reload (a new session) with the same address is still Ana
    again = AppTest.from_function(home_in_class, default_timeout=30)
    again.query_params["student"] = token
    again.run()
    assert "as **Ana**" in again.success[0].value
    # leaving takes the token out of the address and out of the class
    [b for b in at.button if b.label == "Leave the class"][0].click().run()
    assert not at.success and "student" not in at.query_params
    assert classroom.member(store, token) is None


def test_the_teachers_join_link_fills_in_the_code(store, made):
    at = AppTest.from_function(home_in_class, default_timeout=30)
    at.query_params["join"] = made.code
    at.run()
    assert at.text_input(key="join_code").value == made.code
    at.text_input(key="join_name").input("Ana").run()
    at.button[0].click().run()
    assert "as **Ana**" in at.success[0].value


def test_bad_codes_taken_names_and_a_full_class_get_a_sentence(store, made):
    at = join_with("NOPE", "Ana")
    assert "8 letters and digits" in at.error[0].value.replace("\\", "")
    join_with(made.code, "Ana")
    at = join_with(made.code, "ana")
    assert "already called ana" in at.error[0].value
    tiny = classroom.create_class(store, "Tiny", max_students=1)
    join_with(tiny.code, "Ana")
    at = join_with(tiny.code, "Ben")
    assert "is full (1 students)" in at.error[0].value.replace("\\", "")
    assert MEMBER not in at.session_state


def test_a_stale_or_hostile_token_in_the_address_is_dropped_quietly():
    for token in ["nope", "' OR 1=1 --", "x" * 500, "", "<script>"]:
        at = AppTest.from_function(home_in_class, default_timeout=30)
        at.query_params["student"] = token
        at.query_params["pushed"] = "<b>9</b>"
        at.run()
        assert not at.exception and not at.success and not at.warning
        assert "student" not in at.query_params and "pushed" not in at.query_params


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_names_with_markup_are_shown_as_text(store, made, name):
    at = join_with(made.code, name)
    shown = at.success[0].value
    assert "<script" not in shown and "<img" not in shown and "**bold**" not in shown
    who = at.session_state[MEMBER]
    assert who.name == name  # kept as typed
    board = load_board(store, made.id, time.time())
    assert name in [s.name for s in board.students]


def test_pages_record_activity_and_check_yourself_records_each_answer_once(store, made):
    who = classroom.join(store, made.code, "Ana")
    at = AppTest.from_function(lesson_in_class, args=("check_yourself",), default_timeout=30)
    at.query_params["student"] = who.token
    at.run()
    assert not at.exception
    row = {s.name: s for s in load_board(store, made.id, time.time()).students}["Ana"]
    assert row.page == "check_yourself" and row.here
    q = make_question("output size", 1)
    at.text_input[0].input(q.answer).run()
    at.button[0].click().run()
    at.button[0].click().run()  # checking twice counts once
    assert "Right" in at.success[0].value
    at.button[1].click().run()  # next question
    at.text_input[0].input("-999").run()
    at.button[0].click().run()
    at.button[1].click().run()
    at.text_input[0].input("banana").run()  # not a number: not counted, not recorded
    at.button[0].click().run()
    assert not at.exception
    board = load_board(store, made.id, time.time())
    size = {k.kind: k for k in board.kinds}["output size"]
    assert (size.right, size.wrong) == (1, 1)
    assert size.common_wrong == [(2, "-999", 1)]


def test_outside_a_class_nothing_is_recorded(store):
    before = store.count_classes()
    at = AppTest.from_function(lesson_in_class, args=("check_yourself",), default_timeout=30).run()
    q = make_question("output size", 1)
    at.text_input[0].input(q.answer).run()
    at.button[0].click().run()
    assert "Right" in at.success[0].value and not at.warning
    assert store.count_classes() == before


def test_a_student_whose_class_ends_is_told_once_and_goes_on(store, made):
    who = classroom.join(store, made.code, "Ana")
    at = AppTest.from_function(home_in_class, default_timeout=30)
    at.query_params["student"] = who.token
    at.run()
    store.delete_class(made.id)
    at.run()  # the banner's fragment (or the next page run) finds the class gone
    assert not at.exception
    assert "class has ended" in at.info[0].value
    assert MEMBER not in at.session_state and "student" not in at.query_params


def test_a_pushed_link_shows_as_a_banner_that_knows_the_student(store, made):
    who = classroom.join(store, made.code, "Ana")
    store.push(made.id, "pooling?size=3&stride=1", time.time())
    at = AppTest.from_function(home_in_class, default_timeout=30)
    at.query_params["student"] = who.token
    at.run()
    banner = at.info[0].value
    assert "Pooling (size=3, stride=1)" in banner.replace("\\", "")
    assert f"(pooling?size=3&stride=1&student={who.token}&pushed=1)" in banner
    [b for b in at.button if b.label == "Put away"][0].click().run()
    assert not at.info
    # arriving through the link counts as having seen it
    there = AppTest.from_function(home_in_class, default_timeout=30)
    there.query_params.update({"student": who.token, "pushed": "1"})
    there.run()
    assert not there.info and "pushed" not in there.query_params


def test_a_database_that_does_not_answer_never_breaks_a_page(monkeypatch):
    monkeypatch.setenv("CONVLAB_DATABASE_URL", "postgresql://convlab@127.0.0.1:1/nowhere")
    at = join_with("7K2Q-M9XD", "Ana")
    assert "class database cannot be opened" in at.error[0].value
    at = AppTest.from_function(lesson_in_class, args=("check_yourself",), default_timeout=30)
    at.query_params["student"] = "a-token-from-before"
    at.run()
    assert not at.exception and "not being recorded" in at.warning[0].value
    q = make_question("output size", 1)
    at.text_input[0].input(q.answer).run()
    at.button[0].click().run()
    assert not at.exception and "Right" in at.success[0].value
    teacher = AppTest.from_file("../../pages/teacher.py", default_timeout=30).run()
    teacher.text_input(key="class_name").input("Period 3").run()
    teacher.button[0].click().run()
    assert not teacher.exception and "cannot be opened" in teacher.error[0].value


def finish_a_run(state):
    from types import SimpleNamespace

    from engine.nn.recipe import TrainingConfig
    from pages.server.session import class_session, record_run

    class_session(SimpleNamespace(url_path="train"))
    progress = SimpleNamespace(state=state, elapsed=12.5)
    run = SimpleNamespace(config=TrainingConfig(lr=0.01, epochs=2, train_size=10000), snapshot=lambda: progress)
    record_run(run, {"lr": 3e-3, "epochs": 1, "train_size": 10000, "batch_size": 128}, 0.975)  # the page's defaults


def test_the_training_page_records_finished_runs_with_the_settings_changed(store, made):
    who = classroom.join(store, made.code, "Ana")
    for state in ("finished", "stopped", "failed"):
        at = AppTest.from_function(finish_a_run, args=(state,), default_timeout=30)
        at.query_params["student"] = who.token
        at.run()
        assert not at.exception
    runs = load_board(store, made.id, time.time()).runs
    assert [(r.name, r.accuracy, r.settings, r.seconds) for r in runs] == \
        [("Ana", 0.975, {"lr": 0.01, "epochs": 2}, 12.5)]
