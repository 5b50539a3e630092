"""A learner's progress: one SQLite file per profile, next to the index.

Every grade is one transaction that touches one question's row (plus an append-only
review log with the answer given), so a crash or a bad write can never lose the other
questions' progress. A file that is not a readable progress database is refused with a
fix, never rewritten.

Schema versions (`PRAGMA user_version`): 0 = the SM-2 files written before FSRS
(cards with ease/interval/reps), 2 = FSRS. An SM-2 file is migrated on first open, in one
transaction, after a copy of it is saved beside it: every review in its log is kept and
replayed through FSRS to rebuild each question's memory state.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, fields
from pathlib import Path

from assistant.core.errors import StudyError
from assistant.practice.schedule import Card, Schedule

VERSION = 2
_CARDS = """
CREATE TABLE IF NOT EXISTS cards (
    question INTEGER PRIMARY KEY, state INTEGER NOT NULL, step INTEGER, stability REAL, difficulty REAL,
    due_at REAL, last_score INTEGER, last_at REAL, reviews INTEGER NOT NULL
);
"""
_REVIEWS = """
CREATE TABLE IF NOT EXISTS reviews (
    question INTEGER NOT NULL, score INTEGER NOT NULL, at REAL NOT NULL, answer TEXT, mode TEXT
);
"""
_NAMES = [f.name for f in fields(Card)]
MODES = ("answer", "explain", "interview")  # a practice answer, an explanation, an answer in a timed round
# A mock interview's summary (assistant/practice/interview.py), created with the first one saved.
_INTERVIEWS = "CREATE TABLE IF NOT EXISTS interviews (started_at REAL NOT NULL, summary TEXT NOT NULL)"


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


class ProgressStore:
    def __init__(self, path: Path, scheduler: Schedule | None = None):
        self.path = Path(path)
        self.scheduler = scheduler or Schedule()
        self.migrated_from_sm2 = False
        self._lock = threading.Lock()  # one connection, shared by the UI's session threads
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self._open()
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

    def _open(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise StudyError(f"the progress file {self.path} was written by a newer study-assistant",
                             "update study-assistant, or set STUDY_PROFILE to use another file")
        if version < VERSION:
            if "ease" in _columns(self._db, "cards"):
                self._backup()
            with self._db:
                # Decide inside the write lock: another process may have migrated meanwhile.
                self._db.execute("BEGIN IMMEDIATE")
                if self._db.execute("PRAGMA user_version").fetchone()[0] < VERSION:
                    self._upgrade()
                    self._check()  # a database that is not ours rolls back, untouched
        self._check()

    def _check(self) -> None:
        self._db.execute(f"SELECT {', '.join(_NAMES)} FROM cards LIMIT 1").fetchall()
        self._db.execute("SELECT question, score, at, answer, mode FROM reviews LIMIT 1").fetchall()

    def _backup(self) -> None:
        """A copy of the SM-2 file before its first migration, kept beside it."""
        backup = self.path.with_name(self.path.name + ".sm2-backup")
        if not backup.exists():
            with sqlite3.connect(backup) as copy:
                self._db.backup(copy)
            copy.close()

    def _upgrade(self) -> None:
        """Create the tables, or migrate an SM-2 file: replay each question's reviews through FSRS."""
        if "ease" not in _columns(self._db, "cards"):
            # A new file. Not executescript: it would commit the open transaction first.
            self._db.execute(_CARDS)
            self._db.execute(_REVIEWS)
        else:
            self.migrated_from_sm2 = True
            old = self._db.execute("SELECT question, due_at, last_score, last_at, reviews FROM cards").fetchall()
            log: dict[int, list[tuple[int, float]]] = {}
            for question, score, at in self._db.execute("SELECT question, score, at FROM reviews ORDER BY at, rowid"):
                log.setdefault(question, []).append((score, at))
            self._db.execute("ALTER TABLE cards RENAME TO cards_sm2")
            self._db.execute(_CARDS)
            for question, due_at, last_score, last_at, reviews in old:
                history = log.get(question) or ([(last_score, last_at)] if last_at is not None else [])
                card = Card(question)
                for score, at in history:
                    card = self.scheduler.review(card, score, at)
                if due_at is not None:
                    # A question queued from the chat (or due sooner under SM-2) stays in front.
                    card = Card(question, due_at=due_at) if card.due_at is None else card
                    card = self.scheduler.schedule_now(card, min(card.due_at, due_at))
                self._write(Card(**{**asdict(card), "reviews": max(reviews, card.reviews)}))
            self._db.execute("DROP TABLE cards_sm2")
            if "answer" not in _columns(self._db, "reviews"):
                self._db.execute("ALTER TABLE reviews ADD COLUMN answer TEXT")
                self._db.execute("ALTER TABLE reviews ADD COLUMN mode TEXT")
        self._db.execute(f"PRAGMA user_version = {VERSION}")

    def close(self) -> None:
        self._db.close()

    def cards(self) -> dict[int, Card]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_NAMES)} FROM cards").fetchall()
        return {row[0]: Card(*row) for row in rows}

    def card(self, question: int) -> Card:
        return self.cards().get(question) or Card(question)

    def last_answers(self) -> dict[int, tuple[str, int, float]]:
        """Each question's most recent answer or explanation: (text, grade, when)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT question, answer, score, MAX(at) FROM reviews WHERE answer IS NOT NULL GROUP BY question"
            ).fetchall()
        return {q: (answer, score, at) for q, answer, score, at in rows}

    def history(self) -> list[tuple[int, int, float]]:
        """Every grade in the order given: (question, score, when)."""
        with self._lock:
            return self._db.execute("SELECT question, score, at FROM reviews ORDER BY at, rowid").fetchall()

    def _write(self, card: Card) -> None:
        values = asdict(card)
        self._db.execute(
            f"INSERT OR REPLACE INTO cards ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )

    def _update(self, question: int, change, review: tuple | None) -> Card:
        """Read, change and write one card in one transaction: two tabs grading the same
        question cannot both start from the old card, and a failure writes nothing."""
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute(f"SELECT {', '.join(_NAMES)} FROM cards WHERE question = ?", (question,))
                found = row.fetchone()
                card = change(Card(*found) if found else Card(question))
                self._write(card)
                if review is not None:
                    self._db.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?)", (question, *review))
        except sqlite3.OperationalError as exc:  # locked by another process, read-only file
            raise StudyError(
                f"could not save progress to {self.path} ({exc})", "check the file is writable and not in use"
            ) from None
        return card

    def record(self, question: int, score: int, now: float, answer: str | None = None, mode: str = "answer") -> Card:
        if mode not in MODES:
            raise ValueError(f"unknown review mode {mode!r}")
        return self._update(question, lambda card: self.scheduler.review(card, score, now), (score, now, answer, mode))

    def schedule(self, question: int, now: float) -> Card:
        return self._update(question, lambda card: self.scheduler.schedule_now(card, now), None)

    def save_interview(self, started_at: float, summary: dict) -> None:
        """Keep a mock interview's summary (its grades are already recorded one by one)."""
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(_INTERVIEWS)
                self._db.execute("INSERT INTO interviews VALUES (?, ?)", (started_at, json.dumps(summary)))
        except sqlite3.OperationalError as exc:
            raise StudyError(f"could not save the interview to {self.path} ({exc})",
                             "check the file is writable and not in use") from None

    def interviews(self) -> list[dict]:
        """The saved mock interviews' summaries, newest first."""
        with self._lock:
            if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'interviews'").fetchone():
                return []
            rows = self._db.execute("SELECT summary FROM interviews ORDER BY started_at DESC, rowid DESC").fetchall()
        return [json.loads(row[0]) for row in rows]
