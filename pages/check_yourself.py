"""Check yourself: predict the answer, then reveal it."""

import re

import streamlit as st

from engine.lessons.quiz import MAKERS, make_question
from pages.server.session import record_answer
from pages.ui import params
from pages.ui.figures import grid_html, operator, side_by_side
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Check yourself")
st.markdown("Work the answer out first, type it, then check. A new question is made from random "
            "settings each time; your score is kept while this tab is open.")

KINDS = list(MAKERS)
SETTINGS = params.Settings("check_yourself", {
    "kind": params.Setting(KINDS[0], "Kind of question", "selectbox", choices=KINDS),
    "seed": params.Setting(1, "Question number", "number_input", low=0, high=10**6),
})
SETTINGS.restore()
st.session_state.setdefault("score", [0, 0])

SETTINGS.widget("kind")
q = make_question(st.session_state.kind, st.session_state.seed)
st.markdown(f"**{q.text}**")
if q.grid is not None and q.kernel is not None:
    st.markdown(side_by_side(grid_html(q.grid, caption="input"), operator("⋆"), grid_html(q.kernel, caption="kernel")),
                unsafe_allow_html=True)
elif q.grid is not None:
    st.markdown(grid_html(q.grid, caption="input (rows and columns count from 0)"), unsafe_allow_html=True)

reply = st.text_input("Your answer", key=f"reply_{st.session_state.kind}_{st.session_state.seed}",
                      placeholder="e.g. 2,3" if q.kind == "max-pool gradient" else "a number")
c1, c2 = st.columns(2)
checked_key = f"checked_{st.session_state.kind}_{st.session_state.seed}"
cell_answer = q.kind == "max-pool gradient"
well_formed = (re.fullmatch(r"\s*\(?\s*\d+\s*[, ]\s*\d+\s*\)?\s*", reply) if cell_answer
               else re.fullmatch(r"\s*-?\d+(\.\d*)?\s*", reply.replace(",", "")))
if c1.button("Check", type="primary", disabled=not reply.strip()):
    right = q.check(reply.strip().strip("()"))
    if not well_formed:
        st.warning("Type the cell as row, column (for example 2,3)." if cell_answer
                   else "Type a number (for example 12); this one was not counted.")
    elif not st.session_state.get(checked_key):
        st.session_state.score[0] += int(right)
        st.session_state.score[1] += 1
        st.session_state[checked_key] = "right" if right else "wrong"
        record_answer(q.kind, st.session_state.seed, reply, right)
if st.session_state.get(checked_key) == "right":
    st.success(f"Right. {q.explanation}")
elif st.session_state.get(checked_key) == "wrong":
    st.error(f"Not quite: the answer is {q.answer}. {q.explanation}")
if c2.button("Next question"):
    st.session_state.seed += 1
    st.rerun()

right, asked = st.session_state.score
st.metric("Score", f"{right} of {asked}")

SETTINGS.publish()
