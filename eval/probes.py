"""Fact probes: does the answer state the guide's facts, and nothing that contradicts them?

A probe (eval/datasets/fact_probes.jsonl, kind "fact_probe") carries `must_include`, a list
of facts, each a list of alternative regexes (one must match), and `must_not`, regexes
that match a contradiction of the guide. Scoring is pattern matching on the answer as
the learner reads it, citations included, case-insensitive. Leaks are judged here by
their own list, apart from the assistant's leak filter, so the filter is measured, not
trusted.
"""

from __future__ import annotations

import re

# What the prompts tell the models, and what a transcript looks like: none of it belongs
# in an answer. Independent of assistant/answering/leaks.py on purpose.
_LEAK_MARKERS = re.compile(
    r"untrusted|never follow|instructions written|never reveal|square brackets|source of information"
    r"|\bthe sources\b|<\|?(?:im_start|start_of_turn|end_of_turn)|^\s*(?:question|answer|user|assistant)\s*:"
    r"|2 to 4 short sentences|reply only",
    re.I | re.M,
)


def facts_found(answer: str, must_include: list[list[str]]) -> list[bool]:
    """For each fact, whether one of its alternatives matches.

    >>> facts_found("MQA: **1** K/V head [Q38]", [[r"\\b1\\W+K/V head", "one K/V head"], ["groups"]])
    [True, False]
    """
    return [any(re.search(p, answer, re.I) for p in alternatives) for alternatives in must_include]


def score_probe(answer: str, refused: bool, must_include: list[list[str]], must_not: list[str]) -> dict:
    """correct: every fact stated, no contradiction, not refused; plus the failure kinds.

    >>> score_probe("GQA shares one K/V head per group of query heads [Q38]", False, [["per group"]], [r"GQA[^.]*\\b1\\b"])
    {'correct': 1.0, 'contradiction': 0.0, 'empty': 0.0, 'leak': 0.0, 'fact_coverage': 1.0}
    """
    found = facts_found(answer, must_include)
    contradiction = any(re.search(p, answer, re.I) for p in must_not)
    empty = not refused and len(re.findall(r"[A-Za-z]{3,}", answer)) < 4
    leak = bool(_LEAK_MARKERS.search(answer))
    correct = all(found) and not contradiction and not refused and not empty and not leak
    return {
        "correct": float(correct),
        "contradiction": float(contradiction),
        "empty": float(empty),
        "leak": float(leak),
        "fact_coverage": sum(found) / len(found) if found else 1.0,
    }
