"""Saved turns back into a conversation, out as study notes, and out as evaluation data.

- `restore` rebuilds the `Turn`s of a saved chat over the current index, so the next
  question is a follow-up as if the page had never closed;
- `markdown` writes a chat as notes: each [Qn] resolved to the question's title, the
  guide's answer as a footnote;
- `feedback_records` writes rated turns in the evaluation dataset format
  (eval/records.py), kind "feedback": `study eval --dataset` then reports how many
  thumbed-down turns the current build still answers the same way.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from assistant.core.citations import CITATION
from assistant.core.modes import AnswerMode
from assistant.core.types import Chunk, Hit
from assistant.history.store import REASONS, ChatInfo, SavedTurn

if TYPE_CHECKING:
    from assistant.answering.turn import Turn


def restore(saved: list[SavedTurn], index) -> list[Turn]:
    """The turns of a saved chat; sources are the index's chunks (a question the guide no
    longer has keeps its saved title)."""
    # Imported here: the answer types pull in retrieval (llama-index), which notes and
    # feedback exports (`study chats export`, `study feedback export`) never need.
    from assistant.answering.turn import Answer, Turn

    turns = []
    for t in saved:
        sources = [Hit(_chunk(s, index), float(s.get("score", 0.0))) for s in t.sources]
        answer = Answer(t.question, t.answer, list(t.citations), sources, refused=t.refused, timings=dict(t.timings),
                        complete=t.complete, error=t.error, stopped=t.stopped,
                        coverage=t.coverage or "answered", not_covered=list(t.not_covered))
        if t.mode in {m.value for m in AnswerMode}:
            answer.mode = AnswerMode(t.mode)
        turns.append(Turn(t.question, answer))
    return turns


def _chunk(source: dict, index) -> Chunk:
    number = int(str(source["id"]).lstrip("Q") or 0)
    found = index.chunk(number)
    return found or Chunk(source["id"], number, source.get("title", ""), source.get("section", ""), "")


def markdown(info: ChatInfo, saved: list[SavedTurn], index) -> str:
    """The conversation as Markdown study notes.

    Each citation becomes a footnote named after its question; the first time a question is
    cited its title is written out; the footnotes hold the guide's answers."""
    out = [f"# {info.title}", "", f"*Saved conversation, {_day(info.created_at)}: "
           f"{len(saved)} question(s) about the guide.*", ""]
    cited: dict[int, Chunk] = {}
    for t in saved:
        out += [f"## {t.question}", ""]
        body = CITATION.sub(lambda m: _refs(m.group(0), cited, index), t.answer)
        out += [body.strip() or "*(no answer was shown)*", ""]
        notes = []
        if t.stopped:
            notes.append("stopped part-way")
        elif not t.complete:
            notes.append("incomplete: the backend failed part-way")
        if t.coverage == "partial":
            notes.append("partly covered by the guide")
        if t.rating is not None:
            notes.append("you marked it good" if t.rating else f"you marked it bad: {REASONS.get(t.reason, t.reason)}")
        if notes:
            out += [f"*({'; '.join(notes)})*", ""]
    if cited:
        out += ["---", ""]
        for number, chunk in sorted(cited.items()):
            answer = chunk.text.partition("\n\n")[2].strip() or chunk.text.strip()
            indented = "\n".join(("    " + line) if line.strip() else "" for line in answer.splitlines())
            out += [f"[^Q{number}]: **Q{number}. {chunk.title}** ({chunk.section})", "", indented, ""]
    return "\n".join(out).rstrip() + "\n"


def _refs(marker: str, cited: dict[int, Chunk], index) -> str:
    parts = []
    for number in (int(n) for n in re.findall(r"\d+", marker)):
        chunk = index.chunk(number)
        if chunk is None:
            parts.append(f"(Q{number})")
            continue
        first = number not in cited
        cited[number] = chunk
        parts.append(f"(Q{number}: {chunk.title})[^Q{number}]" if first else f"[^Q{number}]")
    return " ".join(parts)


def feedback_records(rated: list[SavedTurn]) -> list[dict]:
    """Rated turns as evaluation records. A good answer's citations become the reference
    ids (the learner confirmed them); a bad one keeps what the system answered, to check
    whether a later build still answers it the same way."""
    records = []
    for t in rated:
        ids = [f"Q{n}" for n in t.citations]
        good = t.rating == 1
        records.append({
            "query": t.question,
            "history": list(t.history),
            "reference_ids": ids if good and not t.refused else [],
            "kind": "feedback",
            "coverage": (t.coverage or "answered") if good else "answered",
            "verdict": "good" if good else "bad",
            "reason": t.reason,
            "note": t.note,
            "answered_ids": ids,
            "refused": t.refused,
            "source": f"feedback:{t.chat_id}/{t.seq}",
        })
    return records


def _day(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
