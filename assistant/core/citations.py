"""The one citation format, [Q38] or [Q38, Q37], and how to read it back.

Answers are written with `cite`; `CITATION` matches exactly what `cite` writes (the UI
turns it into badges, sanitising keeps its brackets). Models also write "(Q7)" or
"[Q37, 36]": `parse_citations` and `strip_markers` read those too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: the canonical marker, as a pattern other patterns can embed
PATTERN = r"\[Q\d{1,3}(?:,\s*Q\d{1,3})*\]"
CITATION = re.compile(PATTERN)
# Only Q-numbered markers count: "(1)" and "[3]" are the text's own numbering.
_LOOSE = re.compile(r"\s*[\[(]\s*Q\s*\d{1,3}(?:\s*[,;&]\s*(?:and\s+)?Q?\s*\d{1,3})*\s*[\])]", re.I)
_NUMBER = re.compile(r"\d{1,3}")


def cite(*numbers: int | Iterable[int]) -> str:
    """The marker citing guide questions, in the order given.

    >>> cite(38), cite([38, 37])
    ('[Q38]', '[Q38, Q37]')
    """
    flat = [n for item in numbers for n in (item if isinstance(item, Iterable) else [item])]
    return "[" + ", ".join(f"Q{n}" for n in flat) + "]"


def parse_citations(text: str) -> list[int]:
    """Question numbers cited with [Q38], [Q38, Q12] or (Q7) markers, in order.

    >>> parse_citations("GQA groups heads [Q38]. See also [Q37, 36] and (Q7), not step (1).")
    [38, 37, 36, 7]
    """
    out: list[int] = []
    for marker in _LOOSE.finditer(text):
        for n in _NUMBER.findall(marker.group(0)):
            if int(n) not in out:
                out.append(int(n))
    return out


def strip_markers(text: str) -> str:
    """
    >>> strip_markers("GQA groups heads [Q38].")
    'GQA groups heads.'
    """
    return _LOOSE.sub("", text).strip()


def leading_marker(text: str) -> re.Match | None:
    """A marker at the very start of `text` (it belongs to the sentence before)."""
    return _LOOSE.match(text)


_NAMED_NUMBER = re.compile(r"^\s*(?:q(?:uestion)?\s*#?\s*)?(\d{1,4})\s*$", re.I)


def named_number(text: str) -> int | None:
    """The question number a learner names on its own ("38", "Q38", "question 38"), else None.

    >>> named_number("Q38"), named_number(" question 7 "), named_number("GQA vs MQA")
    (38, 7, None)
    """
    match = _NAMED_NUMBER.match(text or "")
    return int(match.group(1)) if match else None
