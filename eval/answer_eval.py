"""Compare embedded models on in-scope dev questions: grounding, citations, speed.

    python -m eval.answer_eval [--models smollm2-135m gemma3-270m] [--n 40]

Per model: share of answers citing a gold question, share with every checked sentence
supported by its source, share the model wrongly refused, mean words, median time to
first token and total time. The default model is picked by this table (README).
"""

from __future__ import annotations

import argparse
import statistics
import sys

from eval.records import DATASETS_DIR, load


def evaluate_model(settings, retriever, model: str, records, margin=0.15) -> dict[str, float]:
    from assistant.index import open_assistant

    assistant = open_assistant(settings.model_copy(update={"llm_model": model}), retriever=retriever)
    assistant.source_margin = margin
    rows = []
    for rec in records:
        a = assistant.ask(rec.query)
        rows.append({
            "cited_gold": any(f"Q{n}" in rec.reference_ids for n in a.citations),
            "gold_recall": len({f"Q{n}" for n in a.citations} & set(rec.reference_ids)) / len(rec.reference_ids),
            "precision": (len({f"Q{n}" for n in a.citations} & set(rec.reference_ids)) / len(a.citations)
                          if a.citations else 0.0),
            "all_supported": not a.unsupported_sentences and not a.refused,
            "refused": a.refused,
            "words": len(a.answer.split()),
            "first": a.timings["first_token_ms"] / 1000,
            "total": a.timings["total_ms"] / 1000,
        })
    return {
        "cited gold": statistics.mean(r["cited_gold"] for r in rows),
        "citation recall": statistics.mean(r["gold_recall"] for r in rows),
        "citation precision": statistics.mean(r["precision"] for r in rows),
        "all sentences supported": statistics.mean(r["all_supported"] for r in rows),
        "refused (wrongly)": statistics.mean(r["refused"] for r in rows),
        "words": statistics.mean(r["words"] for r in rows),
        "first token s (p50)": statistics.median(r["first"] for r in rows),
        "total s (p50)": statistics.median(r["total"] for r in rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["smollm2-135m", "gemma3-270m"])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--margins", nargs="+", default=["0.15"], help="source margins to compare; 'none' = all")
    args = parser.parse_args()
    from assistant.index import open_retriever
    from assistant.settings import Settings

    settings = Settings(llm_backend="embedded")
    retriever = open_retriever(settings)
    records = [r for r in load(DATASETS_DIR / "retrieval_dev.jsonl") if not r.history]
    records = records[:: max(1, len(records) // args.n)][: args.n]  # spread over styles
    results = {}
    for m in args.models:
        for margin in args.margins:
            value = None if margin == "none" else float(margin)
            results[f"{m} (margin {margin})"] = evaluate_model(settings, retriever, m, records, value)
    metrics = list(next(iter(results.values())))
    print(f"Answers on {len(records)} in-scope dev questions\n")
    print("| model | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for model, res in results.items():
        print(f"| {model} | " + " | ".join(f"{res[m]:.2f}" for m in metrics) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
