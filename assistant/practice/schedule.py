"""Spaced repetition with FSRS (the `fsrs` package, FSRS-6 default parameters), fed by 0-100 grades.

FSRS models each question's memory with a stability S (days until predicted recall falls to
90%) and a difficulty, and schedules the next review for when the predicted recall
(retrievability) falls to the desired retention. Everything here is a pure function of a
Card and an explicit `now` (epoch seconds), so tests run on a fixed clock.

Choices on top of the package's defaults, and why:
- one 10-minute (re)learning step: answering a question costs a written answer, so a
  failed one comes back once in the same session, and a first good answer graduates;
- no fuzz: 100 questions need no load spreading, and due dates stay reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from assistant.core.errors import StudyError

DAY = 86_400.0
STEP = timedelta(minutes=10)
NEW = 0  # never reviewed; FSRS's own states are Learning=1, Review=2, Relearning=3
# A grade's FSRS rating: the first floor the score reaches. Below 40 the grader's verdict is
# "Not yet" (Again: forgotten); 40-59 recalls part of the answer (Hard); 60, the old pass
# mark, is Good; 85+ covers nearly every key point (Easy).
RATING_FLOORS = ((85, Rating.Easy), (60, Rating.Good), (40, Rating.Hard), (0, Rating.Again))
# Mastered: FSRS predicts 90% recall three weeks after the last review (Anki calls a card
# "mature" from a 21-day interval), and the question is not due.
MASTERED_STABILITY_DAYS = 21.0
STATES = ("unseen", "learning", "due", "mastered")
STRONG_SECTION = 80  # a practised section whose last grades average below this is weak


@dataclass(frozen=True)
class Card:
    question: int
    state: int = NEW
    step: int | None = None
    stability: float | None = None  # days
    difficulty: float | None = None  # 1..10
    due_at: float | None = None  # None: never reviewed nor put in the queue
    last_score: int | None = None
    last_at: float | None = None
    reviews: int = 0


def rating(score: int) -> Rating:
    """The FSRS rating of a 0-100 grade.

    >>> [rating(s).name for s in (0, 39, 40, 59, 60, 84, 85, 100)]
    ['Again', 'Again', 'Hard', 'Hard', 'Good', 'Good', 'Easy', 'Easy']
    """
    return next(r for floor, r in RATING_FLOORS if score >= floor)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class Schedule:
    """FSRS at one desired retention (the share of reviews you should still get right)."""

    def __init__(self, desired_retention: float = 0.9):
        if not 0.7 <= desired_retention <= 0.99:
            raise StudyError(
                f"desired retention {desired_retention} is outside 0.7-0.99",
                "set STUDY_DESIRED_RETENTION between 0.7 and 0.99 (0.9 is the usual choice)",
            )
        self.desired_retention = desired_retention
        self.fsrs = Scheduler(desired_retention=desired_retention, learning_steps=(STEP,),
                              relearning_steps=(STEP,), enable_fuzzing=False)

    def _fsrs_card(self, card: Card, now: float) -> FsrsCard:
        # card_id is given: without it the package sleeps 1 ms to make a unique one.
        if card.state == NEW:
            return FsrsCard(card_id=card.question, due=_utc(now))
        return FsrsCard(card_id=card.question, state=State(card.state), step=card.step, stability=card.stability,
                        difficulty=card.difficulty, due=_utc(card.due_at or now), last_review=_utc(card.last_at))

    def review(self, card: Card, score: int, now: float) -> Card:
        """The card after a graded answer.

        >>> s = Schedule(); c = s.review(Card(38), 70, now=0.0); (c.state, c.due_at / DAY)  # Good: 2 days
        (2, 2.0)
        >>> s.review(c, 20, now=2 * DAY).due_at - 2 * DAY  # Again: relearn in 10 minutes
        600.0
        """
        reviewed, _ = self.fsrs.review_card(self._fsrs_card(card, now), rating(score), _utc(now))
        return replace(card, state=int(reviewed.state), step=reviewed.step, stability=reviewed.stability,
                       difficulty=reviewed.difficulty, due_at=reviewed.due.timestamp(), last_score=score,
                       last_at=now, reviews=card.reviews + 1)

    def recall(self, card: Card, now: float) -> float:
        """Predicted probability of recalling the answer now (0 for a question never reviewed).

        >>> s = Schedule(); c = s.review(Card(1), 70, now=0.0)
        >>> round(s.recall(c, 0), 2), round(s.recall(c, 2 * DAY), 2), round(s.recall(c, 30 * DAY), 2)
        (1.0, 0.91, 0.67)
        """
        if card.state == NEW:
            return 0.0
        return float(self.fsrs.get_card_retrievability(self._fsrs_card(card, now), _utc(now)))

    def state(self, card: Card, now: float) -> str:
        """unseen / due / mastered / learning. Due: the review FSRS set for when predicted recall
        falls to the desired retention (or a relearning step) has come, or the learner queued it.

        >>> s = Schedule(); good = s.review(Card(1), 95, 0)
        >>> s.state(Card(1), 0), s.state(good, 10), s.state(good, 30 * DAY), s.state(s.review(Card(1), 20, 0), DAY)
        ('unseen', 'learning', 'due', 'due')
        """
        if card.due_at is None:
            return "unseen"
        if card.due_at <= now:
            return "due"
        if card.state == State.Review and (card.stability or 0.0) >= MASTERED_STABILITY_DAYS:
            return "mastered"
        return "learning"

    def next_questions(self, cards: dict[int, Card], sections: dict[int, str], candidates: list[int], now: float,
                       count: int = 1) -> list[int]:
        """A practice round: due questions first (least likely to be recalled first), then unseen
        questions of weak sections (practised, last grades averaging below 80, weakest first),
        then other unseen questions in guide order, then the ones due soonest.

        >>> s = Schedule(); cards = {1: s.review(Card(1), 95, 0), 3: s.review(Card(3), 10, 0)}
        >>> s.next_questions(cards, {1: "A", 2: "B", 3: "C", 4: "C"}, [1, 2, 3, 4], now=3600, count=4)
        [3, 4, 2, 1]
        """
        grades: dict[str, list[int]] = {}
        for n, c in cards.items():
            if c.last_score is not None and n in sections:
                grades.setdefault(sections[n], []).append(c.last_score)
        strength = {name: sum(g) / len(g) for name, g in grades.items()}

        def key(n: int):
            c = cards.get(n) or Card(n)
            if c.due_at is not None and c.due_at <= now:
                return (0, self.recall(c, now), c.due_at, n)
            if c.due_at is None:
                mean = strength.get(sections.get(n), STRONG_SECTION)
                return (1, mean, n, n) if mean < STRONG_SECTION else (2, 0.0, n, n)
            return (3, c.due_at, n, n)

        return sorted(candidates, key=key)[:count]

    def schedule_now(self, card: Card, now: float) -> Card:
        """Put a question in front of the queue (from the chat: "practice this question")."""
        return replace(card, due_at=now)
