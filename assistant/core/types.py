"""The types every layer shares: a stored question, a ranked hit, a chat message.

Nothing here imports the rest of the project, so any layer may use them without
reaching into another layer's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict


@dataclass(frozen=True)
class Chunk:
    """One question as stored: what retrieval ranks and what answers cite."""

    id: str
    number: int
    title: str
    section: str
    text: str
    content_hash: str = ""
    embedding: tuple[float, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Hit:
    """A chunk and its retrieval score (higher is closer)."""

    chunk: Chunk
    score: float

    def as_dict(self) -> dict:
        c = self.chunk
        return {"id": c.id, "number": c.number, "title": c.title, "section": c.section, "score": round(self.score, 4)}


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str
