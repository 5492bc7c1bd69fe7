"""The class store and its rules, on SQLite (a file in WAL mode) and on a real PostgreSQL server."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from pages.server import classroom, codes
from pages.server.board import answers_csv, board_csv, load_board, runs_csv
from pages.server.classroom import ClassError
from pages.server.store import SCHEMA_VERSION, SchemaError, Store, classes, schema_info, students

ROOT = Path(__file__).resolve().parents[2]
INJECTIONS = ["Robert'); DROP TABLE students;--", "' OR '1'='1", "x\"; DELETE FROM answers; --",
              "1; UPDATE classes SET key_hash='x'", "%", "_", "\\", "'", "\"", "--", "/*"]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/classes.db"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def store(url):
    s = Store(url)
    yield s
    s.engine.dispose()


def test_the_schema_is_made_at_start_with_its_version_and_kept_on_reopening(url):
    first = Store(url)
    assert first.schema_version() == SCHEMA_VERSION
    made = classroom.create_class(first, "Period 3")
    first.engine.dispose()
    again = Store(url)
    assert again.schema_version() == SCHEMA_VERSION
    assert again.class_by_code(made.code)["name"] == "Period 3"
    assert {"convlab_schema", "classes", "students", "answers", "runs"} <= set(inspect(again.engine).get_table_names())
    again.engine.dispose()


def test_a_database_written_by_a_newer_convlab_is_refused(url):
    s = Store(url)
    with s.engine.begin() as conn:
        conn.execute(schema_info.update().values(version=SCHEMA_VERSION + 1))
    s.engine.dispose()
    with pytest.raises(SchemaError, match="newer ConvLab"):
        Store(url)


def test_a_class_gets_a_random_code_and_a_key_stored_only_as_a_hash(store):
    made = classroom.create_class(store, "  Period   3 ", max_students=30)
    assert made.name == "Period 3"
    assert len(made.code) == 8 and set(made.code) <= set(codes.ALPHABET)
    row = store.class_by_code(made.code)
    assert made.key not in " ".join(str(v) for v in row.values())
    assert row["key_hash"].startswith("pbkdf2_sha256$")
    # the code as a person types it: lower case, a dash, O for 0 and I or L for 1
    typed = codes.show_code(made.code).lower().replace("0", "o").replace("1", "l")
    assert classroom.open_board(store, typed, made.key)["id"] == made.id
    other = classroom.create_class(store, "Period 4")
    assert other.code != made.code and other.key != made.key


def test_wrong_teacher_keys_slow_down_and_a_right_key_resets_the_count(store):
    made = classroom.create_class(store, "Period 3")
    t = 1000.0
    for _ in range(classroom.FREE_KEY_TRIES - 1):
        with pytest.raises(ClassError, match="not the teacher key"):
            classroom.open_board(store, made.code, "guess", now=t)
    waits = []
    for _ in range(8):
        with pytest.raises(ClassError, match="Wait"):
            classroom.open_board(store, made.code, "guess", now=t)
        t = store.class_by_code(made.code)["key_wait_until"]
        waits.append(t - sum(waits) - 1000.0)
    assert waits[:4] == [1, 2, 4, 8] and waits[-1] == classroom.LONGEST_KEY_WAIT
    # while the wait lasts even the right key is refused, without being tried
    with pytest.raises(ClassError, match="Too many wrong keys"):
        classroom.open_board(store, made.code, made.key, now=t - 0.5)
    assert classroom.open_board(store, made.code, made.key, now=t)["id"] == made.id
    assert store.class_by_code(made.code)["key_failures"] == 0
    with pytest.raises(ClassError, match="not the teacher key"):
        classroom.open_board(store, made.code, "guess", now=t)  # back to the free tries


def test_students_join_with_a_name_leave_and_see_only_their_own_record(store):
    made = classroom.create_class(store, "Period 3")
    ana = classroom.join(store, made.code, "Ana")
    ben = classroom.join(store, made.code, "Ben")
    with pytest.raises(ClassError, match="already called"):
        classroom.join(store, made.code, "  ANA ")
    assert classroom.member(store, ana.token) == ana
    assert classroom.member(store, "not a token") is None
    classroom.record_answer(store, ana, "parameters", 1, "3", right=True)
    classroom.record_answer(store, ben, "parameters", 1, "4", right=False)
    assert store.student_summary(ana.student_id) == {"answered": 1, "right": 1, "runs": 0}
    store.leave(ana.student_id, time.time())
    assert classroom.member(store, ana.token) is None
    again = classroom.join(store, made.code, "Ana")  # the name is free again, as a new student
    assert again.student_id != ana.student_id
    board = load_board(store, made.id, time.time())
    assert [(s.name, s.left) for s in board.students] == [("Ana", True), ("Ana", False), ("Ben", False)]
    assert board.kinds[-1].right == 1 and board.kinds[-1].wrong == 1  # a leaver's answer stays


def test_bad_codes_and_names_get_a_sentence(store):
    made = classroom.create_class(store, "Period 3")
    for code in ["", "ABC", "ABCDEFGHJ", "UUUUUUUU", "!!!!!!!!"]:
        with pytest.raises(ClassError, match="letters and digits"):
            classroom.join(store, code, "Ana")
    with pytest.raises(ClassError, match="No class has the code"):
        classroom.join(store, "ZZZZZZZZ" if made.code != "ZZZZZZZZ" else "YYYYYYYY", "Ana")
    for name, message in [("", "Type a name"), ("   ", "Type a name"), ("x" * 41, "at most 40"),
                          ("a\x00b", "control"), ("evil\u202eeman", "control")]:
        with pytest.raises(ClassError, match=message):
            classroom.join(store, made.code, name)
    with pytest.raises(ClassError, match="between 1 and"):
        classroom.create_class(store, "Big", max_students=10**6)


def test_a_class_never_holds_more_than_its_size_even_when_many_join_at_once(store):
    made = classroom.create_class(store, "Small", max_students=5)
    results = []

    def try_join(i):
        try:
            results.append(classroom.join(store, made.code, f"student {i}"))
        except ClassError as err:
            results.append(str(err))

    threads = [threading.Thread(target=try_join, args=(i,)) for i in range(14)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    joined = [r for r in results if isinstance(r, classroom.Member)]
    assert len(joined) == 5
    assert all("is full (5 students)" in r for r in results if isinstance(r, str))
    assert len(load_board(store, made.id, time.time()).present) == 5


def test_the_board_counts_answers_once_with_the_commonest_wrong_ones_and_who_has_not_answered(store):
    made = classroom.create_class(store, "Period 3")
    people = [classroom.join(store, made.code, n) for n in ("Ana", "Ben", "Cy", "Dee")]
    ana, ben, cy, dee = people
    classroom.record_answer(store, ana, "output size", 1, "13", right=True)
    assert not classroom.record_answer(store, ana, "output size", 1, "12", right=False)  # counted once
    classroom.record_answer(store, ben, "output size", 1, " 12.0", right=False)
    classroom.record_answer(store, cy, "output size", 1, "12", right=False)
    classroom.record_answer(store, cy, "output size", 2, "7", right=False)
    classroom.record_answer(store, dee, "max-pool gradient", 1, "(2, 3)", right=False)
    board = load_board(store, made.id, time.time())
    kinds = {k.kind: k for k in board.kinds}
    size = kinds["output size"]
    assert (size.right, size.wrong) == (1, 3)
    assert size.common_wrong[0] == (1, "12", 2)  # '12' and ' 12.0' are the same answer
    assert size.not_answered == ["Dee"]
    assert kinds["max-pool gradient"].common_wrong == [(1, "2,3", 1)]
    assert kinds["parameters"].not_answered == ["Ana", "Ben", "Cy", "Dee"]
    hardest = board.questions[0]
    assert (hardest.kind, hardest.seed, hardest.wrong, hardest.right) == ("output size", 1, 2, 1)
    by_name = {s.name: s for s in board.students}
    assert (by_name["Cy"].answered, by_name["Cy"].right) == (2, 0)
    assert board.answers == 5
    assert "Dee,yes" in board_csv(board)
    assert answers_csv(store, made.id).count("\n") == 6


def test_the_leaderboard_puts_the_best_test_accuracy_first_with_the_settings_changed(store):
    made = classroom.create_class(store, "Period 3")
    ana, ben = classroom.join(store, made.code, "Ana"), classroom.join(store, made.code, "=HYPERLINK(1)")
    classroom.record_run(store, ana, 0.97, {"lr": 0.01}, 20.5)
    classroom.record_run(store, ben, 0.99, {}, 31.0)
    classroom.record_run(store, ana, 0.985, {"batch_size": 128, "epochs": 2}, 40.0)
    board = load_board(store, made.id, time.time())
    assert [(r.name, r.accuracy, r.settings) for r in board.runs] == [
        ("=HYPERLINK(1)", 0.99, {}), ("Ana", 0.985, {"batch_size": 128, "epochs": 2}), ("Ana", 0.97, {"lr": 0.01})]
    assert {s.name: (s.runs, s.best_accuracy) for s in board.students}["Ana"] == (2, 0.985)
    exported = runs_csv(board)
    assert "'=HYPERLINK(1)" in exported and "batch_size=128, epochs=2" in exported  # no formula for a spreadsheet


def test_ending_a_class_deletes_everything_in_it_and_nothing_else(store):
    made, other = classroom.create_class(store, "Period 3"), classroom.create_class(store, "Period 4")
    ana, zed = classroom.join(store, made.code, "Ana"), classroom.join(store, other.code, "Zed")
    classroom.record_answer(store, ana, "parameters", 1, "3", right=True)
    classroom.record_run(store, ana, 0.9, {}, 1.0)
    classroom.record_answer(store, zed, "parameters", 1, "3", right=True)
    assert store.delete_class(made.id)
    assert load_board(store, made.id, time.time()) is None
    assert classroom.member(store, ana.token) is None
    with store.read() as conn:
        for table in ("students", "answers", "runs"):
            left = conn.execute(text(f"SELECT count(*) FROM {table} WHERE class_id = :c"), {"c": made.id}).scalar()
            assert left == 0, table
    assert load_board(store, other.id, time.time()).answers == 1


def test_injection_strings_are_kept_as_names_and_refused_as_codes(store):
    made = classroom.create_class(store, "'; DROP TABLE classes;--")
    for name in INJECTIONS:
        who = classroom.join(store, made.code, name)
        classroom.record_answer(store, who, "output size", 1, name, right=False)
        with pytest.raises(ClassError, match="letters and digits|No class"):
            classroom.join(store, name, "Ana")
        with pytest.raises(ClassError, match="letters and digits|No class"):
            classroom.open_board(store, name, name)
    with pytest.raises(ClassError, match="not the teacher key"):
        classroom.open_board(store, made.code, "' OR '1'='1")
    board = load_board(store, made.id, time.time())
    assert sorted(s.name for s in board.students) == sorted(INJECTIONS)
    assert board.name == "'; DROP TABLE classes;--"
    with store.read() as conn:
        assert conn.execute(select(classes.c.id)).all()
        assert len(conn.execute(select(students.c.id)).all()) == len(INJECTIONS)


def test_two_stores_on_one_database_see_each_others_writes(url):
    """Two app servers share one database: a student on one shows on the other's board."""
    a, b = Store(url), Store(url)
    made = classroom.create_class(a, "Period 3")
    ana = classroom.join(a, made.code, "Ana")
    ben = classroom.join(b, made.code, "Ben")
    a.seen(ana.student_id, "pooling", time.time())
    b.seen(ben.student_id, "train", time.time())
    for s in (a, b):
        board = load_board(s, made.id, time.time())
        assert {(r.name, r.page, r.here) for r in board.students} == {("Ana", "pooling", True), ("Ben", "train", True)}
    a.engine.dispose()
    b.engine.dispose()


