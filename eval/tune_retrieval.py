"""Grid search of the fusion weights on the dev set, then the candidates side by side on
every shipped set; the held-out sets are printed, never optimised on.

    STUDY_INDEX_DIR=.index python -m eval.tune_retrieval
    STUDY_PHRASINGS=old.md python -m eval.tune_retrieval --no-grid   # another phrasings file

Only numbers are printed: no query text of any set, so reading the output cannot leak
the held-out queries into the phrasings or the concept table.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace

from eval.records import load
from eval.retrieval_eval import DATASETS_DIR, evaluate, summarise

GRID = {
    "bm25": (0.2, 0.35, 0.5),
    "phrasing": (0.6, 1.0),
    "classifier": (0.0, 0.3, 0.6, 1.0),
}
SETS = ("dev", "holdout", "blind", "fresh")
HELD_OUT = ("holdout", "blind", "fresh")


def hit1(rows: list[dict], style: str | None = None) -> float:
    picked = [r for r in rows if style is None or r["style"] == style]
    return sum(r["hit@1"] for r in picked) / len(picked) if picked else float("nan")


def side_by_side(retriever, records: dict[str, list], label: str) -> str:
    """One Markdown row: hit@1 per set, scenario hit@1 on dev and on the held-out sets together."""
    rows = {name: evaluate(retriever, recs) for name, recs in records.items()}
    held = [r for name in HELD_OUT for r in rows[name]]
    cells = [hit1(rows[name]) for name in (*SETS, "conversations")]
    cells += [hit1(rows["dev"], "scenario"), hit1(held), hit1(held, "scenario")]
    return f"| {label} | " + " | ".join(f"{c:.3f}" for c in cells) + " |"


def main(argv: list[str]) -> int:
    from assistant.core.settings import Settings
    from assistant.runtime import open_retriever

    retriever = open_retriever(Settings())
    records = {name: load(DATASETS_DIR / f"retrieval_{name}.jsonl") for name in SETS}
    records["conversations"] = load(DATASETS_DIR / "conversations.jsonl")
    base = retriever.weights
    if "--no-grid" not in argv:
        results = []
        for values in itertools.product(*GRID.values()):
            retriever.weights = replace(base, **dict(zip(GRID, values)))
            d = summarise(evaluate(retriever, records["dev"]))["all"]
            results.append(((d["hit@1"], d["mrr@10"]), retriever.weights))
        results.sort(key=lambda r: r[0], reverse=True)
        print("| bm25 | phrasing | classifier | dev hit@1 | dev MRR@10 | holdout hit@1 |")
        print("|---|---|---|---|---|---|")
        for (h, mrr), weights in results[:5]:
            retriever.weights = weights
            held = summarise(evaluate(retriever, records["holdout"]))["all"]
            print(f"| {weights.bm25} | {weights.phrasing} | {weights.classifier} | {h:.3f} | {mrr:.3f} | {held['hit@1']:.3f} |")
        print()

    # The candidates with the shipped weights. The concept table was written after reading
    # dev failures, so it is shown switched off too.
    print("| variant | dev | holdout | blind | fresh | conversations | dev scenario | held-out | held-out scenario |")
    print("|---|---|---|---|---|---|---|---|---|")
    retriever.weights = base
    print(side_by_side(retriever, records, "shipped"))
    retriever.weights = replace(base, classifier=0.0)
    print(side_by_side(retriever, records, "without the phrasing classifier"))
    retriever.weights = base
    retriever.expand_concepts = False
    print(side_by_side(retriever, records, "without the concept table"))
    retriever.expand_concepts = True
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
