"""The Practice and Mastery pages: thin calls into `assistant.practice.coach.Coach`."""

from __future__ import annotations

import streamlit as st

from assistant.errors import StudyError
from assistant.sanitize import sanitize_markdown
from ui.render import card_label, guide_text_markdown


def _next_question() -> None:
    # A callback: it runs before the next script run, when the answer box may still be reset.
    st.session_state.practice_q = None
    st.session_state.practice_grade = None
    st.session_state.practice_answer = ""


def practice_page(coach, section: str | None, llm=None) -> None:
    st.subheader("Practice: mock interview")
    state = st.session_state
    if state.get("practice_q") is None:
        state.practice_q = coach.next(section)[0]
        state.practice_grade = None
    chunk = coach.grader.chunk(state.practice_q)
    st.markdown(f"**Q{chunk.number}.** {guide_text_markdown(chunk.title)}")
    st.caption(chunk.section)
    st.text_area("Your answer", key="practice_answer", height=150,
                 placeholder="Answer as you would in the interview, in a few sentences.")
    left, right = st.columns(2)
    if left.button("Grade my answer", key="practice_grade_btn", type="primary"):
        try:
            state.practice_grade, _ = coach.grade(chunk.number, state.get("practice_answer", ""))
        except StudyError as err:
            st.error(str(err), icon=":material/error:")
    right.button("Next question", key="practice_next", on_click=_next_question)
    grade = state.get("practice_grade")
    if grade is not None and grade.question == chunk.number:
        st.metric("Score", f"{grade.score}/100")
        for point in grade.covered:
            st.success(guide_text_markdown(point), icon=":material/check:")
        for point in grade.missed:
            st.warning(guide_text_markdown(point), icon=":material/close:")
        with st.expander(f"The guide's answer: {card_label(chunk.number, chunk.title, chunk.section)}"):
            st.markdown(guide_text_markdown(grade.reference))
        if llm is not None and st.button("Coach me", key="practice_coach", icon=":material/record_voice_over:"):
            _coach(llm, grade)


def _coach(llm, grade) -> None:
    """The model only words the feedback: the score and the points above come from code."""
    from assistant.llm import BackendError
    from assistant.practice.grading import coaching_prompt

    box, text = st.empty(), ""
    try:
        for delta in llm.stream(coaching_prompt(grade), max_tokens=120, temperature=0.3):
            text += delta
            box.info(sanitize_markdown(text), icon=":material/record_voice_over:")
    except BackendError as err:
        st.error(str(err), icon=":material/error:")


def mastery_page(coach) -> None:
    st.subheader("Mastery")
    m = coach.mastery()
    t = m["totals"]
    cols = st.columns(4)
    for col, name in zip(cols, ("unseen", "learning", "due", "mastered")):
        col.metric(name.capitalize(), t[name])
    rows = [{"section": name, **counts} for name, counts in m["sections"].items()]
    st.bar_chart(rows, x="section", y=["mastered", "learning", "due", "unseen"], horizontal=True, height=360)
    st.dataframe(rows, hide_index=True, key="mastery_sections")
    st.dataframe(
        [{k: q[k] for k in ("question", "title", "section", "state", "last_score", "reviews")} for q in m["questions"]],
        hide_index=True, key="mastery_questions",
    )