WRITER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pages.server import classroom
from pages.server.store import Store
store = Store(sys.argv[2])
who = classroom.member(store, sys.argv[3])
for seed in range(int(sys.argv[4])):
    classroom.record_answer(store, who, "parameters", seed, str(seed), right=seed % 2 == 0)
    store.seen(who.student_id, "check_yourself", time.time())
"""


def test_several_processes_share_one_sqlite_file_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path}/classes.db"
    store = Store(url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    made = classroom.create_class(store, "Period 3")
    people = [classroom.join(store, made.code, f"student {i}") for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), url, who.token, "150"])
             for who in people]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    board = load_board(store, made.id, time.time())
    assert board.answers == 450
    assert all(s.answered == 150 and s.right == 75 for s in board.students)


def test_join_codes_and_secrets():
    made = {codes.new_join_code() for _ in range(2000)}
    assert len(made) == 2000 and all(len(c) == 8 for c in made)
    assert set("".join(made)) == set(codes.ALPHABET) and len(codes.ALPHABET) == 32
    assert codes.read_code(" 7k2q-m9xd ") == "7K2QM9XD" and codes.read_code("oIl00000") == "01100000"
    assert codes.read_code("7K2Q-M9X") is None and codes.read_code("7K2Q M9XU") is None
    assert codes.show_code("7K2QM9XD") == "7K2Q-M9XD"
    key = codes.new_secret()
    assert len(key) == 24
    stored = codes.hash_key(key)
    assert codes.key_matches(key, stored) and not codes.key_matches(key + "x", stored)
    assert not codes.key_matches(key, "garbage") and codes.hash_key(key) != stored  # salted
