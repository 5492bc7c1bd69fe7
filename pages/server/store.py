"""The class store: classes, students, answers and finished runs, in a real database.

    store = Store.open()                    # CONVLAB_DATABASE_URL, or convlab.db beside app.py
    store = Store("postgresql://convlab@db.school/convlab")

SQLite in a file by default, in WAL mode so that several app processes on one machine share it
(readers never wait for the writer); PostgreSQL through the same URL when several servers sit
behind nginx (`postgresql://` means the psycopg 3 driver). The schema is created when a store
opens, with its version in `convlab_schema`; a database written by a newer ConvLab is refused.

Every statement goes through SQLAlchemy Core with bound parameters. Writes are short
transactions; on SQLite they begin IMMEDIATE, so that a check and the write after it (the class
is not full, then the student joins) hold the write lock together, and two processes wait for
each other instead of failing.

The rules (who may join, what a teacher key opens) live in pages/server/classroom.py; this
module only keeps and finds rows. Times are Unix seconds.
"""

import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, create_engine, delete, event, func, insert, select, text, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

SCHEMA_VERSION = 1
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "convlab.db"

metadata = MetaData()

schema_info = Table("convlab_schema", metadata, Column("version", Integer, nullable=False))

classes = Table(
    "classes", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("key_hash", String(200), nullable=False),
    Column("max_students", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("key_failures", Integer, nullable=False, default=0),   # wrong teacher keys in a row
    Column("key_wait_until", Float, nullable=False, default=0.0),  # no key is tried before this
    Column("push_id", Integer, nullable=False, default=0),          # counts the links sent
    Column("push_link", String(2100)),                              # "pooling?size=3", or NULL
    Column("pushed_at", Float),
)

students = Table(
    "students", metadata,
    Column("id", Integer, primary_key=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("name_key", String(120)),  # the name case-folded while in the class; NULL once left
    Column("joined_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("page", String(80)),
    Column("left_at", Float),
    UniqueConstraint("class_id", "name_key"),
)

answers = Table(
    "answers", metadata,
    Column("id", Integer, primary_key=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("student_id", ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("reply", String(60), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("answered_at", Float, nullable=False),
    UniqueConstraint("student_id", "kind", "seed"),  # a question counts once: the first answer
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("student_id", ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("accuracy", Float, nullable=False),
    Column("settings", Text, nullable=False),  # JSON: the settings that differ from the page's defaults
    Column("seconds", Float, nullable=False),
    Column("finished_at", Float, nullable=False),
)


class SchemaError(RuntimeError):
    """The database holds a schema this ConvLab cannot use."""


def database_url(url=None):
    """The URL to open: the argument, CONVLAB_DATABASE_URL, or a SQLite file beside app.py.

    A plain postgresql:// URL is given the psycopg 3 driver, the one ConvLab installs.
    """
    url = url or os.environ.get("CONVLAB_DATABASE_URL") or f"sqlite:///{DEFAULT_PATH}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_engine(url):
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=8, max_overflow=16)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL: a commit survives the app process being killed (only a power cut
        # can lose the last ones), at a fraction of FULL's cost.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("writes") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """One database of classes. Thread-safe: every method takes its own connection."""

    _shared = {}
    _shared_lock = threading.Lock()

    def __init__(self, url=None):
        self.url = database_url(url)
        if self.url.get_backend_name() == "sqlite":
            path = self.url.database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(self.url)
        else:
            self.engine = create_engine(self.url, pool_size=8, max_overflow=16, pool_pre_ping=True)
        self._create_schema()

    @classmethod
    def open(cls, url=None):
        """The process's store for this URL (opened once, then shared by every session)."""
        key = str(database_url(url))
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(url)
            return cls._shared[key]

    @property
    def dialect(self):
        return self.engine.dialect.name

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def _write(self):
        with self.engine.connect() as conn:
            conn = conn.execution_options(writes=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SET LOCAL lock_timeout = '30s'"))
                yield conn

    @contextmanager
    def read(self):
        """A read-only transaction (the board's queries run several in one)."""
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def _create_schema(self):
        with self._write() as conn:
            if self.dialect == "postgresql":  # two servers starting at once create it once
                conn.execute(text("SELECT pg_advisory_xact_lock(7220531)"))
            metadata.create_all(conn)
            version = conn.execute(select(schema_info.c.version)).scalar()
            if version is None:
                conn.execute(insert(schema_info).values(version=SCHEMA_VERSION))
            elif version > SCHEMA_VERSION:
                raise SchemaError(f"the class database has schema version {version}, written by a newer "
                                  f"ConvLab; this one knows versions up to {SCHEMA_VERSION}")

    def schema_version(self):
        with self.read() as conn:
            return conn.execute(select(schema_info.c.version)).scalar()

    def _insert_ignoring_duplicates(self, table):
        """INSERT ... ON CONFLICT DO NOTHING, in this database's dialect."""
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).on_conflict_do_nothing()

    # ------------------------------------------------------------------ classes
    def add_class(self, code, name, key_hash, max_students, now):
        """The new class's id; raises sqlalchemy.exc.IntegrityError when the code is taken."""
        with self._write() as conn:
            return conn.execute(insert(classes).values(
                code=code, name=name, key_hash=key_hash, max_students=max_students, created_at=now,
                key_failures=0, key_wait_until=0.0, push_id=0)).inserted_primary_key[0]

    def count_classes(self):
        with self.read() as conn:
            return conn.execute(select(func.count()).select_from(classes)).scalar()

    def class_by_code(self, code):
        with self.read() as conn:
            return conn.execute(select(classes).where(classes.c.code == code)).mappings().first()

    def class_by_id(self, class_id):
        with self.read() as conn:
            return conn.execute(select(classes).where(classes.c.id == class_id)).mappings().first()

    def key_failed(self, class_id, wait_for, now):
        """Count one more wrong key; wait_for(failures) gives the seconds before the next try.

        Returns (failures, wait_until)."""
        with self._write() as conn:
            conn.execute(update(classes).where(classes.c.id == class_id)
                         .values(key_failures=classes.c.key_failures + 1))
            failures = conn.execute(select(classes.c.key_failures).where(classes.c.id == class_id)).scalar()
            if failures is None:
                return 0, 0.0
            wait_until = now + wait_for(failures)
            conn.execute(update(classes).where(classes.c.id == class_id).values(key_wait_until=wait_until))
            return failures, wait_until

    def key_accepted(self, class_id):
        with self._write() as conn:
            conn.execute(update(classes).where(classes.c.id == class_id)
                         .values(key_failures=0, key_wait_until=0.0))

    def push(self, class_id, link, now):
        """Send the class to a link (None clears it); returns the push's number."""
        with self._write() as conn:
            conn.execute(update(classes).where(classes.c.id == class_id)
                         .values(push_id=classes.c.push_id + 1, push_link=link, pushed_at=now))
            return conn.execute(select(classes.c.push_id).where(classes.c.id == class_id)).scalar()

    def delete_class(self, class_id):
        """The class and everything recorded in it. Returns whether there was such a class."""
        with self._write() as conn:
            for table in (answers, runs, students):
                conn.execute(delete(table).where(table.c.class_id == class_id))
            return conn.execute(delete(classes).where(classes.c.id == class_id)).rowcount > 0

    # ------------------------------------------------------------------ students
    def add_student(self, class_id, token_hash, name, name_key, now):
        """The new student's id, or a reason it could not join: 'no class', 'full' or 'name taken'."""
        with self._write() as conn:
            # FOR UPDATE: on PostgreSQL, joins to one class wait for each other here, so that the
            # count below is still true when the row goes in (SQLite's IMMEDIATE does this already).
            cls = conn.execute(select(classes.c.max_students).where(classes.c.id == class_id)
                               .with_for_update()).first()
            if cls is None:
                return "no class"
            present = conn.execute(select(func.count()).select_from(students).where(
                students.c.class_id == class_id, students.c.left_at.is_(None))).scalar()
            if present >= cls.max_students:
                return "full"
            taken = conn.execute(select(students.c.id).where(
                students.c.class_id == class_id, students.c.name_key == name_key)).first()
            if taken is not None:
                return "name taken"
            return conn.execute(insert(students).values(
                class_id=class_id, token_hash=token_hash, name=name, name_key=name_key,
                joined_at=now, last_seen=now)).inserted_primary_key[0]

    def student_by_token(self, token_hash):
        """The student (with its class's name and code) while still in a class, else None."""
        query = (select(students.c.id, students.c.class_id, students.c.name, classes.c.name.label("class_name"),
                        classes.c.code)
                 .join(classes, classes.c.id == students.c.class_id)
                 .where(students.c.token_hash == token_hash, students.c.left_at.is_(None)))
        with self.read() as conn:
            return conn.execute(query).mappings().first()

    def seen(self, student_id, page, now):
        """The student is active on this page now. False when they are no longer in a class."""
        with self._write() as conn:
            return conn.execute(update(students).where(students.c.id == student_id, students.c.left_at.is_(None))
                                .values(last_seen=now, page=page)).rowcount > 0

    def leave(self, student_id, now):
        """The student leaves: their work stays on the board, their name is free again."""
        with self._write() as conn:
            conn.execute(update(students).where(students.c.id == student_id)
                         .values(left_at=now, name_key=None))

    def student_summary(self, student_id):
        """What one student may see of their own record: answers, right answers, finished runs."""
        with self.read() as conn:
            answered, right = conn.execute(
                select(func.count(), func.coalesce(func.sum(answers.c.correct.cast(Integer)), 0))
                .where(answers.c.student_id == student_id)).one()
            finished = conn.execute(select(func.count()).select_from(runs)
                                    .where(runs.c.student_id == student_id)).scalar()
        return {"answered": answered, "right": int(right), "runs": finished}

    # ------------------------------------------------------------------ work
    def add_answer(self, class_id, student_id, kind, seed, reply, correct, now):
        """Record an answer; a second answer to the same question is ignored. True if recorded."""
        with self._write() as conn:
            return conn.execute(self._insert_ignoring_duplicates(answers).values(
                class_id=class_id, student_id=student_id, kind=kind, seed=seed, reply=reply,
                correct=bool(correct), answered_at=now).returning(answers.c.id)).first() is not None

    def add_run(self, class_id, student_id, accuracy, settings, seconds, now):
        with self._write() as conn:
            return conn.execute(insert(runs).values(
                class_id=class_id, student_id=student_id, accuracy=float(accuracy),
                settings=json.dumps(settings, sort_keys=True), seconds=float(seconds),
                finished_at=now)).inserted_primary_key[0]
