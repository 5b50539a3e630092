"""Study mode in one place for the CLI and the UI: pick a question, grade, record, teach, report."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from assistant.core.errors import StudyError
from assistant.practice.explain import Explainer, Explanation
from assistant.practice.grading import Grade, Grader
from assistant.practice.progress import ProgressStore
from assistant.practice.schedule import STATES, Card, Schedule, rating

_NUMBER = re.compile(r"^\s*(?:q(?:uestion)?\s*)?(\d{1,4})\s*$", re.I)


class Coach:
    def __init__(self, retriever, store: ProgressStore, clock: Callable[[], float] = time.time):
        self.retriever = retriever
        self.store = store
        self.index = retriever.index
        self.grader = Grader(self.index)
        self.explainer = Explainer(self.grader)
        self.clock = clock

    def close(self) -> None:
        """Close the learner's progress file (the UI does when it evicts this coach)."""
        self.store.close()

    @property
    def scheduler(self) -> Schedule:
        return self.store.scheduler

    def _chunks(self):
        return self.index.in_order()

    def _numbers(self, section: str | None) -> list[int]:
        if section is None:
            return [c.number for c in self._chunks()]
        picked = [c.number for c in self._chunks() if c.section.lower() == section.lower()]
        if not picked:
            raise StudyError(f"no section named {section!r}", "use one of: " + "; ".join(self.index.sections))
        return picked

    def next(self, section: str | None = None, count: int = 1) -> list[int]:
        """The next questions to practise: due first, then weak sections, then unseen, then soonest due."""
        sections = {c.number: c.section for c in self.index.chunks}
        return self.scheduler.next_questions(self.store.cards(), sections, self._numbers(section), self.clock(), count)

    def pick(self, choice: str) -> int:
        """The question a learner names: "38", "Q38", or a topic ("GQA vs MQA", its best match)."""
        if match := _NUMBER.match(choice or ""):
            return self.grader.chunk(int(match.group(1))).number  # unknown numbers fail here, with the fix
        if not (choice or "").strip():
            raise StudyError("no question chosen", "name a question number (38) or a topic (\"GQA\")")
        return self.retriever.search(choice, top_k=1)[0].chunk.number

    def grade(self, question: int, answer: str, save: bool = True) -> tuple[Grade, Card | None]:
        grade = self.grader.grade(question, answer)
        card = self.store.record(question, grade.score, self.clock(), answer.strip()) if save else None
        return grade, card

    def explain(self, question: int, text: str, save: bool = True) -> tuple[Explanation, Card | None]:
        """Grade an explanation of a question the learner chose; it counts as a review of it."""
        explanation = self.explainer.explain(question, text)
        score = explanation.grade.score
        card = self.store.record(question, score, self.clock(), text.strip(), mode="explain") if save else None
        return explanation, card

    def follow_up(self, question: int, missed: list[str] = ()):
        """One related question to try next: the closest retrieval neighbour of this question and the
        key points it missed, preferring one not yet mastered. None if the guide has no other question."""
        chunk = self.grader.chunk(question)
        query = " ".join([chunk.title, *missed[:2]])
        neighbours = [h.chunk for h in self.retriever.search(query, top_k=4) if h.chunk.number != question]
        if not neighbours:
            return None
        cards, now = self.store.cards(), self.clock()
        fresh = [c for c in neighbours if self.scheduler.state(cards.get(c.number, Card(c.number)), now) != "mastered"]
        return (fresh or neighbours)[0]

    def schedule(self, question: int) -> Card:
        self.grader.chunk(question)  # unknown numbers fail here, with the fix
        return self.store.schedule(question, self.clock())

    def review_summary(self, card: Card | None) -> dict | None:
        """What the scheduler made of a recorded grade, for the learner.

        The rating is recomputed from the score: the store's card holds the result of it."""
        if card is None:
            return None
        return {"rating": rating(card.last_score).name, "due_at": card.due_at,
                "stability_days": card.stability, "state": self.scheduler.state(card, self.clock())}

    def mastery(self) -> dict:
        """Per question and per section: unseen / learning / due / mastered, with FSRS's numbers."""
        now, cards = self.clock(), self.store.cards()
        questions, sections = [], {}
        for c in self._chunks():
            card = cards.get(c.number, Card(c.number))
            s = self.scheduler.state(card, now)
            questions.append({
                "question": c.number, "title": c.title, "section": c.section, "state": s,
                "recall": round(self.scheduler.recall(card, now), 3),
                "stability_days": None if card.stability is None else round(card.stability, 1),
                "last_score": card.last_score, "reviews": card.reviews, "due_at": card.due_at,
            })
            sections.setdefault(c.section, Counter())[s] += 1
        totals = Counter(q["state"] for q in questions)
        return {
            "desired_retention": self.scheduler.desired_retention,
            "totals": {s: totals[s] for s in STATES},
            "sections": {name: {s: counts[s] for s in STATES} for name, counts in sections.items()},
            "questions": questions,
        }
