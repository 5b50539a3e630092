"""A learner's saved conversations: one SQLite file per learner, beside their progress.

Every turn is written as it completes, in one writer transaction (WAL, so readers never
wait and a process killed mid-answer leaves every completed turn readable). Two sessions
of one learner may write at once: each transaction takes the write lock first
(`BEGIN IMMEDIATE`), so turn numbers never collide. A file that is not ours (another
application's database, or not a database at all) is refused with the fix and never
written to: the file's `application_id` says whose it is.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import StudyError

APPLICATION_ID = 0x53544348  # "STCH": a chat history of study-assistant
VERSION = 1
_SCHEMA = (
    """CREATE TABLE chats (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL)""",
    """CREATE TABLE turns (
        chat_id TEXT NOT NULL, seq INTEGER NOT NULL, question TEXT NOT NULL, history TEXT NOT NULL,
        answer TEXT NOT NULL, citations TEXT NOT NULL, sources TEXT NOT NULL, mode TEXT, refused INTEGER NOT NULL,
        coverage TEXT, not_covered TEXT NOT NULL, timings TEXT NOT NULL, complete INTEGER NOT NULL,
        stopped INTEGER NOT NULL, error TEXT, created_at REAL NOT NULL,
        rating INTEGER, reason TEXT, note TEXT, rated_at REAL,
        PRIMARY KEY (chat_id, seq))""",
)
_CHAT_ID = re.compile(r"^[0-9a-f]{16}$")
#: why an answer was bad, as a learner picks it (a thumbs-down needs one)
REASONS = {
    "wrong-question": "it answered another question",
    "not-in-guide": "the guide does not answer this",
    "wrong-fact": "a wrong fact",
    "missing": "it misses something",
    "other": "something else",
}


@dataclass(frozen=True)
class ChatInfo:
    id: str
    title: str
    created_at: float
    updated_at: float
    turns: int


@dataclass(frozen=True)
class SavedTurn:
    """A turn as stored: the answer's fields plus the learner's verdict, if any."""

    chat_id: str
    seq: int
    question: str
    history: list[str]
    answer: str
    citations: list[int]
    sources: list[dict]  # {"id", "title", "section", "score"}
    mode: str | None
    refused: bool
    coverage: str | None
    not_covered: list[str]
    timings: dict
    complete: bool
    stopped: bool
    error: str | None
    created_at: float
    rating: int | None = None  # 1 thumbs up, 0 thumbs down
    reason: str | None = None
    note: str | None = None


def is_chat_id(text: str) -> bool:
    """Whether `text` can name a chat (ids come from URLs: nothing else is looked up).

    >>> is_chat_id("0123456789abcdef"), is_chat_id("../../etc/passwd")
    (True, False)
    """
    return bool(_CHAT_ID.match(text or ""))


class ChatStore:
    def __init__(self, path: Path, clock=time.time):
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.Lock()  # one connection, shared by the UI's session threads
        fix = "move it aside (it is left as it is), or set STUDY_PROFILE to another learner"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self._open(fix)
        except sqlite3.DatabaseError as exc:
            raise StudyError(f"the chat history {self.path} is not readable ({exc})", fix) from None
        except OSError as exc:
            raise StudyError(f"cannot create the folder {self.path.parent} ({exc.strerror})",
                             "set STUDY_PROGRESS_DIR to a writable folder") from None

    def _open(self, fix: str) -> None:
        app = self._db.execute("PRAGMA application_id").fetchone()[0]
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app != APPLICATION_ID and (app != 0 or tables):
            raise StudyError(f"{self.path} is not a chat history of this assistant", fix)
        if self._db.execute("PRAGMA user_version").fetchone()[0] > VERSION:
            raise StudyError(f"the chat history {self.path} was written by a newer study-assistant",
                             "update study-assistant, or set STUDY_PROFILE to use another file")
        self._db.execute("PRAGMA journal_mode=WAL")
        with self._write():
            if self._db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:  # still new
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._db.execute(f"PRAGMA user_version = {VERSION}")

    @contextmanager
    def _write(self):
        """One writer transaction: the write lock first, so concurrent writers queue."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- chats -----------------------------------------------------------------------
    def new_chat_id(self) -> str:
        return uuid.uuid4().hex[:16]

    def chats(self, limit: int = 100) -> list[ChatInfo]:
        """The learner's chats, most recently used first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id, c.title, c.created_at, c.updated_at, count(t.seq) FROM chats c "
                "LEFT JOIN turns t ON t.chat_id = c.id GROUP BY c.id ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
                (limit,)).fetchall()
        return [ChatInfo(*row) for row in rows]

    def chat(self, chat_id: str) -> ChatInfo | None:
        return next((c for c in self.chats(limit=-1) if c.id == chat_id), None) if is_chat_id(chat_id) else None

    def rename(self, chat_id: str, title: str) -> None:
        title = " ".join(title.split())[:120]
        if not title:
            raise StudyError("the new title is empty", "type a title")
        with self._write():
            if not self._db.execute("UPDATE chats SET title = ? WHERE id = ?", (title, chat_id)).rowcount:
                raise _no_chat(chat_id)

    def delete(self, chat_id: str) -> None:
        with self._write():
            self._db.execute("DELETE FROM turns WHERE chat_id = ?", (chat_id,))
            if not self._db.execute("DELETE FROM chats WHERE id = ?", (chat_id,)).rowcount:
                raise _no_chat(chat_id)

    # -- turns -----------------------------------------------------------------------
    def add_turn(self, chat_id: str, answer, history: list[str]) -> int:
        """Save one completed (or stopped, or failed) turn; its number in the chat. The
        chat is created with the first question as its title."""
        if not is_chat_id(chat_id):
            raise StudyError(f"{chat_id!r} is not a chat id", "start a new chat")
        d = answer.as_dict()
        now = self.clock()
        with self._write():
            self._db.execute("INSERT OR IGNORE INTO chats VALUES (?, ?, ?, ?)",
                             (chat_id, _title(answer.question), now, now))
            self._db.execute("UPDATE chats SET updated_at = ? WHERE id = ?", (now, chat_id))
            seq = self._db.execute("SELECT coalesce(max(seq), -1) + 1 FROM turns WHERE chat_id = ?",
                                   (chat_id,)).fetchone()[0]
            self._db.execute(
                "INSERT INTO turns (chat_id, seq, question, history, answer, citations, sources, mode, refused, "
                "coverage, not_covered, timings, complete, stopped, error, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (chat_id, seq, d["question"], json.dumps(list(history)), d["answer"], json.dumps(d["citations"]),
                 json.dumps(d["sources"]), d["mode"], int(d["refused"]), d["coverage"], json.dumps(d["not_covered"]),
                 json.dumps(d["timings"]), int(d["complete"]), int(d["stopped"]), d["error"], now))
        return seq

    def turns(self, chat_id: str) -> list[SavedTurn]:
        with self._lock:
            rows = self._db.execute(
                "SELECT chat_id, seq, question, history, answer, citations, sources, mode, refused, coverage, "
                "not_covered, timings, complete, stopped, error, created_at, rating, reason, note "
                "FROM turns WHERE chat_id = ? ORDER BY seq", (chat_id,)).fetchall()
        return [_saved(row) for row in rows]

    def rate(self, chat_id: str, seq: int, rating: int, reason: str | None = None, note: str | None = None) -> None:
        """The learner's verdict on one answer: 1 (good) or 0 (bad, with one of REASONS)."""
        if rating not in (0, 1):
            raise StudyError(f"rating {rating!r} is neither 0 nor 1", "rate 1 (good) or 0 (bad)")
        if rating == 0 and reason not in REASONS:
            raise StudyError(f"a bad answer needs a reason, not {reason!r}", "use one of: " + ", ".join(REASONS))
        with self._write():
            changed = self._db.execute(
                "UPDATE turns SET rating = ?, reason = ?, note = ?, rated_at = ? WHERE chat_id = ? AND seq = ?",
                (rating, reason if rating == 0 else None, (note or "").strip()[:2000] or None, self.clock(),
                 chat_id, seq)).rowcount
        if not changed:
            raise StudyError(f"chat {chat_id} has no turn {seq}", "list the turns with `study chats show ID`")

    def rated(self) -> list[SavedTurn]:
        """Every turn the learner rated, oldest first."""
        with self._lock:
            ids = self._db.execute("SELECT DISTINCT chat_id FROM turns WHERE rating IS NOT NULL").fetchall()
        turns = [t for (chat_id,) in ids for t in self.turns(chat_id) if t.rating is not None]
        return sorted(turns, key=lambda t: t.created_at)


def _saved(row) -> SavedTurn:
    (chat_id, seq, question, history, answer, citations, sources, mode, refused, coverage, not_covered, timings,
     complete, stopped, error, created_at, rating, reason, note) = row
    return SavedTurn(chat_id, seq, question, json.loads(history), answer, json.loads(citations), json.loads(sources),
                     mode, bool(refused), coverage, json.loads(not_covered), json.loads(timings), bool(complete),
                     bool(stopped), error, created_at, rating, reason, note)


def _title(question: str) -> str:
    """
    >>> _title("  explain   GQA vs MQA ")
    'explain GQA vs MQA'
    """
    words = " ".join(question.split())
    return words if len(words) <= 60 else words[:57].rstrip() + "..."


def _no_chat(chat_id: str) -> StudyError:
    return StudyError(f"there is no chat {chat_id!r}", "list the chats with `study chats list`")


def open_chats(settings) -> ChatStore:
    """This learner's saved conversations (a SQLite file beside their progress). Here, not in
    the runtime, so the commands that only read chats import no model code."""
    return ChatStore(settings.chats_path)
