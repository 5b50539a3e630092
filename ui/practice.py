"""The Practice page: thin calls into `assistant.practice.coach.Coach` (Mastery: ui/mastery.py)."""

from __future__ import annotations

import time

import streamlit as st

from assistant.core.errors import StudyError
from assistant.core.sanitize import sanitize_markdown
from assistant.practice.mastery import next_review
from ui.interview import interview_page
from ui.render import card_label, guide_text_markdown

MODES = ("One question", "Mock interview", "Explain it back")


def _next_question() -> None:
    # A callback: it runs before the next script run, when the answer box may still be reset.
    st.session_state.practice_q = None
    st.session_state.practice_grade = None
    st.session_state.practice_answer = ""


def _answer_follow_up(number: int) -> None:
    _next_question()
    st.session_state.practice_q = number


def _explain_follow_up(number: int) -> None:
    st.session_state.explain_q = number
    st.session_state.explain_result = None
    st.session_state.explain_text = ""


def practice_page(coach, section: str | None, llm=None) -> None:
    mode = st.radio("Mode", MODES, key="practice_mode", horizontal=True, label_visibility="collapsed")
    if mode == MODES[1]:
        interview_page(coach, section)
        return
    if mode == MODES[2]:
        explain_page(coach, llm)
        return
    st.subheader("Practice: one question at a time")
    st.caption("Due questions come first, then unseen questions of your weakest sections.")
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
            state.practice_grade, card = coach.grade(chunk.number, state.get("practice_answer", ""))
            state.practice_review = coach.review_summary(card)
            state.practice_follow_q = _follow_number(coach, state.practice_grade)
        except StudyError as err:
            st.error(str(err), icon=":material/error:")
    right.button("Next question", key="practice_next", on_click=_next_question)
    grade = state.get("practice_grade")
    if grade is not None and grade.question == chunk.number:
        _show_grade(coach, grade, state.get("practice_review"), grade.unsupported, state.get("practice_follow_q"),
                    "Answer this follow-up", _answer_follow_up, "practice")
        if llm is not None and st.button("Coach me", key="practice_coach", icon=":material/record_voice_over:"):
            _coach(llm, grade)


def explain_page(coach, llm=None) -> None:
    """The learner picks any question and explains it; sentences the guide does not back are listed."""
    st.subheader("Practice: explain it back")
    state = st.session_state
    titles = {c.number: c.title for c in coach.index.chunks}
    number = st.selectbox("Question to explain", sorted(titles), key="explain_q",
                          format_func=lambda n: f"Q{n} · {titles[n]}")
    st.text_area("Your explanation", key="explain_text", height=200,
                 placeholder="Explain it as if teaching a colleague: what it is, how it works, why it matters.")
    if st.button("Grade my explanation", key="explain_grade_btn", type="primary"):
        try:
            explanation, card = coach.explain(number, state.get("explain_text", ""))
            state.explain_result = (explanation, coach.review_summary(card), _follow_number(coach, explanation.grade))
        except StudyError as err:
            st.error(str(err), icon=":material/error:")
    result = state.get("explain_result")
    if result is not None and result[0].grade.question == number:
        explanation, review, follow = result
        _show_grade(coach, explanation.grade, review, explanation.unbacked, follow, "Explain this follow-up",
                    _explain_follow_up, "explain")


def _follow_number(coach, grade) -> int | None:
    follow = coach.follow_up(grade.question, grade.missed)
    return None if follow is None else follow.number


def _show_grade(coach, grade, review, unbacked, follow, follow_label, on_follow, key) -> None:
    """Score, what the scheduler made of it, the contradictions, key points covered and missed,
    the sentences to check, the guide's answer, a follow-up."""
    st.metric("Score", f"{grade.score}/100")
    if review is not None:
        st.caption(f"Rated {review['rating']}; next review: {next_review(review['due_at'], time.time())}.")
    for wrong in grade.contradictions:  # first: a reversed fact is what the learner must unlearn
        st.error(guide_text_markdown(str(wrong)), icon=":material/block:")
    for point in grade.covered:
        st.success(guide_text_markdown(point), icon=":material/check:")
    for point in grade.named:
        st.info(f"Named, not explained: {guide_text_markdown(point)}", icon=":material/more_horiz:")
    for point in grade.missed:
        st.warning(guide_text_markdown(point), icon=":material/close:")
    for sentence in unbacked:
        st.error(f"Not in the guide's answer, check it: {guide_text_markdown(sentence)}", icon=":material/report:")
    chunk = coach.grader.chunk(grade.question)
    with st.expander(f"The guide's answer: {card_label(chunk.number, chunk.title, chunk.section)}"):
        st.markdown(guide_text_markdown(grade.reference))
    if follow is not None:
        related = coach.grader.chunk(follow)
        st.info(f"Follow-up, a related question: Q{related.number} · {guide_text_markdown(related.title)}",
                icon=":material/arrow_forward:")
        st.button(follow_label, key=f"{key}_follow_btn", on_click=on_follow, args=(related.number,))


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
