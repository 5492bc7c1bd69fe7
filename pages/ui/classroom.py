"""What a class looks like on the pages: the join box, the class line, the teacher's banner, the board.

Names come from students and are shown as text everywhere: in tables (which never read
Markdown) or through `as_text()` (pages/ui/text.py), which escapes every character Markdown or HTML
would act on.
"""

import time

import pandas as pd
import streamlit as st

from pages.server import board as boards
from pages.server import links, session
from pages.server.classroom import ClassError
from pages.server.codes import show_code
from pages.ui.lessons import LESSONS
from pages.ui.text import as_text

TITLES = {lesson.url_path: lesson.title for lesson in LESSONS}


def ago(seconds):
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


# ---------------------------------------------------------------------- students
def join_box():
    """Home page: join a class with its code and a name, or see the class you are in and leave it."""
    who = session.current_member()
    if who is not None:
        record = session.my_record()
        line = f"You are in the class **{as_text(who.class_name)}** as **{as_text(who.name)}**."
        if record is not None:
            line += (f" Recorded for you so far: {record['answered']} answers ({record['right']} right), "
                     f"{record['runs']} finished training runs.")
        st.success(line)
        st.caption("This tab's address now carries your place in the class (its student=… part): "
                   "to share a page with someone, leave that part out.")
        st.button("Leave the class", on_click=session.leave_class)
        return
    invited = st.query_params.get("join", "")[:12]  # the teacher's link "…/?join=7K2Q-M9XD" fills in the code
    if invited:
        st.session_state.setdefault("join_code", invited)
    with st.expander("In a class? Join it with your teacher's code", expanded=bool(invited)):
        a, b, c = st.columns([2, 3, 1], vertical_alignment="bottom")
        code = a.text_input("Class code", max_chars=12, placeholder="7K2Q-M9XD", key="join_code")
        name = b.text_input("Your name, as the teacher will see it", max_chars=60, key="join_name")
        if c.button("Join", type="primary", disabled=not (code.strip() and name.strip())):
            try:
                session.join_class(code, name)
            except ClassError as err:
                st.error(as_text(err))
            except session.StoreUnavailable as err:
                st.error(f"{err} Joining a class does not work on this server now.")
            else:
                st.rerun()
        st.caption("No account and no password: your teacher sees your name, the page you are on, your "
                   "check-yourself answers and your finished training runs, and nobody else's data is shown to you.")


def sidebar_line(who, leave):
    st.sidebar.caption(f"In the class **{as_text(who.class_name)}** as **{as_text(who.name)}**")
    st.sidebar.button("Leave the class", on_click=leave, key="_class_leave")


def class_ended_note():
    st.info("Your class has ended: your teacher closed it. Everything else works as before.")


def teacher_banner(cls, href, put_away):
    """The link the teacher sent the class to; put_away(push_id) when the student closes it."""
    link = cls["push_link"]
    page = link.split("?", 1)[0]
    settings = links.link_settings(link)
    where = f"{TITLES.get(page, page)}" + (f" ({settings})" if settings else "")
    left, right = st.columns([6, 1], vertical_alignment="center")
    left.info(f"Your teacher sends the class to **[{as_text(where)}]({href})**", icon=":material/campaign:")
    right.button("Put away", key=f"_class_put_away_{cls['push_id']}", on_click=put_away, args=(cls["push_id"],))


# ---------------------------------------------------------------------- the teacher
def board_header(board):
    st.subheader(as_text(board.name))
    st.markdown(f"Students join on the Welcome page with the code **{show_code(board.code)}** and a name "
                f"(or open the Welcome page's address with `?join={show_code(board.code)}` at the end).")


def board_figures(board, now):
    """The live part of the board: who is where, the answers, the leaderboard, the downloads."""
    present = board.present
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Students", f"{len(present)} of {board.max_students}")
    m2.metric("Here now", sum(s.here for s in present))
    m3.metric("Answers", board.answers)
    m4.metric("Finished runs", len(board.runs))

    st.markdown("**Who is where**")
    if not board.students:
        st.caption("Nobody has joined yet.")
    else:
        st.dataframe(pd.DataFrame([{
            "student": s.name, "here": "left" if s.left else ("yes" if s.here else "away"),
            "page": TITLES.get(s.page, s.page), "last active": ago(now - s.last_seen),
            "answers right": f"{s.right} of {s.answered}",
            "best test accuracy": "" if s.best_accuracy is None else f"{s.best_accuracy:.2%}",
        } for s in board.students]), hide_index=True, width="stretch")

    st.markdown("**Check yourself**")
    st.dataframe(pd.DataFrame([{
        "kind of question": k.kind, "right": k.right, "wrong": k.wrong,
        "commonest wrong answers": "; ".join(f"{reply} ({n}x, question {seed})" for seed, reply, n in k.common_wrong),
        "not answered yet": f"{len(k.not_answered)}: " + ", ".join(k.not_answered) if k.not_answered else "0",
    } for k in board.kinds]), hide_index=True, width="stretch")
    hard = [q for q in board.questions if q.wrong][:5]
    if hard:
        st.caption("The questions most got wrong (question n is the n-th a student meets of its kind):")
        st.dataframe(pd.DataFrame([{
            "question": f"{q.kind}, question {q.seed}", "wrong": q.wrong, "right": q.right,
            "wrong answers given": "; ".join(f"{reply} ({n}x)" for reply, n in q.common_wrong),
        } for q in hard]), hide_index=True, width="stretch")

    st.markdown("**Leaderboard of finished training runs**")
    if not board.runs:
        st.caption("No finished run yet.")
    else:
        st.dataframe(pd.DataFrame([{
            "rank": i + 1, "student": r.name, "test accuracy": f"{r.accuracy:.2%}",
            "settings changed": boards.settings_text(r.settings), "time": f"{r.seconds:.0f} s",
        } for i, r in enumerate(board.runs[:50])]), hide_index=True, width="stretch")

    store, class_id = session.store(), board.id
    d1, d2, d3 = st.columns(3)
    def latest():
        return boards.load_board(store, class_id, time.time()) or board

    d1.download_button("Board (CSV)", lambda: boards.board_csv(latest(), TITLES),
                       f"convlab-{board.code}-board.csv", "text/csv", on_click="ignore")
    d2.download_button("Every answer (CSV)", lambda: boards.answers_csv(store, class_id),
                       f"convlab-{board.code}-answers.csv", "text/csv", on_click="ignore")
    d3.download_button("Runs (CSV)", lambda: boards.runs_csv(latest()),
                       f"convlab-{board.code}-runs.csv", "text/csv", on_click="ignore")


def pushed_line(board):
    if not board.push_link:
        st.caption("The class sees no banner now.")
        return
    page = board.push_link.split("?", 1)[0]
    settings = links.link_settings(board.push_link)
    with_settings = f" with {as_text(settings)}" if settings else ""
    st.caption(f"The class sees a banner to {TITLES.get(page, page)}{with_settings}.")
