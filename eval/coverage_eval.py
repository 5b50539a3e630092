"""Per dataset: how the coverage verdicts meet the labels, how much of it the assistant's own
bank and phrasings already contain, and whether a question asked mid-chat is still read on
its own. Pure functions over `study eval`'s rows, plus `contamination`, which needs vectors.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from eval.metrics import mean

VERDICTS = ("answered", "partial", "not_covered")
# Closer than this to a learner phrasing or an off-topic bank line, a query is a near copy of
# something the assistant was built with (MiniLM cosine; paraphrases of one question sit at
# 0.75-0.9, copies with a word changed above 0.9).
NEAR_COPY = 0.9


def confusion(rows: list[dict]) -> dict[str, dict[str, int]]:
    """Label -> verdict -> count, over answered rows ("not_covered" includes refusals).

    >>> confusion([{"coverage_label": "partial", "coverage": "partial"}, {"coverage_label": "partial", "coverage": "answered"}])
    {'partial': {'answered': 1, 'partial': 1, 'not_covered': 0}}
    """
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if "coverage" not in r or r.get("kind") == "feedback":  # rated by a learner, not labelled
            continue
        label = out.setdefault(r["coverage_label"], dict.fromkeys(VERDICTS, 0))
        label[r["coverage"]] += 1
    return {k: out[k] for k in VERDICTS if k in out}


def coverage_rates(matrix: dict[str, dict[str, int]]) -> dict[str, float]:
    """The goals' rates: answered ones marked answered (and refused), partly answered ones
    marked partial, the rest not marked answered.

    >>> coverage_rates({"answered": {"answered": 9, "partial": 1, "not_covered": 0}})
    {'answered_marked_answered': 0.9, 'answered_refused': 0.0}
    """
    rates = {}
    for label, counts in matrix.items():
        n = sum(counts.values())
        if label == "answered":
            rates["answered_marked_answered"] = counts["answered"] / n
            rates["answered_refused"] = counts["not_covered"] / n
        elif label == "partial":
            rates["partial_marked_partial"] = counts["partial"] / n
            rates["partial_refused"] = counts["not_covered"] / n
        else:
            rates["not_covered_not_marked_answered"] = 1 - counts["answered"] / n
    return rates


def by_dataset(rows: list[dict]) -> dict[str, dict]:
    """Retrieval, verdicts and mid-chat consistency for each dataset file."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r.get("dataset", "?")].append(r)
    out = {}
    for name, rs in sorted(groups.items()):
        ranked = [r for r in rs if "hit@1" in r]
        summary: dict = {"n": len(rs)}
        if ranked:
            summary.update({"ranked": len(ranked), "hit@1": mean([r["hit@1"] for r in ranked]),
                            "hit@3": mean([r["hit@3"] for r in ranked])})
        matrix = confusion(rs)
        if matrix:
            summary["coverage"] = matrix
            summary.update(coverage_rates(matrix))
        switched = [r for r in rs if "midchat_coverage" in r]
        if switched:
            summary["midchat_same_verdict"] = mean([float(r["midchat_coverage"] == r["coverage"]) for r in switched])
            hits = [r for r in switched if "midchat_hit@1" in r]
            if hits:
                summary["midchat_hit@1"] = mean([r["midchat_hit@1"] for r in hits])
        out[name] = summary
    return out


def contamination(queries: np.ndarray, built_with: np.ndarray, threshold: float = NEAR_COPY) -> float:
    """Share of query vectors (unit rows) within `threshold` cosine of any vector the
    assistant was built with (its phrasings and its off-topic bank).

    >>> contamination(np.eye(2, dtype=np.float32), np.array([[1.0, 0.0]], dtype=np.float32))
    0.5
    """
    if not len(queries) or not len(built_with):
        return 0.0
    return float(((queries @ built_with.T).max(axis=1) >= threshold).mean())
