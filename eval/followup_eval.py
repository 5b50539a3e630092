"""Which standalone query retrieves best for the last turn of a conversation?

    python -m eval.followup_eval [MODEL]     # MODEL: an embedded model for the rewrite (default: the configured one)

- none:    the last turn alone
- concat:  earlier user turns + the last turn, as one query
- fusion:  the retriever's own: a follow-up's scores plus the previous turns' scores
- rewrite: the embedded model rewrites the turn into a standalone question
"""

from __future__ import annotations

import sys
import time

from eval.metrics import mean, retrieval_scores
from eval.records import DATASETS_DIR, load

REWRITE = (
    "Rewrite the last question so it can be understood without the conversation. "
    "Reply with the rewritten question only.\n\nConversation:\n{turns}\nLast question: {query}\nRewritten question:"
)


def rewrite_query(llm, history, query) -> str:
    turns = "\n".join(f"- {h}" for h in history[-2:])
    out = llm.complete([{"role": "user", "content": REWRITE.format(turns=turns, query=query)}], max_tokens=40)
    return out.strip().splitlines()[0] if out.strip() else query


def main(argv: list[str]) -> int:
    from assistant.core.settings import Settings
    from assistant.runtime import open_llm, open_retriever

    settings = Settings(llm_model=argv[0]) if argv else Settings()
    retriever = open_retriever(settings)
    llm = open_llm(settings)
    records = [r for r in load(DATASETS_DIR / "conversations.jsonl") if r.history]
    strategies = {
        "none": lambda r: retriever.search(r.query, 10),
        "concat": lambda r: retriever.search(" ".join([*r.history, r.query]), 10),
        "fusion": lambda r: retriever.search(r.query, 10, history=list(r.history)),
        "rewrite": lambda r: retriever.search(rewrite_query(llm, list(r.history), r.query), 10),
    }
    print(f"Last-turn retrieval on {len(records)} conversations ({llm.name} for rewrite)\n")
    print("| strategy | hit@1 | hit@3 | mrr@10 | ms/query |")
    print("|---|---|---|---|---|")
    for name, run in strategies.items():
        rows, start = [], time.perf_counter()
        for rec in records:
            ranked = [h.chunk.id for h in run(rec)]
            rows.append(retrieval_scores(ranked, set(rec.reference_ids)))
        ms = (time.perf_counter() - start) * 1000 / len(records)
        print(f"| {name} | {mean([r['hit@1'] for r in rows]):.3f} | {mean([r['hit@3'] for r in rows]):.3f} "
              f"| {mean([r['mrr@10'] for r in rows]):.3f} | {ms:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
