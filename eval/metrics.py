"""Ranking metrics over retrieved ids. Pure functions; `gold` is a set of relevant ids."""

from __future__ import annotations

import math
from collections.abc import Sequence


def hit_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """1.0 if any relevant id is in the top k.

    >>> hit_at(["Q2", "Q38"], {"Q38"}, 1), hit_at(["Q2", "Q38"], {"Q38"}, 3)
    (0.0, 1.0)
    """
    return 1.0 if any(r in gold for r in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    """1/rank of the first relevant id within the top k, else 0.

    >>> reciprocal_rank(["Q1", "Q2", "Q38"], {"Q38"})
    0.3333333333333333
    """
    for rank, rid in enumerate(ranked[:k], start=1):
        if rid in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k.

    >>> ndcg_at(["Q38"], {"Q38"})
    1.0
    """
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, rid in enumerate(ranked[:k]) if rid in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal


def retrieval_scores(ranked: Sequence[str], gold: set[str]) -> dict[str, float]:
    """All per-query retrieval metrics, keyed by their report names."""
    return {
        "hit@1": hit_at(ranked, gold, 1),
        "hit@3": hit_at(ranked, gold, 3),
        "hit@5": hit_at(ranked, gold, 5),
        "mrr@10": reciprocal_rank(ranked, gold, 10),
        "ndcg@10": ndcg_at(ranked, gold, 10),
    }


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def citation_scores(cited: Sequence[str], gold: set[str]) -> dict[str, float]:
    """Precision: share of cited ids that are relevant; recall: share of relevant ids cited.

    >>> citation_scores(["Q38", "Q7"], {"Q38", "Q37"})
    {'citation_precision': 0.5, 'citation_recall': 0.5}
    """
    hits = len(set(cited) & gold)
    return {
        "citation_precision": hits / len(set(cited)) if cited else 0.0,
        "citation_recall": hits / len(gold) if gold else 0.0,
    }
