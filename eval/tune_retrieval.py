"""Grid search of the fusion weights on the dev set; the holdout is printed, never optimised.

    STUDY_INDEX_DIR=.index python -m eval.tune_retrieval
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace

from eval.records import load
from eval.retrieval_eval import DATASETS_DIR, evaluate, summarise

GRID = {
    "dense_title": (0.0, 0.3, 0.6),
    "bm25": (0.2, 0.35, 0.5),
    "title_term": (0.0, 0.1),
    "phrasing": (0.0, 0.3, 0.6, 1.0),
}


def main() -> int:
    from assistant.index import open_retriever
    from assistant.settings import Settings

    retriever = open_retriever(Settings())
    dev = load(DATASETS_DIR / "retrieval_dev.jsonl")
    holdout = load(DATASETS_DIR / "retrieval_holdout.jsonl")
    base = retriever.weights
    results = []
    for values in itertools.product(*GRID.values()):
        retriever.weights = replace(base, **dict(zip(GRID, values)))
        d = summarise(evaluate(retriever, dev))["all"]
        results.append(((d["hit@1"], d["mrr@10"]), retriever.weights))
    results.sort(key=lambda r: r[0], reverse=True)
    print("| dense_title | bm25 | title_term | phrasing | dev hit@1 | dev MRR@10 | holdout hit@1 |")
    print("|---|---|---|---|---|---|---|")
    for (hit1, mrr), weights in results[:5]:
        retriever.weights = weights
        h = summarise(evaluate(retriever, holdout))["all"]
        print(
            f"| {weights.dense_title} | {weights.bm25} | {weights.title_term} | {weights.phrasing} "
            f"| {hit1:.3f} | {mrr:.3f} | {h['hit@1']:.3f} |"
        )

    # Ablation: the symptom-to-concept table was written after reading dev failures, so
    # show what it does to dev and holdout with the shipped weights.
    retriever.weights = base
    for expand in (True, False):
        retriever.expand_concepts = expand
        d, h = (summarise(evaluate(retriever, s))["all"]["hit@1"] for s in (dev, holdout))
        print(f"concept expansion {'on ' if expand else 'off'}: dev hit@1 {d:.3f}, holdout hit@1 {h:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
