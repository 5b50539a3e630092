"""The mock interview page: a timed round with one follow-up per answer, then a summary.
Thin: `assistant.practice.interview.Interview` runs the round; this page shows it.

The countdown is a fragment that reruns itself every second, so the clock moves while the
learner types without rerunning the page. A browser only sends a text box's words when
they are submitted, so the page cannot take an answer when the clock runs out: it says
time is up, and whatever is submitted after that is graded and marked over time.
"""

from __future__ import annotations

import streamlit as st

from assistant.core.errors import StudyError
from assistant.practice.interview import Interview, clock_text, summary_markdown
from ui.render import guide_text_markdown

MINUTES = (1, 2, 3, 5)


def interview_page(coach, section: str | None) -> None:
    st.subheader("Mock interview")
    interview = st.session_state.get("interview")
    if interview is None or interview.coach is not coach:  # none yet, or another learner's
        _start(coach, section)
    elif interview.ended:
        _summary(interview)
    else:
        _question(interview)


def _start(coach, section: str | None) -> None:
    st.caption("Questions come from what is due and your weakest sections, one per section; each answer "
               "is followed by one follow-up from a related question. Grades go into your progress.")
    left, right = st.columns(2)
    count = left.number_input("Questions", 1, 10, 3, key="interview_count")
    minutes = right.selectbox("Minutes per question", MINUTES, index=1, key="interview_minutes")
    if st.button("Start the interview", key="interview_start", type="primary", icon=":material/timer:"):
        try:
            st.session_state.interview = Interview.start(coach, int(count), float(minutes), section)
        except StudyError as err:
            st.error(str(err), icon=":material/error:")
            return
        st.rerun()


def _question(interview: Interview) -> None:
    item = interview.ask()
    main, total = interview.position
    where = f" · follow-up to Q{item.follow_up_of}" if item.follow_up_of else ""
    st.caption(f"Question {main} of {total}{where} · {item.section}")
    st.markdown(f"**Q{item.question}.** {guide_text_markdown(item.title)}")
    _countdown(interview)
    turn = len(interview.asked)  # a new box per question: the last answer never carries over
    with st.form(f"interview_form_{turn}"):
        text = st.text_area("Your answer", key=f"interview_answer_{turn}", height=160,
                            placeholder="Answer as you would in the room; Ctrl+Enter submits.")
        sent = st.form_submit_button("Submit answer", type="primary")
    if sent:
        try:
            interview.answer(text)
        except StudyError as err:
            st.error(str(err), icon=":material/error:")
            return
        st.rerun()
    st.button("End the interview now", key="interview_end", on_click=interview.finish)


@st.fragment(run_every=1.0)
def _countdown(interview: Interview) -> None:
    if interview.current is None:
        return
    left = interview.remaining()
    if left > 0:
        st.progress(min(1.0, left / interview.seconds), text=f"{clock_text(left)} left")
    else:
        st.warning("Time is up: submit what you have (it is marked over time).", icon=":material/timer_off:")


def _summary(interview: Interview) -> None:
    summary = interview.finish()  # saved once, when the round ended
    rows = summary["questions"]
    cols = st.columns(3)
    cols[0].metric("Score", f"{summary['score']}/100")
    cols[1].metric("Contradictions", summary["contradictions"])
    cols[2].metric("Over time", summary["over_time"])
    st.dataframe(
        [{"question": f"Q{r['question']}", "title": r["title"],
          "asked as": f"follow-up to Q{r['follow_up_of']}" if r["follow_up_of"] else "main question",
          "score": r["score"],
          "time": (clock_text(r["seconds"] or 0) + (" (over)" if r["over_time"] else "")) if r["answered"]
          else "no answer"} for r in rows],
        hide_index=True, key="interview_rows",
        column_config={"title": st.column_config.TextColumn(width="large")},
    )
    for r in rows:
        for wrong in r["contradictions"]:
            st.error(f"Q{r['question']}: you said \u201c{guide_text_markdown(wrong['sentence'])}\u201d; the guide: "
                     f"\u201c{guide_text_markdown(wrong['guide_line'])}\u201d", icon=":material/block:")
    for r in rows:
        if r["missed"]:
            with st.expander(f"Q{r['question']}: {len(r['missed'])} key point(s) missed"):
                for point in r["missed"]:
                    st.markdown(f"- {guide_text_markdown(point)}")
    if summary["due_next"]:
        st.markdown("**When these come back**")
        for d in summary["due_next"]:
            st.caption(f"Q{d['question']} · {guide_text_markdown(d['title'])} ({d['when']})")
    left, right = st.columns(2)
    left.download_button("Download the summary (Markdown)", summary_markdown(summary), "mock-interview.md",
                         "text/markdown", key="interview_download", icon=":material/download:")
    if right.button("New interview", key="interview_new"):
        del st.session_state["interview"]
        st.rerun()
