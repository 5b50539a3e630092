"""Sentences and their [Qn] citation markers: the units answers are checked, graded and
scored in, by answering, practice and eval alike."""

from __future__ import annotations

import re

from assistant.core.citations import leading_marker

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])|\n+")


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
        lead = leading_marker(part)
        if out and lead and lead.start() == 0:
            out[-1] += " " + lead.group(0).strip()
            part = part[lead.end() :].strip()
            if not part:
                continue
        out.append(part)
    return out
