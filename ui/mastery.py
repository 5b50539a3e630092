"""The Mastery page, read at a glance: four counts, the sections as bars coloured by state,
each section's score over time, and one narrow table of questions.

Everything shown comes from `Coach.mastery()` (assistant/practice/mastery.py), already in
words ("due in 8 days", "stable for ~3 weeks"); this module only lays it out. Predicted
recall "now" is not shown: right after a review FSRS predicts 100% whatever the grade,
which tells a learner nothing; when the question comes back and how long it stays do.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from assistant.practice.schedule import STATES, STRONG_SECTION

WORDS = {"mastered": "Mastered", "learning": "Learning", "due": "Due", "unseen": "Unseen"}
# The stack's order, left to right, with its colours: done is green, coming along blue,
# waiting for you orange, not started grey.
COLOURS = {"mastered": "#2e7d32", "learning": "#1f77b4", "due": "#ef6c00", "unseen": "#9e9e9e"}
ALL = "All sections"


def mastery_page(coach) -> None:
    st.subheader("Mastery")
    m = coach.mastery()
    for col, name in zip(st.columns(4), STATES):
        col.metric(WORDS[name], m["totals"][name])
    retention = f"{m['desired_retention']:.0%}"
    st.caption(
        f"Scheduled by FSRS to keep {retention} recall. **Due**: FSRS predicts your recall has fallen to "
        f"{retention} (or a failed question's 10-minute retry has come). **Mastered**: stable for 3 weeks or "
        "more (still a 90% chance of recalling it three weeks after the last review) and not due."
    )
    st.altair_chart(_sections_chart(m["sections"]), width="stretch")
    if m["history"]:
        st.altair_chart(_history_chart(m["history"]), width="stretch")
        st.caption(f"Dashed line: {STRONG_SECTION}. A practised section below it is weak: its unseen questions "
                   "come first in a round.")
    else:
        st.caption("Each section's score over time appears here after your first graded answer.")
    sections = list(m["sections"])
    section = st.selectbox("Questions of", [ALL, *sections], key="mastery_section")
    rows = [q for q in m["questions"] if section == ALL or q["section"] == section]
    st.dataframe(question_rows(rows), hide_index=True, key="mastery_questions", width="stretch",
                 column_config=COLUMNS)


def _sections_chart(sections: dict[str, dict[str, int]]) -> alt.Chart:
    """One bar per section, stacked mastered → unseen, its full name beside it."""
    order = list(COLOURS)
    data = [{"Section": name, "State": WORDS[s], "Questions": counts[s], "order": order.index(s)}
            for name, counts in sections.items() for s in order]
    return alt.Chart(alt.Data(values=data), title="Questions per section, by state").mark_bar().encode(
        x=alt.X("Questions:Q", title="Questions", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("Section:N", title=None, sort=list(sections), axis=alt.Axis(labelLimit=0)),
        color=alt.Color("State:N", title="State",
                        scale=alt.Scale(domain=[WORDS[s] for s in order], range=list(COLOURS.values())),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=["Section:N", "State:N", "Questions:Q"],
    ).properties(height=alt.Step(26))


def _history_chart(history: list[dict]) -> alt.Chart:
    """Each section's score, day by day, against the line a round calls strong."""
    data = [{"Section": p["section"], "Day": p["day"], "Score": p["score"], "Questions practised": p["questions"]}
            for p in history]
    base = alt.Chart(alt.Data(values=data), title="Section score over time (average of each question's last grade)")
    lines = base.mark_line(point=True).encode(
        # Ordinal, one place per day practised: a date string read as a time would be UTC
        # midnight, which the browser shows as the day before west of Greenwich.
        x=alt.X("Day:O", title="Day practised", sort="ascending", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Score:Q", title="Section score (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("Section:N", title="Section", legend=alt.Legend(orient="bottom", columns=2, labelLimit=0)),
        tooltip=["Section:N", "Day:O", "Score:Q", "Questions practised:Q"],
    )
    strong = alt.Chart(alt.Data(values=[{"Score": STRONG_SECTION}])).mark_rule(strokeDash=[4, 4], color="#2e7d32")
    # Streamlit fits the whole chart, title and legend included, into this height: the plot
    # keeps about 220 px whatever the number of sections in the legend (two to a row).
    legend_rows = (len({p["section"] for p in history}) + 1) // 2
    return alt.layer(lines, strong.encode(y="Score:Q")).properties(height=330 + 22 * legend_rows)


# Widths in pixels that add up to the centred page's width: no sideways scroll.
COLUMNS = {
    "Question": st.column_config.TextColumn("Question", width=230),
    "State": st.column_config.TextColumn("State", width=80),
    "Next review": st.column_config.TextColumn("Next review", width=130),
    "Memory": st.column_config.TextColumn("Memory", width=160, help="How long FSRS expects 90% recall to last"),
    "Last score": st.column_config.TextColumn("Last score", width=75),
}


def question_rows(questions: list[dict]) -> list[dict]:
    """The table's rows: words only, an empty cell where there is nothing yet (never None)."""
    return [{
        "Question": f"Q{q['question']} · {q['title']}",
        "State": WORDS[q["state"]],
        "Next review": q["next_review"],
        "Memory": q["memory"],
        "Last score": "" if q["last_score"] is None else f"{q['last_score']}/100",
    } for q in questions]
