"""Study mode in one place for the CLI and the UI: pick a question, grade, record, teach, report."""

from __future__ import annotations

import time
from collections.abc import Callable

from assistant.core.citations import named_number
from assistant.core.errors import StudyError
from assistant.practice.explain import Explainer, Explanation
from assistant.practice.grading import Grade, Grader
from assistant.practice.mastery import mastery_summary
from assistant.practice.progress import ProgressStore
from assistant.practice.schedule import Card, Schedule, rating

RECENT_SECONDS = 3600  # a follow-up is never a question practised this recently


class Coach:
    def __init__(self, retriever, store: ProgressStore, clock: Callable[[], float] = time.time,
                 topic: Callable[[str], int] | None = None):
        """`topic` resolves a topic to a question as the chat would, raising StudyError for one
        the guide does not cover (runtime.open_decider); without it, the best search hit."""
        self.retriever = retriever
        self._topic = topic
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
        if (number := named_number(choice)) is not None:
            return self.grader.chunk(number).number  # unknown numbers fail here, with the fix
        if not (choice or "").strip():
            raise StudyError("no question chosen", "name a question number (38) or a topic (\"GQA\")")
        if self._topic is not None:
            return self._topic(choice)
        return self.retriever.search(choice, top_k=1)[0].chunk.number

    def grade(self, question: int, answer: str, save: bool = True, mode: str = "answer") -> tuple[Grade, Card | None]:
        grade = self.grader.grade(question, answer)
        card = self.store.record(question, grade.score, self.clock(), answer.strip(), mode=mode) if save else None
        return grade, card

    def explain(self, question: int, text: str, save: bool = True) -> tuple[Explanation, Card | None]:
        """Grade an explanation of a question the learner chose; it counts as a review of it."""
        explanation = self.explainer.explain(question, text)
        score = explanation.grade.score
        card = self.store.record(question, score, self.clock(), text.strip(), mode="explain") if save else None
        return explanation, card

    def follow_up(self, question: int, missed: list[str] = (), exclude: set[int] = frozenset()):
        """One related question to try next: the closest retrieval neighbour of this question and
        the key points it missed, never one practised in the last hour (the question just
        answered, or the one before it), preferring one not yet mastered. None if there is none."""
        chunk = self.grader.chunk(question)
        query = " ".join([chunk.title, *missed[:2]])
        cards, now = self.store.cards(), self.clock()
        recent = {n for n, c in cards.items() if c.last_at is not None and now - c.last_at < RECENT_SECONDS}
        neighbours = [h.chunk for h in self.retriever.search(query, top_k=8)
                      if h.chunk.number != question and h.chunk.number not in recent | exclude]
        if not neighbours:
            return None
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
        """Per question and per section: unseen / learning / due / mastered, in FSRS's numbers and in words."""
        return mastery_summary(self._chunks(), self.store.cards(), self.scheduler, self.clock(), self.store.history())
