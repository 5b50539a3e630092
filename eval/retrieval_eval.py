"""Retrieval metrics of a retriever on labelled queries, overall and per style.

    python -m eval.retrieval_eval [DATASET.jsonl ...]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from eval.metrics import mean, retrieval_scores
from eval.records import DATASETS_DIR, Record, load

DEFAULT_FILES = (
    "retrieval_dev.jsonl",
    "retrieval_holdout.jsonl",
    "retrieval_blind.jsonl",
    "retrieval_fresh.jsonl",
    "conversations.jsonl",
)
METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10")


def evaluate(retriever, records: list[Record], top_k: int = 10) -> list[dict]:
    """One row per record with a gold answer: ranked ids and per-query metrics."""
    rows = []
    for rec in records:
        if not rec.reference_ids:
            continue
        hits = retriever.search(rec.query, top_k, history=list(rec.history))
        ranked = [h.chunk.id for h in hits]
        rows.append({"query": rec.query, "style": rec.style or rec.kind, "gold": list(rec.reference_ids),
                     "ranked": ranked, **retrieval_scores(ranked, set(rec.reference_ids))})
    return rows


def summarise(rows: list[dict], by: str | None = None) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups["all" if by is None else row[by]].append(row)
    return {g: {"n": len(rs), **{m: mean([r[m] for r in rs]) for m in METRICS}} for g, rs in sorted(groups.items())}


def table(summary: dict[str, dict[str, float]], title: str) -> str:
    head = f"| {title} | n | " + " | ".join(METRICS) + " |"
    lines = [head, "|" + "---|" * (len(METRICS) + 2)]
    for name, s in summary.items():
        lines.append(f"| {name} | {s['n']} | " + " | ".join(f"{s[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from assistant.core.settings import Settings
    from assistant.runtime import open_retriever

    retriever = open_retriever(Settings())
    files = [Path(a) for a in argv] or [DATASETS_DIR / f for f in DEFAULT_FILES]
    for path in files:
        rows = evaluate(retriever, load(path))
        print(f"\n### {path.name}\n")
        print(table(summarise(rows), "set"))
        print()
        print(table(summarise(rows, "style"), "style"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
