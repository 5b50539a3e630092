"""Which of two steps comes first: a learner who says "execute the query, then validate it"
where the guide validates before it executes has the order backwards, though every word
matches.

Orders are read from explicit markers only ("then", "before", "after", "followed by",
"->"), and from the steps of a numbered procedure. Each side of a marker contributes its
nearest content words, so "summarize parts, then summarize the summaries" orders nothing
(the same word is on both sides).
"""

from __future__ import annotations

import re

from assistant.core.text import akin, content_terms

_FORWARD = re.compile(r"\bthen\b|\bbefore\b|\bfollowed by\b|\bprior to\b|\bafterwards?\b|\bafter that\b"
                      r"|\bsubsequently\b|->|\u2192|\\rightarrow", re.I)
_BACKWARD = re.compile(r"\bafter\b|\bonce\b", re.I)
# What follows comes after everything the sentence said before it ("..., and at the end SFT").
_LAST = re.compile(r"\bfinally\b|\blastly\b|\bat the (?:very )?end\b|\blast of all\b", re.I)
_STEP = re.compile(r"^\s*(?:[-*]\s*)?(?:step\s+)?(\d+)[.:]\s+(.*)$", re.I)  # "1. Retrieve", "- Step 2: Validate"
_CLAUSE_EDGE = re.compile(r"[.;:!?]")
WINDOW = 2  # content words taken on each side of a marker


def _near(text: str, last: bool) -> set[str]:
    """The content words next to a marker: the end of what precedes it, the start of what follows."""
    words = content_terms(text)
    return set(words[-WINDOW:] if last else words[:WINDOW])


def _pairs(before: set[str], after: set[str]) -> set[tuple[str, str]]:
    return {(a, b) for a in before for b in after if a != b and not akin(a, after) and not akin(b, before)}


def orders(text: str) -> set[tuple[str, str]]:
    """(earlier, later) pairs of content words the text puts in order.

    >>> sorted(orders("Validate the SQL before executing it."))
    [('sql', 'execut'), ('validat', 'execut')]
    >>> sorted(orders("After retrieval, rerank."))
    [('retrieval', 'rerank')]
    >>> orders("Summarize parts, then summarize the summaries.")
    set()
    >>> sorted(orders("Train a reward model and at the end run PPO."))
    [('model', 'ppo'), ('model', 'run'), ('reward', 'ppo'), ('reward', 'run'), ('train', 'ppo'), ('train', 'run')]
    """
    out: set[tuple[str, str]] = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        for marker in _FORWARD.finditer(sentence):
            left = _CLAUSE_EDGE.split(sentence[: marker.start()])[-1]
            right = _CLAUSE_EDGE.split(sentence[marker.end():])[0]
            out |= _pairs(_near(left, last=True), _near(right, last=False))
        for marker in _BACKWARD.finditer(sentence):  # "after A, B" and "B after A"
            left = _CLAUSE_EDGE.split(sentence[: marker.start()])[-1]
            right = re.split(r"[,.;:!?]", sentence[marker.end():])[0]
            rest = sentence[marker.end() + len(right):].lstrip(",")
            if left.strip():
                out |= _pairs(_near(right, last=False), _near(left, last=True))
            elif rest.strip():
                out |= _pairs(_near(right, last=True), _near(rest, last=False))
        for marker in _LAST.finditer(sentence):
            right = _CLAUSE_EDGE.split(sentence[marker.end():])[0]
            out |= _pairs(set(content_terms(sentence[: marker.start()])), _near(right, last=False))
    return out


def steps(text: str) -> set[tuple[str, str]]:
    """(earlier, later) pairs from a numbered procedure's steps, by each step's first words.

    >>> sorted(steps("1. Retrieve chunks.\\n2. Rerank them."))
    [('chunk', 'rerank'), ('retriev', 'rerank')]
    """
    leads = []
    for line in text.splitlines():
        if match := _STEP.match(line):
            leads.append(_near(re.sub(r"[*_`]", "", match.group(2)), last=False))
    return {p for i, a in enumerate(leads) for b in leads[i + 1:] for p in _pairs(a, b)}


def reversed_orders(said: str, source: str) -> list[tuple[str, str]]:
    """Orders the learner states that the source states the other way round, and never their way.

    >>> reversed_orders("You execute the query and then validate it.", "Validate the SQL before executing it.")
    [('execut', 'validat')]
    >>> reversed_orders("Validate it, then execute.", "Validate the SQL before executing it.")
    []
    """
    known = orders(source) | steps(source)
    out = []
    for a, b in sorted(orders(said)):
        backwards = any(akin(a, {y}) and akin(b, {x}) for x, y in known)
        forwards = any(akin(a, {x}) and akin(b, {y}) for x, y in known)
        if backwards and not forwards:
            out.append((a, b))
    return out
