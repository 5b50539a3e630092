"""FSRS (what study mode schedules with) against the SM-2 it replaced, on a simulated learner.

    .venv/bin/python bench/bench_schedule.py [--seeds 20] [--days 30]   # the table in docs/study.md
    .venv/bin/python bench/bench_schedule.py --summary                  # rows for bench/all.py

The learner is a forgetting-curve model that neither scheduler shares, seeded per run:
- each of the 100 questions has a difficulty d ~ U(0, 1), a prior chance of answering it
  before studying ~ U(0, 0.4), and an initial memory stability s0 (days to 90% recall)
  ~ lognormal(median 1 day, sigma 0.5) x (1.5 - d);
- recall decays exponentially, R(t) = 0.9 ** (t / s) (or, with --curve power, as the power law
  FSRS itself assumes, R(t) = (1 + 19/81 t/s) ** -0.5); a review is recalled with probability R;
- recalled: s grows by 1.3 + k(1 - R) x 10 with k = 2.5 - 2d (the spacing effect: the
  lower the recall when reviewed, the larger the gain); forgotten: s falls to
  max(s0 / 2, 0.4 s) after seeing the answer again;
- the grade is what the grader would give: recalled, N(55 + 40R, 10) clipped to 40-100;
  forgotten, U(0, 39). Each scheduler maps it as it ships (SM-2: 60 passes; FSRS: study
  mode's rating floors).
A day has one session at 09:00 of at most an hour (a review takes a minute; a failed question
returns after 10 minutes, in the session if it still fits); 10 new questions a day until all
100 are seen. Recall is the model's true R averaged over the 100 questions, measured each
morning from day 10 (all seen) to the end, and on the last morning. Medians over seeds.
FSRS runs with its default parameters, fitted on Anki users, not on this learner.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.practice.schedule import DAY, Schedule  # noqa: E402

QUESTIONS, NEW_PER_DAY, SESSION, REVIEW_SECONDS = 100, 10, 3600.0, 60.0


# -- the previous scheduler, kept here only as the baseline ---------------------------
@dataclass(frozen=True)
class SM2Card:
    question: int
    ease: float = 2.5
    interval_days: float = 0.0
    reps: int = 0
    due_at: float | None = None


def sm2_review(card: SM2Card, score: int, now: float) -> SM2Card:
    """Study mode's SM-2 before FSRS: quality = score // 20, 60 passes, a failure returns in 10 minutes."""
    q = max(0, min(5, score // 20))
    ease = max(1.3, card.ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
    if score < 60:
        return replace(card, ease=ease, reps=0, interval_days=0.0, due_at=now + 600.0)
    reps = card.reps + 1
    interval = 1.0 if reps == 1 else 6.0 if reps == 2 else round(card.interval_days * ease, 1)
    return replace(card, ease=ease, reps=reps, interval_days=interval, due_at=now + interval * DAY)


class SM2:
    name = "SM-2 (previous)"

    def new(self, question: int):
        return SM2Card(question)

    def review(self, card, score: int, now: float):
        return sm2_review(card, score, now)


class FSRS:
    def __init__(self, retention: float):
        self.schedule = Schedule(retention)
        self.name = f"FSRS, desired retention {retention:.2f}" + (" (default)" if retention == 0.9 else "")

    def new(self, question: int):
        from assistant.practice.schedule import Card

        return Card(question)

    def review(self, card, score: int, now: float):
        return self.schedule.review(card, score, now)


# -- the simulated learner ------------------------------------------------------------
class Learner:
    def __init__(self, seed: int, curve: str = "exp"):
        self.curve = curve
        rng = random.Random(seed)
        self.rng = random.Random(seed + 10_000)  # answers; the same questions for every scheduler
        self.d = [rng.random() for _ in range(QUESTIONS)]
        self.prior = [rng.uniform(0.0, 0.4) for _ in range(QUESTIONS)]
        self.s0 = [math.exp(rng.gauss(0.0, 0.5)) * (1.5 - d) for d in self.d]
        self.s: list[float | None] = [None] * QUESTIONS
        self.last = [0.0] * QUESTIONS

    def recall(self, i: int, now: float) -> float:
        if self.s[i] is None:
            return self.prior[i]
        t = max(0.0, now - self.last[i]) / DAY / self.s[i]  # in units of "days to 90% recall"
        return 0.9 ** t if self.curve == "exp" else (1 + 19 / 81 * t) ** -0.5

    def answer(self, i: int, now: float) -> int:
        """Answer question i now: a 0-100 grade; memory changes as the model says."""
        r = self.recall(i, now)
        recalled = self.rng.random() < r
        if self.s[i] is None:
            self.s[i] = self.s0[i] * (2.0 if recalled else 1.0)
        elif recalled:
            self.s[i] *= 1.3 + (2.5 - 2 * self.d[i]) * (1 - r) * 10
        else:
            self.s[i] = max(self.s0[i] / 2, 0.4 * self.s[i])
        self.last[i] = now
        if recalled:
            return int(min(100, max(40, round(self.rng.gauss(55 + 40 * r, 10)))))
        return self.rng.randint(0, 39)


def simulate(scheduler, seed: int, days: int, curve: str = "exp") -> dict:
    learner = Learner(seed, curve)
    cards = [scheduler.new(i) for i in range(QUESTIONS)]
    seen, reviews, daily = 0, 0, []
    for day in range(days):
        start = day * DAY + 9 * 3600
        if day >= QUESTIONS // NEW_PER_DAY:
            daily.append(statistics.fmean(learner.recall(i, start) for i in range(QUESTIONS)))
        new = list(range(seen, min(QUESTIONS, seen + NEW_PER_DAY)))
        seen += len(new)
        now, end = start, start + SESSION
        while now < end:
            due = [i for i in range(seen) if cards[i].due_at is not None and cards[i].due_at <= now]
            todo = sorted(due, key=lambda i: cards[i].due_at) or new[:1]
            if not todo:  # nothing due yet: wait for a retry that still fits in the session
                waiting = [cards[i].due_at for i in range(seen) if cards[i].due_at and cards[i].due_at < end]
                if not waiting:
                    break
                now = min(waiting)
                continue
            i = todo[0]
            if i in new:
                new.remove(i)
            cards[i] = scheduler.review(cards[i], learner.answer(i, now), now)
            reviews += 1
            now += REVIEW_SECONDS
    final = statistics.fmean(learner.recall(i, days * DAY + 9 * 3600) for i in range(QUESTIONS))
    return {"reviews": reviews, "recall": statistics.fmean(daily), "final": final}


def run(schedulers, seeds: int, days: int, curve: str) -> list[dict]:
    rows = []
    for scheduler in schedulers:
        runs = [simulate(scheduler, seed, days, curve) for seed in range(seeds)]
        rows.append({"name": scheduler.name, **{k: statistics.median(r[k] for r in runs) for k in runs[0]}})
    return rows


def at_same_recall(baseline: dict, fsrs_rows: list[tuple[float, dict]]) -> tuple[float, float] | None:
    """FSRS's reviews at the baseline's recall, interpolated between the two retentions that bracket it.

    >>> rows = [(0.8, {"recall": 0.8, "reviews": 100}), (0.9, {"recall": 0.9, "reviews": 200})]
    >>> r, n = at_same_recall({"recall": 0.85}, rows)
    >>> round(r, 3), round(n)
    (0.85, 150)
    """
    for (r1, a), (r2, b) in zip(fsrs_rows, fsrs_rows[1:]):
        if a["recall"] <= baseline["recall"] <= b["recall"] and b["recall"] > a["recall"]:
            w = (baseline["recall"] - a["recall"]) / (b["recall"] - a["recall"])
            return r1 + w * (r2 - r1), a["reviews"] + w * (b["reviews"] - a["reviews"])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--curve", choices=["exp", "power"], default="exp", help="the learner's forgetting curve")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--summary", action="store_true", help="measurement | median rows for bench/all.py")
    args = parser.parse_args()
    retentions = (0.75, 0.8, 0.85, 0.9, 0.95)
    sm2, *fsrs = run([SM2(), *(FSRS(r) for r in retentions)], args.seeds, args.days, args.curve)
    same = at_same_recall(sm2, list(zip(retentions, fsrs)))
    default = fsrs[retentions.index(0.9)]
    if args.summary:
        print("| measurement | median |\n|---|---|")
        print(f"| reviews in {args.days} days, simulated learner: SM-2 (previous) | {sm2['reviews']:.0f} |")
        print(f"| reviews in {args.days} days, simulated learner: FSRS at 0.9 | {default['reviews']:.0f} |")
        if same:
            print(f"| reviews in {args.days} days, simulated learner: FSRS at SM-2's recall | {same[1]:.0f} |")
        return 0
    print(f"| scheduler | reviews in {args.days} days | mean recall, days 10-{args.days} | recall on day {args.days} |")
    print("|---|---|---|---|")
    for row in (sm2, *fsrs):
        print(f"| {row['name']} | {row['reviews']:.0f} | {row['recall']:.3f} | {row['final']:.3f} |")
    if same:
        saved = 1 - same[1] / sm2["reviews"]
        print(f"| FSRS at SM-2's recall (retention {same[0]:.3f}, interpolated) | {same[1]:.0f} ({saved:.0%} fewer) "
              f"| {sm2['recall']:.3f} | |")
    print(f"\n{args.seeds} seeds, 100 questions, {args.curve} forgetting; medians of each column.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
