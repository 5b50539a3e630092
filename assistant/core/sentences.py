"""Sentences and their [Qn] citation markers: the units answers are checked, graded and
scored in, by answering, practice and eval alike."""

from __future__ import annotations

import re

# Only Q-numbered markers count: "(1)" and "[3]" are the text's own numbering.
_MARKER = re.compile(r"\s*[\[(]\s*Q\s*\d{1,3}(?:\s*[,;&]\s*(?:and\s+)?Q?\s*\d{1,3})*\s*[\])]", re.I)
_NUMBER = re.compile(r"\d{1,3}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])|\n+")


def parse_citations(text: str) -> list[int]:
    """Question numbers cited with [Q38], [Q38, Q12] or (Q7) markers, in order.

    >>> parse_citations("GQA groups heads [Q38]. See also [Q37, 36] and (Q7), not step (1).")
    [38, 37, 36, 7]
    """
    out: list[int] = []
    for marker in _MARKER.finditer(text):
        for n in _NUMBER.findall(marker.group(0)):
            if int(n) not in out:
                out.append(int(n))
    return out


def strip_markers(text: str) -> str:
    """
    >>> strip_markers("GQA groups heads [Q38].")
    'GQA groups heads.'
    """
    return _MARKER.sub("", text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing citation markers kept attached.

    >>> split_sentences("GQA groups heads. [Q38] MQA shares one.\\n- KV cache")
    ['GQA groups heads. [Q38]', 'MQA shares one.', '- KV cache']
    >>> split_sentences("| **GANs** | Two networks compete. | Images |\\nDone.")
    ['| **GANs** | Two networks compete. | Images |', 'Done.']
    """
    parts = []
    for line in text.split("\n"):
        # A table row is one statement: splitting it at ". " would break the table.
        parts += [line.strip()] if line.lstrip().startswith("|") else _SENTENCE_END.split(line)
    parts = [p.strip() for p in parts if p.strip()]
    out: list[str] = []
    for part in parts:
        lead = _MARKER.match(part)
        if out and lead and lead.start() == 0:
            out[-1] += " " + lead.group(0).strip()
            part = part[lead.end() :].strip()
            if not part:
                continue
        out.append(part)
    return out
