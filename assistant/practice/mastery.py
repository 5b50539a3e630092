"""A learner's mastery in words: per question and per section, the state, when it comes
back ("due in 8 days") and how long FSRS expects it to stay ("stable for ~3 weeks"), and
each section's score over time.

Pure functions of the guide's questions, the cards, the scheduler, the review log and an
explicit `now`: `study progress` builds the same summary from the guide file and the
progress file, without the index or any model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, tzinfo

from assistant.practice.schedule import DAY, STATES, Card, Schedule

HOUR = 3600.0


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def duration(days: float) -> str:
    """A span of days as a learner says it: days up to two weeks, then weeks, months, years.

    >>> duration(0.3), duration(1), duration(8.4), duration(20), duration(75), duration(800)
    ('under a day', '1 day', '8 days', '3 weeks', '2 months', '2 years')
    """
    if days < 1:
        return "under a day"
    if days < 14:
        return _plural(round(days), "day")
    if days < 60:
        return _plural(round(days / 7), "week")
    if days < 730:
        return _plural(round(days / 30.4), "month")
    return _plural(round(days / 365), "year")


def next_review(due_at: float | None, now: float) -> str:
    """When a question comes back, in words.

    >>> next_review(None, 0), next_review(0, 10), next_review(600, 0), next_review(5 * HOUR, 0), next_review(8 * DAY, 0)
    ('not started', 'due now', 'due in 10 minutes', 'due in 5 hours', 'due in 8 days')
    """
    if due_at is None:
        return "not started"
    wait = due_at - now
    if wait <= 0:
        return "due now"
    if wait < HOUR:
        return "due in " + _plural(max(1, round(wait / 60)), "minute")
    if wait < DAY:
        return "due in " + _plural(round(wait / HOUR), "hour")
    return "due in " + duration(wait / DAY)


def memory(stability_days: float | None) -> str:
    """FSRS's stability in words: how long the answer stays at 90% predicted recall.
    Empty for a question never reviewed (there is nothing to measure yet).

    >>> memory(None), memory(0.2), memory(21.3)
    ('', 'stable for under a day', 'stable for ~3 weeks')
    """
    if stability_days is None:
        return ""
    words = duration(stability_days)
    return f"stable for {words}" if stability_days < 1 else f"stable for ~{words}"


def section_history(reviews: Iterable[tuple[int, int, float]], sections: dict[int, str],
                    tz: tzinfo | None = None) -> list[dict]:
    """Each section's score at the end of each day it was practised: the average latest grade
    of the questions practised in it so far (what a round uses to find weak sections).
    `reviews` are (question, score, at) rows; days are local unless `tz` is given.

    >>> from datetime import timezone
    >>> section_history([(1, 40, 0.0), (2, 80, 60.0), (1, 90, DAY), (9, 10, DAY)], {1: "A", 2: "A"}, timezone.utc)
    [{'section': 'A', 'day': '1970-01-01', 'score': 60.0, 'questions': 2}, {'section': 'A', 'day': '1970-01-02', 'score': 85.0, 'questions': 2}]
    """
    latest: dict[str, dict[int, int]] = {}
    points: dict[tuple[str, str], dict] = {}
    for question, score, at in sorted(reviews, key=lambda r: r[2]):
        section = sections.get(question)
        if section is None:  # a question the guide no longer has
            continue
        grades = latest.setdefault(section, {})
        grades[question] = score
        day = datetime.fromtimestamp(at, tz).date().isoformat()
        # A later review the same day replaces the point: the day ends with the last grade.
        points[(section, day)] = {"section": section, "day": day,
                                  "score": round(sum(grades.values()) / len(grades), 1), "questions": len(grades)}
    return [points[k] for k in sorted(points, key=lambda k: (k[1], k[0]))]


def mastery_summary(chunks: Iterable, cards: dict[int, Card], scheduler: Schedule, now: float,
                    reviews: Iterable[tuple[int, int, float]] = ()) -> dict:
    """Per question and per section: unseen / learning / due / mastered, with FSRS's numbers
    and their words; `history`: each section's score over time. `chunks` are the guide's
    questions in order (anything with number, title and section)."""
    chunks = list(chunks)
    questions, sections = [], {}
    for c in chunks:
        card = cards.get(c.number) or Card(c.number)
        state = scheduler.state(card, now)
        questions.append({
            "question": c.number, "title": c.title, "section": c.section, "state": state,
            "recall": round(scheduler.recall(card, now), 3),
            "stability_days": None if card.stability is None else round(card.stability, 1),
            "last_score": card.last_score, "reviews": card.reviews, "due_at": card.due_at,
            "next_review": next_review(card.due_at, now), "memory": memory(card.stability),
        })
        sections.setdefault(c.section, Counter())[state] += 1
    totals = Counter(q["state"] for q in questions)
    return {
        "desired_retention": scheduler.desired_retention,
        "totals": {s: totals[s] for s in STATES},
        "sections": {name: {s: counts[s] for s in STATES} for name, counts in sections.items()},
        "questions": questions,
        "history": section_history(reviews, {c.number: c.section for c in chunks}),
    }
