"""A mock interview: a timed round of questions, each answer followed by one follow-up.

The round draws its questions as a practice round does (due first, then weak sections,
then unseen), one per section while sections last, because an interviewer moves across
topics. Each main answer is followed by one question from a related part of the guide
(`Coach.follow_up`: related by content and by the key points the answer missed). Every
question has the same time on the clock; an answer given after it runs out is graded but
marked over time, and no answer at all is a failed review, as it would be in the room.
Grades go into the learner's progress like any other; the round's summary is saved too
and renders as Markdown.

The clock is passed in, so the whole round runs on a fixed clock in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.core.errors import StudyError
from assistant.practice.grading import Grade, key_points
from assistant.practice.mastery import next_review


@dataclass
class Asked:
    """One question of the round, as asked and as answered."""

    question: int
    title: str
    section: str
    follow_up_of: int | None = None  # the main question this one follows up
    asked_at: float | None = None
    answered_at: float | None = None
    answer: str = ""
    grade: Grade | None = None

    @property
    def seconds(self) -> float | None:
        if self.asked_at is None or self.answered_at is None:
            return None
        return self.answered_at - self.asked_at

    def as_dict(self, limit: float, key_points: list[str]) -> dict:
        """`key_points`: the question's facts, all missed when nothing was said."""
        g, answered = self.grade, bool(self.answer.strip())
        return {
            "question": self.question, "title": self.title, "section": self.section,
            "follow_up_of": self.follow_up_of, "answer": self.answer,
            "score": 0 if g is None else g.score, "answered": answered,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "over_time": answered and self.seconds is not None and self.seconds > limit,
            "missed": key_points if g is None else g.missed,
            "contradictions": [] if g is None else [c.as_dict() for c in g.contradictions],
        }


def spread(ordered: list[int], sections: dict[int, str], count: int) -> list[int]:
    """The first `count` of `ordered`, one per section while sections last, order kept.

    >>> spread([1, 2, 3, 4, 5], {1: "A", 2: "A", 3: "B", 4: "B", 5: "C"}, 4)
    [1, 3, 5, 2]
    """
    picked: list[int] = []
    seen: set[str] = set()
    for n in ordered:
        if len(picked) < count and sections.get(n) not in seen:
            picked.append(n)
            seen.add(sections.get(n))
    return picked + [n for n in ordered if n not in picked][: count - len(picked)]


