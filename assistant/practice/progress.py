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
        self._lock = threading.Lock()  # one connection, shared by the UI's session threads
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self._db.executescript(_SCHEMA)
            self._db.execute("SELECT question, ease, interval_days, reps, due_at, last_score, last_at, reviews "
                             "FROM cards LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StudyError(
                f"the progress file {self.path} is not readable ({exc})",
                "move it aside to start a fresh profile (it is left as it is), or set STUDY_PROFILE",
            ) from None
        except OSError as exc:
            raise StudyError(
                f"cannot create the progress folder {self.path.parent} ({exc.strerror})",
                "set STUDY_PROGRESS_DIR to a writable folder",
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

    def _update(self, question: int, change, score: int | None, now: float) -> Card:
        """Read, change and write one card in one transaction: two tabs grading the same
        question cannot both start from the old card, and a failure writes nothing."""
        names = [f.name for f in fields(Card)]
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute(f"SELECT {', '.join(names)} FROM cards WHERE question = ?", (question,))
                found = row.fetchone()
                card = change(Card(*found) if found else Card(question))
                values = asdict(card)
                self._db.execute(
                    f"INSERT OR REPLACE INTO cards ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                    list(values.values()),
                )
                if score is not None:
                    self._db.execute("INSERT INTO reviews VALUES (?, ?, ?)", (question, score, now))
        except sqlite3.OperationalError as exc:  # locked by another process, read-only file
            raise StudyError(
                f"could not save progress to {self.path} ({exc})", "check the file is writable and not in use"
            ) from None
        return card

    def record(self, question: int, score: int, now: float) -> Card:
        return self._update(question, lambda card: review(card, score, now), score, now)

    def schedule(self, question: int, now: float) -> Card:
        return self._update(question, lambda card: schedule_now(card, now), None, now)
