"""Everything the assistant says about what the guide does not answer, in one place:
refusals, the note a partly covered answer opens with, the phrase the model is told to
refuse with, the coverage line and badges, and the notes under an answer that is not the
model's own (stopped, fell back, completed from the guide).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.core.sanitize import sanitize_markdown
from assistant.core.types import Hit

#: what the model is told to reply when its sources do not answer; any sentence that
#: starts with `REFUSAL_OPENING` is read as the model refusing
MODEL_REFUSAL = "The guide does not cover this."
REFUSAL_OPENING = "The guide does not cover"

#: UI badges over an answer the guide does not fully answer, by coverage value
BADGES = {"partial": ":orange-badge[Partly covered]", "not_covered": ":red-badge[Not in the guide]"}

STOPPED = "Stopped: the answer above is incomplete. Ask again for all of it."
INCOMPLETE = "The answer above is incomplete."
FELL_BACK = "The model's answer did not hold up against the guide; these are the guide's own lines."
COMPLETED = "The model's answer left out key points; the guide's own lines for them follow it."
COMPLETED_LEAD = "*From the guide:*"


def refusal(question: str, nearest: Sequence[Hit] = (), missing_number: int | None = None, last: int = 100) -> str:
    """What the learner reads instead of an invented answer.

    >>> refusal("Q101?", missing_number=101)
    'The guide does not cover Q101: its questions are numbered Q1 to Q100.'
    >>> refusal("how do I cook a steak?")
    'The guide does not cover "how do I cook a steak?".'
    """
    if missing_number is not None:
        return f"{REFUSAL_OPENING} Q{missing_number}: its questions are numbered Q1 to Q{last}."
    topic = " ".join(sanitize_markdown(question).replace('"', "'").split()) or "this question"
    topic = topic if len(topic) <= 80 else topic[:77] + "..."
    text = f'{REFUSAL_OPENING} "{topic}".'
    if nearest:
        near = "; ".join(f"[{h.chunk.id}] {h.chunk.title}" for h in nearest)
        text += f" The nearest questions it has: {near}"
    return text


def not_covered_note(missing: Sequence[str]) -> str:
    """The one plain sentence a partly covered answer opens with. A quoted item is a part
    of the question ("answer ..."), any other a term ("cover ...").

    >>> not_covered_note(["top-p"])
    '*The guide does not cover top-p. Its closest answer:*'
    >>> not_covered_note(['"how long should a canary release run"'])
    '*The guide does not answer "how long should a canary release run". Its closest answer:*'
    """
    terms = [m for m in missing if not m.startswith('"')]
    asks = [m for m in missing if m.startswith('"')]
    parts = []
    if terms:
        parts.append("cover " + _join(terms))
    if asks:
        parts.append("answer " + _join(asks))
    return f"*The guide does not {', and does not '.join(parts)}. Its closest answer:*"


def coverage_line(coverage: str, not_covered: Sequence[str] = ()) -> str:
    """How much of the question the guide answers, in one line (CLI).

    >>> coverage_line("partial", ['"how long"']), coverage_line("answered")
    ('Coverage: partial (the guide does not cover: "how long")', 'Coverage: answered')
    """
    if coverage == "partial":
        return f"Coverage: partial (the guide does not cover: {'; '.join(not_covered)})"
    return f"Coverage: {coverage}"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
