"""Teacher: start a class, watch its board live, send the class to a page, export it, end it."""

import time

import streamlit as st

from pages.server import board as boards
from pages.server import links, session
from pages.server.classroom import DEFAULT_CLASS_SIZE, LARGEST_CLASS, ClassError
from pages.server.codes import show_code
from pages.server.threads import page_run
from pages.ui import params
from pages.ui.classroom import board_figures, board_header, pushed_line
from pages.ui.lessons import available_lessons, run_inside_app
from pages.ui.text import as_text

run_inside_app()
st.title("Teacher")
st.markdown("Start a class and give your students its code: they join from the Welcome page with the code "
            "and a name, no account needed. The board shows who is on which page, how the check-yourself "
            "questions went and whose training run did best, and it can send the whole class to a page.")

BOARD_SECONDS = 2
PAGES = {lesson.url_path: lesson.title for lesson in available_lessons() if lesson.url_path != "teacher"}
SETTINGS = params.Settings("teacher", {
    "code": params.Setting("", "Class code", "text_input", max_chars=12),
})
SETTINGS.restore()


def start_or_open():
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Start a class")
        name = st.text_input("Name of the class", max_chars=80, placeholder="Period 3, CNN workshop", key="class_name")
        size = st.number_input("Students at most", 1, LARGEST_CLASS, DEFAULT_CLASS_SIZE, key="class_size")
        if st.button("Start the class", type="primary", disabled=not name.strip()):
            try:
                session.create_class(name, int(size))
            except (ClassError, session.StoreUnavailable) as err:
                st.error(as_text(err))
            else:
                st.rerun()
    with right:
        st.subheader("Open a class board")
        code = SETTINGS.widget("code", placeholder="7K2Q-M9XD")
        key = st.text_input("Teacher key", max_chars=60, type="password", key="board_key")
        if st.button("Open the board", disabled=not (code.strip() and key.strip())):
            try:
                session.open_board(code, key)
            except (ClassError, session.StoreUnavailable) as err:
                st.error(as_text(err))
            else:
                st.rerun()


def new_key_note(class_id):
    made = st.session_state.get(session.NEW_KEY)
    if not made or made[0] != class_id:
        return
    st.warning("Your teacher key, shown only this once: keep it to open this board again (from another "
               "tab, or after the server restarts). Only a hash of it is stored.")
    st.code(made[1], language=None)
    if st.button("I have kept the key"):
        st.session_state.pop(session.NEW_KEY, None)
        st.rerun()


def live_board(class_id):
    with session.guarded("the board cannot be shown"):
        board = boards.load_board(session.store(), class_id, time.time())
        if board is None:
            session.close_board()
            st.rerun(scope="app")
        board_figures(board, time.time())


def send_the_class(board):
    st.subheader("Send the class here")
    a, b = st.columns(2)
    page = a.selectbox("Page", list(PAGES), format_func=PAGES.get, key="push_page")
    address = b.text_input("or paste a page's address, with its settings", max_chars=2000, key="push_address",
                           placeholder="http://…/pooling?size=3&stride=1")
    c1, c2 = st.columns(2)
    if c1.button("Send the class there", type="primary"):
        try:
            link = links.page_link(address or page, set(PAGES))
        except ValueError as err:
            st.error(str(err))
        else:
            with session.guarded("nothing was sent"):
                session.store().push(board.id, link, time.time())
                st.rerun()
    if c2.button("Take the banner away", disabled=not board.push_link):
        with session.guarded("the banner stays"):
            session.store().push(board.id, None, time.time())
            st.rerun()
    pushed_line(board)


def end_class(board):
    st.subheader("End the class")
    sure = st.checkbox("I have downloaded what I want to keep: delete this class and everything recorded in it",
                       key="end_sure")
    c1, c2 = st.columns(2)
    if c1.button("End the class", disabled=not sure):
        with session.guarded("the class is not ended"):
            session.store().delete_class(board.id)
            session.close_board()
            st.session_state.pop("end_sure", None)
            st.session_state["_class_ended"] = board.name
            st.rerun()
    if c2.button("Close this board", help="The class goes on; open it again with its code and key"):
        session.close_board()
        st.rerun()


ended = st.session_state.pop("_class_ended", None)
if ended is not None:
    st.success(f"The class {as_text(ended)} has ended and everything recorded in it is deleted.")
class_id = session.board_class()
if class_id is None:
    start_or_open()
else:
    board, answered = None, False
    with session.guarded("the board cannot be shown"):
        board = boards.load_board(session.store(), class_id, time.time())
        answered = True
    if answered and board is None:
        session.close_board()
        st.info("That class has ended.")
        start_or_open()
    elif board is not None:
        st.session_state.code = show_code(board.code)
        board_header(board)
        new_key_note(board.id)
        st.fragment(run_every=BOARD_SECONDS)(page_run(live_board))(board.id)
        send_the_class(board)
        end_class(board)

SETTINGS.publish()