def clock_text(seconds: float) -> str:
    """A countdown as an interviewer's clock shows it.

    >>> clock_text(125), clock_text(9.2), clock_text(-3)
    ('2:05', '0:10', '0:00')
    """
    s = max(0, int(-(-seconds // 1)))
    return f"{s // 60}:{s % 60:02d}"


@dataclass
class Interview:
    """One round. `ask()` starts the clock on the current question; `answer()` grades it."""

    coach: object  # assistant.practice.coach.Coach
    questions: list[int]
    seconds: float
    clock: Callable[[], float] = time.time
    asked: list[Asked] = field(default_factory=list)
    started_at: float = 0.0
    ended: bool = False
    saved: dict | None = field(default=None, repr=False)  # the summary, as saved when the round ended

    @classmethod
    def start(cls, coach, count: int = 5, minutes: float = 2.0, section: str | None = None) -> Interview:
        if not 1 <= count <= 20:
            raise StudyError(f"{count} questions is not a round", "ask for 1 to 20 questions (--questions 5)")
        if not 0 < minutes <= 30:
            raise StudyError(f"{minutes:g} minutes per question is not a round", "give more than 0, at most 30 (--minutes 2)")
        sections = {c.number: c.section for c in coach.index.chunks}
        ordered = coach.next(section, len(sections))
        interview = cls(coach, spread(ordered, sections, count), minutes * 60, coach.clock)
        interview.started_at = coach.clock()
        interview.asked = [interview._item(n) for n in interview.questions[:1]]
        return interview

    def _item(self, number: int, follow_up_of: int | None = None) -> Asked:
        chunk = self.coach.grader.chunk(number)
        return Asked(number, chunk.title, chunk.section, follow_up_of)

    @property
    def current(self) -> Asked | None:
        """The question being asked now; None when the round is over."""
        if self.ended or not self.asked or self.asked[-1].answered_at is not None:
            return None
        return self.asked[-1]

    @property
    def position(self) -> tuple[int, int]:
        """(main question number in the round, how many main questions), 1-based."""
        mains = sum(1 for a in self.asked if a.follow_up_of is None)
        return mains, len(self.questions)

    def ask(self) -> Asked | None:
        """The current question, its clock started the first time it is asked."""
        item = self.current
        if item is not None and item.asked_at is None:
            item.asked_at = self.clock()
        return item

    def remaining(self) -> float:
        """Seconds left on the current question's clock (negative: over time)."""
        item = self.current
        if item is None or item.asked_at is None:
            return self.seconds
        return item.asked_at + self.seconds - self.clock()

    def answer(self, text: str) -> Asked:
        """Grade the current question's answer (empty: no answer, a failed review) and line
        up what comes next: this answer's follow-up, or the next main question."""
        item = self.ask()
        if item is None:
            raise StudyError("the interview is over", "start a new one")
        item.answered_at, item.answer = self.clock(), (text or "").strip()
        if item.answer:
            item.grade, _ = self.coach.grade(item.question, item.answer, mode="interview")
        else:
            self.coach.store.record(item.question, 0, item.answered_at, None, mode="interview")
        nxt = self._next_after(item)
        if nxt is None:
            self.finish()
        else:
            self.asked.append(nxt)
        return item

    def _next_after(self, item: Asked) -> Asked | None:
        if item.follow_up_of is None:
            taken = {a.question for a in self.asked} | set(self.questions)
            missed = item.grade.missed if item.grade else []
            related = self.coach.follow_up(item.question, missed, exclude=taken)
            if related is not None:
                return self._item(related.number, follow_up_of=item.question)
        mains = [a.question for a in self.asked if a.follow_up_of is None]
        if len(mains) < len(self.questions):
            return self._item(self.questions[len(mains)])
        return None

    def finish(self) -> dict:
        """End the round (also early) and save its summary in the learner's progress."""
        if not self.ended:
            self.ended = True
            if self.asked and self.asked[-1].answered_at is None:
                self.asked.pop()  # asked but not answered when the learner ended the round
            self.saved = self.summary()
            if self.saved["questions"]:  # a round ended before any answer is not one to keep
                self.coach.store.save_interview(self.started_at, self.saved)
        return self.saved

    def summary(self) -> dict:
        """Score per question, the facts missed, the contradictions, and when each question
        comes back (a failed one in minutes, a good one in days)."""
        rows = [a.as_dict(self.seconds, key_points(self.coach.grader.chunk(a.question).text))
                for a in self.asked if a.answered_at is not None]
        cards, now = self.coach.store.cards(), self.clock()
        asked = sorted({r["question"] for r in rows}, key=lambda n: (cards[n].due_at or 0, n) if n in cards else (0, n))
        due = [{"question": n, "title": self.coach.grader.chunk(n).title,
                "when": next_review(cards[n].due_at if n in cards else None, now)} for n in asked]
        return {
            "started_at": self.started_at, "minutes_per_question": round(self.seconds / 60, 2),
            "questions": rows,
            "score": round(sum(r["score"] for r in rows) / len(rows)) if rows else 0,
            "over_time": sum(r["over_time"] for r in rows),
            "contradictions": sum(len(r["contradictions"]) for r in rows),
            "due_next": due,
        }


def summary_markdown(summary: dict) -> str:
    """A round's summary as a Markdown page the learner keeps.

    >>> print(summary_markdown({"started_at": 0, "minutes_per_question": 2, "score": 40, "over_time": 0,
    ...     "contradictions": 0, "due_next": [], "questions": [{"question": 38, "title": "GQA?",
    ...     "follow_up_of": None, "score": 40, "answered": True, "seconds": 61.0, "over_time": False,
    ...     "missed": ["MQA: one K/V head."], "contradictions": [], "answer": "It groups heads."}]}).splitlines()[6])
    | 1 | Q38. GQA? | 40 | 1:01 |
    """
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(summary["started_at"]))
    rows = summary["questions"]
    lines = [
        f"# Mock interview, {when}", "",
        f"Score {summary['score']}/100 over {len(rows)} question(s), {summary['minutes_per_question']:g} minute(s) "
        f"each; {summary['over_time']} over time, {summary['contradictions']} contradiction(s).", "",
        "| # | question | score | time |", "|---|---|---|---|",
    ]
    for i, r in enumerate(rows, 1):
        took = "no answer" if not r["answered"] else clock_text(r["seconds"] or 0) + (" (over)" if r["over_time"] else "")
        label = f"Q{r['question']}. {r['title']}" + (f" (follow-up to Q{r['follow_up_of']})" if r["follow_up_of"] else "")
        lines.append(f"| {i} | {_cell(label)} | {r['score']} | {took} |")
    for r in rows:
        if not (r["contradictions"] or r["missed"]):
            continue
        lines += ["", f"## Q{r['question']}. {r['title']}", ""]
        if r["answer"]:
            lines += [f"Your answer: {r['answer']}", ""]
        lines += [f"- **Contradicts the guide**: you said \"{c['sentence']}\"; the guide: \"{c['guide_line']}\""
                  for c in r["contradictions"]]
        lines += [f"- Missed: {m}" for m in r["missed"]]
    if summary["due_next"]:
        lines += ["", "## When these come back", ""]
        lines += [f"- Q{d['question']}. {d['title']} ({d['when']})" for d in summary["due_next"]]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
