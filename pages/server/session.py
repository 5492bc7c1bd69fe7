"""A browser tab's place in a class: the hooks that pages call, on top of the class store.

- `class_session(page)` (app.py, every run): finds the student this tab belongs to (in the
  session, or from the `student` query parameter after a reload or a pushed link), keeps the
  parameter in the address, records which page they are on, and shows the class line in the
  sidebar and the teacher's banner, which a fragment refreshes every few seconds (that refresh
  also tells the board the student is still there).
- `record_answer(...)` (check_yourself) and `record_run(...)` (train) write the student's work;
  a tab that is in no class records nothing.
- `open_board(code, key)` and `board_class()` for the teacher page.

A database that cannot be reached never breaks a page: the page goes on and says that its work
is not being recorded.
"""

import logging
import time
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from pages.server import classroom, links
from pages.server.store import SchemaError, Store
from pages.server.threads import page_run

MEMBER = "_class_member"        # the Member this tab belongs to
TRIED = "_class_token_tried"    # a token from the address already looked up
SEEN = "_class_seen"            # (page, time) last written to the store
PAGE = "_class_page"            # the page this tab shows now
DISMISSED = "_class_dismissed"  # the push this tab has seen or put away
BOARD = "_class_board"          # the class whose board this tab may show
NEW_KEY = "_class_new_key"      # (class id, key) of a class just made here, until put away
ACTIVE_EVERY = 10               # seconds between two writes of "still here, on this page"
BANNER_SECONDS = 5              # how often a student's tab looks for a link from the teacher

log = logging.getLogger("convlab.classroom")


class StoreUnavailable(RuntimeError):
    """The class database could not be reached; the sentence says so."""


def store():
    """The class store this server uses (CONVLAB_DATABASE_URL), opened on first use."""
    try:
        return Store.open()
    except (SQLAlchemyError, SchemaError, OSError) as err:
        log.error("cannot open the class database: %s", err)
        raise StoreUnavailable(f"The class database cannot be opened ({type(err).__name__}).") from err


@contextmanager
def _database():
    """A database error inside becomes StoreUnavailable, which the pages show as a sentence."""
    try:
        yield
    except SQLAlchemyError as err:
        log.error("class database error: %s", err)
        raise StoreUnavailable("The class database did not answer.") from err


@contextmanager
def guarded(what="your work is not being recorded"):
    """Run store calls; a database error becomes one warning on the page, never a traceback."""
    try:
        yield
    except StoreUnavailable as err:
        st.warning(f"{err} For now {what}.")
    except SQLAlchemyError as err:
        log.error("class database error: %s", err)
        st.warning(f"The class database did not answer. For now {what}.")


def current_member():
    """The Member this tab belongs to, or None."""
    return st.session_state.get(MEMBER)


def join_class(code, name):
    """Join a class from this tab; raises ClassError or StoreUnavailable with a sentence."""
    with _database():
        who = classroom.join(store(), code, name)
    st.session_state[MEMBER] = who
    st.session_state.pop(SEEN, None)
    st.query_params["student"] = who.token
    return who


def leave_class():
    who = st.session_state.pop(MEMBER, None)
    st.query_params.pop("student", None)
    if who is not None:
        with guarded("leaving is not recorded"):
            store().leave(who.student_id, time.time())


def _restore():
    """The member for this tab: kept in the session, or found from the address's token once."""
    who = current_member()
    token = st.query_params.get("student")
    if who is None and token is not None and st.session_state.get(TRIED) != token:
        st.session_state[TRIED] = token
        with guarded():
            who = classroom.member(store(), token)
        if who is None:
            st.query_params.pop("student", None)
        else:
            st.session_state[MEMBER] = who
    pushed = st.query_params.get("pushed")
    if pushed is not None:  # came in through the teacher's banner: that banner is done with
        if pushed.isdigit():
            st.session_state[DISMISSED] = int(pushed)
        st.query_params.pop("pushed", None)
    if who is not None and token != who.token:
        st.query_params["student"] = who.token  # page switches drop the query string
    return who


def _still_here(who, page):
    """Tell the store the student is on `page` (at most every ACTIVE_EVERY s); False once their class is gone."""
    last_page, last_time = st.session_state.get(SEEN, (None, 0.0))
    now = time.time()
    if page == last_page and now - last_time < ACTIVE_EVERY:
        return True
    st.session_state[SEEN] = (page, now)
    return store().seen(who.student_id, page, now)


def _class_over():
    """The teacher ended the class: forget it, and say so at the top of the next run."""
    st.session_state.pop(MEMBER, None)
    st.query_params.pop("student", None)
    st.session_state["_class_ended_note"] = True
    st.rerun(scope="app")


def class_session(page):
    """app.py's hook: activity, the class line in the sidebar and the teacher's banner."""
    from pages.ui.classroom import class_ended_note, sidebar_line  # (that module imports this one)

    who = _restore()
    if st.session_state.pop("_class_ended_note", False):
        class_ended_note()
    if who is None:
        return
    st.session_state[PAGE] = page.url_path or "home"  # the default page's path is ""
    with guarded():
        if not _still_here(who, st.session_state[PAGE]):
            _class_over()
    sidebar_line(who, leave_class)
    st.fragment(run_every=BANNER_SECONDS)(page_run(_banner))()


def _banner():
    from pages.ui.classroom import teacher_banner

    who = current_member()
    if who is None:
        return
    with guarded():
        cls = store().class_by_id(who.class_id)
        if cls is None or not _still_here(who, st.session_state.get(PAGE, "")):
            _class_over()
        if cls["push_link"] and cls["push_id"] != st.session_state.get(DISMISSED):
            teacher_banner(cls, links.student_link(cls["push_link"], who.token, cls["push_id"]), _put_away)


def _put_away(push_id):
    st.session_state[DISMISSED] = push_id


def my_record():
    """What the student of this tab may see of their own record, or None."""
    who = current_member()
    if who is None:
        return None
    with guarded("your record cannot be shown"):
        return store().student_summary(who.student_id)
    return None


# ---------------------------------------------------------------------- hooks in the lesson pages
def record_answer(kind, seed, reply, right):
    """check_yourself: a checked answer, for the class board (nothing outside a class)."""
    who = current_member()
    if who is not None:
        with guarded("your answers are not being recorded"):
            classroom.record_answer(store(), who, kind, seed, reply, right)


def record_run(run, defaults, accuracy):
    """train: a run that finished, with the settings that differ from the page's defaults."""
    who = current_member()
    progress = run.snapshot()
    if who is None or progress.state != "finished":
        return
    changed = {k: getattr(run.config, k) for k in defaults
               if hasattr(run.config, k) and getattr(run.config, k) != defaults[k]}
    with guarded("your run is not being recorded"):
        classroom.record_run(store(), who, accuracy, changed, progress.elapsed)


# ---------------------------------------------------------------------- the teacher's side
def create_class(name, size):
    with _database():
        made = classroom.create_class(store(), name, size)
    st.session_state[BOARD] = made.id
    st.session_state[NEW_KEY] = (made.id, made.key)
    return made


def open_board(code, key):
    """Open a class's board in this tab with its teacher key; raises ClassError or StoreUnavailable."""
    with _database():
        cls = classroom.open_board(store(), code, key)
    st.session_state[BOARD] = cls["id"]
    return cls


def board_class():
    """The id of the class whose board this tab shows, or None."""
    return st.session_state.get(BOARD)


def close_board():
    st.session_state.pop(BOARD, None)
    st.session_state.pop(NEW_KEY, None)
