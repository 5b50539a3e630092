"""Spaced repetition: SM-2 (SuperMemo 2, as Anki's ancestor) fed by 0-100 grades.

Pure functions over a Card and an explicit `now` (epoch seconds), so tests run on a fixed
clock. One change from textbook SM-2: a failed review comes back in 10 minutes (the same
session), not tomorrow, so a question graded poorly is due before one graded well.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DAY = 86_400.0
RELEARN_SECONDS = 600.0
PASS_SCORE = 60  # quality 3 of 5 in SM-2 terms
MASTERED_SCORE = 80
STATES = ("unseen", "learning", "due", "mastered")


@dataclass(frozen=True)
class Card:
    question: int
    ease: float = 2.5
    interval_days: float = 0.0
    reps: int = 0  # successful reviews in a row
    due_at: float | None = None  # None: never reviewed
    last_score: int | None = None
    last_at: float | None = None
    reviews: int = 0


def quality(score: int) -> int:
    """SM-2's 0-5 quality from a 0-100 grade.

    >>> [quality(s) for s in (0, 35, 60, 79, 100)]
    [0, 1, 3, 3, 5]
    """
    return max(0, min(5, score // 20))


def review(card: Card, score: int, now: float) -> Card:
    """The card after a graded answer.

    >>> c = review(Card(38), 90, now=0.0); (c.reps, c.interval_days, c.due_at / DAY)
    (1, 1.0, 1.0)
    >>> review(c, 20, now=DAY).due_at - DAY
    600.0
    """
    q = quality(score)
    ease = max(1.3, card.ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
    if score < PASS_SCORE:
        return replace(card, ease=ease, reps=0, interval_days=0.0, due_at=now + RELEARN_SECONDS,
                       last_score=score, last_at=now, reviews=card.reviews + 1)
    reps = card.reps + 1
    interval = 1.0 if reps == 1 else 6.0 if reps == 2 else round(card.interval_days * ease, 1)
    return replace(card, ease=ease, reps=reps, interval_days=interval, due_at=now + interval * DAY,
                   last_score=score, last_at=now, reviews=card.reviews + 1)


def schedule_now(card: Card, now: float) -> Card:
    """Put a question in front of the queue (from the chat: "practice this question")."""
    return replace(card, due_at=now)


def state(card: Card, now: float) -> str:
    """unseen / due / mastered / learning, for the mastery view.

    >>> state(Card(1), 0), state(review(Card(1), 95, 0), 10), state(review(Card(1), 20, 0), 10_000)
    ('unseen', 'learning', 'due')
    """
    if card.due_at is None:
        return "unseen"
    if card.due_at <= now:
        return "due"
    if card.reps >= 2 and (card.last_score or 0) >= MASTERED_SCORE:
        return "mastered"
    return "learning"


def next_questions(cards: dict[int, Card], candidates: list[int], now: float, count: int = 1) -> list[int]:
    """Due questions first (most overdue first), then unseen ones in guide order, then the
    ones due soonest: practice always has something to ask.

    >>> cards = {1: review(Card(1), 95, 0), 2: review(Card(2), 10, 0)}
    >>> next_questions(cards, [1, 2, 3], now=1000, count=3)
    [2, 3, 1]
    """
    def key(n: int):
        c = cards.get(n)
        if c is None or c.due_at is None:
            return (1, 0.0, n)
        if c.due_at <= now:
            return (0, c.due_at, n)
        return (2, c.due_at, n)

    return sorted(candidates, key=key)[:count]
