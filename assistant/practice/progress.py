"""A learner's progress: one SQLite file per profile, next to the index.

Every grade is one transaction that touches one question's row (plus an append-only
review log), so a crash or a bad write can never lose the other questions' progress.
A file that is not a readable progress database is refused with a fix, never rewritten.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import asdict, fields
from pathlib import Path

from assistant.errors import StudyError
from assistant.practice.schedule import Card, review, schedule_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    question INTEGER PRIMARY KEY, ease REAL NOT NULL, interval_days REAL NOT NULL, reps INTEGER NOT NULL,
    due_at REAL, last_score INTEGER, last_at REAL, reviews INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (question INTEGER NOT NULL, score INTEGER NOT NULL, at REAL NOT NULL);
"""
_PROFILE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def progress_path(directory: Path, profile: str) -> Path:
    """The file for one learner profile.

    >>> progress_path(Path("progress"), "ana").name
    'ana.sqlite3'
    """
    if not _PROFILE.match(profile):
        raise StudyError(f"profile name {profile!r} is not usable", "use letters, digits, - and _ only")
    return Path(directory) / f"{profile}.sqlite3"


class ProgressStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection, shared by the UI's session threads
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.executescript(_SCHEMA)
            self._db.execute("SELECT question, ease, interval_days, reps, due_at, last_score, last_at, reviews "
                             "FROM cards LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StudyError(
                f"the progress file {self.path} is not readable ({exc})",
                "move it aside to start a fresh profile (it is left as it is), or set STUDY_PROFILE",
            ) from None

    def close(self) -> None:
        self._db.close()

    def cards(self) -> dict[int, Card]:
        names = [f.name for f in fields(Card)]
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(names)} FROM cards").fetchall()
        return {row[0]: Card(*row) for row in rows}

    def card(self, question: int) -> Card:
        return self.cards().get(question) or Card(question)

    def _save(self, card: Card, score: int | None, now: float) -> None:
        values = asdict(card)
        with self._lock, self._db:  # one transaction: the card and its log line, or neither
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                f"INSERT OR REPLACE INTO cards ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
            if score is not None:
                self._db.execute("INSERT INTO reviews VALUES (?, ?, ?)", (card.question, score, now))

    def record(self, question: int, score: int, now: float) -> Card:
        card = review(self.card(question), score, now)
        self._save(card, score, now)
        return card

    def schedule(self, question: int, now: float) -> Card:
        card = schedule_now(self.card(question), now)
        self._save(card, None, now)
        return card
