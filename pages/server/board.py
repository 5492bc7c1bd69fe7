"""The class board's figures, from a handful of grouped queries in one read transaction.

    board = load_board(store, class_id, now)   # None once the class has ended
    board.students   who is in the class, on which page, last active, their score and best run
    board.kinds      per kind of question: right, wrong, the commonest wrong answers, who has not answered
    board.questions  per question (kind and seed), the most often wrong first
    board.runs       finished training runs, best test accuracy first

The queries group in the database (counts per student, per question and per reply), so a
refresh reads a few hundred rows however many answers a class has given.
"""

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.lessons.quiz import MAKERS
from pages.server.store import answers, classes, runs, students

HERE_SECONDS = 60  # active this recently: the student has the app open now
COMMON_WRONG = 3   # wrong answers shown per kind or question


@dataclass
class StudentRow:
    id: int
    name: str
    page: str
    last_seen: float
    here: bool
    left: bool
    answered: int = 0
    right: int = 0
    best_accuracy: float = None
    runs: int = 0


@dataclass
class KindRow:
    kind: str
    right: int = 0
    wrong: int = 0
    common_wrong: list = field(default_factory=list)  # [(seed, reply, count)]
    not_answered: list = field(default_factory=list)  # names of students in the class


@dataclass
class QuestionRow:
    kind: str
    seed: int
    right: int = 0
    wrong: int = 0
    common_wrong: list = field(default_factory=list)  # [(reply, count)]


@dataclass
class RunRow:
    name: str
    accuracy: float
    settings: dict
    seconds: float
    finished_at: float


@dataclass
class Board:
    id: int
    name: str
    code: str
    max_students: int
    push_link: str
    push_id: int
    students: list
    kinds: list
    questions: list
    runs: list

    @property
    def present(self):
        return [s for s in self.students if not s.left]

    @property
    def answers(self):
        return sum(k.right + k.wrong for k in self.kinds)


def load_board(store, class_id, now):
    with store.read() as conn:
        cls = conn.execute(select(classes).where(classes.c.id == class_id)).mappings().first()
        if cls is None:
            return None
        people = conn.execute(select(students).where(students.c.class_id == class_id)
                              .order_by(students.c.name, students.c.id)).mappings().all()
        per_student = conn.execute(
            select(answers.c.student_id, answers.c.correct, func.count())
            .where(answers.c.class_id == class_id).group_by(answers.c.student_id, answers.c.correct)).all()
        per_reply = conn.execute(
            select(answers.c.kind, answers.c.seed, answers.c.correct, answers.c.reply, func.count())
            .where(answers.c.class_id == class_id)
            .group_by(answers.c.kind, answers.c.seed, answers.c.correct, answers.c.reply)).all()
        answered_kinds = conn.execute(
            select(answers.c.kind, answers.c.student_id).where(answers.c.class_id == class_id).distinct()).all()
        finished = conn.execute(
            select(students.c.id, students.c.name, runs.c.accuracy, runs.c.settings, runs.c.seconds,
                   runs.c.finished_at)
            .join(students, students.c.id == runs.c.student_id).where(runs.c.class_id == class_id)
            .order_by(runs.c.accuracy.desc(), runs.c.seconds, runs.c.id)).all()

    rows = {p["id"]: StudentRow(p["id"], p["name"], p["page"] or "", p["last_seen"],
                                p["left_at"] is None and now - p["last_seen"] <= HERE_SECONDS,
                                p["left_at"] is not None) for p in people}
    for student_id, correct, n in per_student:
        rows[student_id].answered += n
        rows[student_id].right += n if correct else 0
    run_rows = []
    for student_id, name, accuracy, settings, seconds, finished_at in finished:
        run_rows.append(RunRow(name, accuracy, json.loads(settings), seconds, finished_at))
        row = rows[student_id]
        row.runs += 1
        row.best_accuracy = accuracy if row.best_accuracy is None else max(row.best_accuracy, accuracy)

    kinds = {kind: KindRow(kind) for kind in MAKERS}
    questions = {}
    wrong_by_kind = defaultdict(Counter)
    for kind, seed, correct, reply, n in per_reply:
        k = kinds.setdefault(kind, KindRow(kind))
        q = questions.setdefault((kind, seed), QuestionRow(kind, seed))
        if correct:
            k.right += n
            q.right += n
        else:
            k.wrong += n
            q.wrong += n
            q.common_wrong.append((reply, n))
            wrong_by_kind[kind][(seed, reply)] += n
    answered = defaultdict(set)
    for kind, student_id in answered_kinds:
        answered[kind].add(student_id)
    present = [r for r in rows.values() if not r.left]
    for kind, k in kinds.items():
        k.common_wrong = [(seed, reply, n) for (seed, reply), n in
                          sorted(wrong_by_kind[kind].items(), key=lambda item: (-item[1], item[0]))[:COMMON_WRONG]]
        k.not_answered = [r.name for r in present if r.id not in answered[kind]]
    for q in questions.values():
        q.common_wrong = sorted(q.common_wrong, key=lambda item: (-item[1], item[0]))[:COMMON_WRONG]
    hardest = sorted(questions.values(), key=lambda q: (-q.wrong, -(q.wrong / max(q.right + q.wrong, 1)),
                                                        q.kind, q.seed))
    return Board(cls["id"], cls["name"], cls["code"], cls["max_students"], cls["push_link"], cls["push_id"],
                 list(rows.values()), list(kinds.values()), hardest, run_rows)


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula (a name may start with '=')."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def board_csv(board, page_titles=None):
    """One row per student: where they are, their answers per kind, their best run."""
    titles = page_titles or {}
    out = io.StringIO()
    writer = csv.writer(out)
    kinds = [k.kind for k in board.kinds]
    missing = {(k.kind, name) for k in board.kinds for name in k.not_answered}
    writer.writerow(["class", "student", "in the class", "page", "last active (unix s)", "answered", "right",
                     *[f"{kind}: answered" for kind in kinds], "finished runs", "best test accuracy"])
    for s in board.students:
        writer.writerow([spreadsheet_safe(board.name), spreadsheet_safe(s.name), "no" if s.left else "yes",
                         titles.get(s.page, s.page), round(s.last_seen), s.answered, s.right,
                         *["no" if (kind, s.name) in missing else ("yes" if not s.left else "") for kind in kinds],
                         s.runs, "" if s.best_accuracy is None else f"{s.best_accuracy:.4f}"])
    return out.getvalue()


def answers_csv(store, class_id):
    """Every answer of the class, one row each, oldest first."""
    query = (select(students.c.name, answers.c.kind, answers.c.seed, answers.c.reply, answers.c.correct,
                    answers.c.answered_at)
             .join(students, students.c.id == answers.c.student_id)
             .where(answers.c.class_id == class_id).order_by(answers.c.id))
    with store.read() as conn:
        rows = conn.execute(query).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "kind", "question", "answer", "right", "answered at (unix s)"])
    for name, kind, seed, reply, correct, at in rows:
        writer.writerow([spreadsheet_safe(name), kind, seed, spreadsheet_safe(reply), "yes" if correct else "no",
                         round(at, 1)])
    return out.getvalue()


def runs_csv(board):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "test accuracy", "settings changed", "seconds", "finished at (unix s)"])
    for r in board.runs:
        writer.writerow([spreadsheet_safe(r.name), f"{r.accuracy:.4f}", spreadsheet_safe(settings_text(r.settings)),
                         round(r.seconds, 1), round(r.finished_at, 1)])
    return out.getvalue()


def settings_text(settings):
    return ", ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "defaults"
