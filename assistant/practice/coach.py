"""Study mode in one place for the CLI and the UI: pick a question, grade, record, report."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from assistant.errors import StudyError
from assistant.practice.grading import Grade, Grader
from assistant.practice.progress import ProgressStore
from assistant.practice.schedule import STATES, Card, next_questions, state


class Coach:
    def __init__(self, retriever, store: ProgressStore, clock: Callable[[], float] = time.time):
        self.retriever = retriever
        self.store = store
        self.grader = Grader(retriever)
        self.clock = clock

    def _numbers(self, section: str | None) -> list[int]:
        chunks = sorted(self.retriever.chunks, key=lambda c: c.number)
        if section is None:
            return [c.number for c in chunks]
        picked = [c.number for c in chunks if c.section.lower() == section.lower()]
        if not picked:
            raise StudyError(f"no section named {section!r}", "use one of: " + "; ".join(self.retriever.sections))
        return picked

    def next(self, section: str | None = None, count: int = 1) -> list[int]:
        """The next questions to practise: due first, then unseen, then soonest due."""
        return next_questions(self.store.cards(), self._numbers(section), self.clock(), count)

    def grade(self, question: int, answer: str, save: bool = True) -> tuple[Grade, Card | None]:
        grade = self.grader.grade(question, answer)
        card = self.store.record(question, grade.score, self.clock()) if save else None
        return grade, card

    def schedule(self, question: int) -> Card:
        self.grader.chunk(question)  # unknown numbers fail here, with the fix
        return self.store.schedule(question, self.clock())

    def mastery(self) -> dict:
        """Per question and per section: unseen / learning / due / mastered."""
        now, cards = self.clock(), self.store.cards()
        questions, sections = [], {}
        for c in sorted(self.retriever.chunks, key=lambda c: c.number):
            card = cards.get(c.number, Card(c.number))
            s = state(card, now)
            questions.append({"question": c.number, "title": c.title, "section": c.section, "state": s,
                              "last_score": card.last_score, "reviews": card.reviews, "due_at": card.due_at})
            sections.setdefault(c.section, Counter())[s] += 1
        totals = Counter(q["state"] for q in questions)
        return {
            "totals": {s: totals[s] for s in STATES},
            "sections": {name: {s: counts[s] for s in STATES} for name, counts in sections.items()},
            "questions": questions,
        }
