"""Which answering path a learner can trust: every mode and bundled model on the fact probes.

    .venv/bin/python bench/bench_trust.py [--limit N] [--only grounded,hybrid:gemma3-270m,...]

For each configuration, over eval/datasets/fact_probes.jsonl (follow-ups with their
history): correct (every fact stated, no contradiction, no leak, not empty), contradiction,
empty and leak rates (eval/probes.py), key-point coverage of the gold question (the
study-mode grader's share of the guide's key points the answer covers), citation
precision, and warm medians of time to first visible text and of the whole answer.
Uses the index in STUDY_INDEX_DIR (default .index). Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering.answer import Answer, Turn  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from eval.probes import score_probe  # noqa: E402
from eval.records import DATASETS_DIR, load  # noqa: E402

CONFIGS = ["grounded", "hybrid:gemma3-270m", "generative:gemma3-270m", "generative:smollm2-135m",
           "hybrid:smollm2-135m"]


def run(config: str, probes, retriever, grader) -> dict:
    from assistant.runtime import open_assistant

    mode, _, model = config.partition(":")
    settings = Settings(llm_backend="embedded", llm_model=model or None, answer_mode=mode)
    assistant = open_assistant(settings, retriever=retriever)
    assistant.ask("what is a token")  # load the model, warm caches: not measured
    rows = []
    for rec in probes:
        history = [Turn.asked(q) for q in rec.history]
        start, first = time.perf_counter(), None
        for item in assistant.ask_stream(rec.query, history):
            if isinstance(item, Answer):
                answer = item
            elif item.strip() and first is None:
                first = time.perf_counter() - start
        total = time.perf_counter() - start
        row = score_probe(answer.answer, answer.refused, rec.extra["must_include"], rec.extra["must_not"])
        gold = {int(r[1:]) for r in rec.reference_ids}
        row["precision"] = len(set(answer.citations) & gold) / len(answer.citations) if answer.citations else 0.0
        coverage = 0.0
        if answer.answer.strip() and not answer.refused:
            grade = grader.grade(min(gold), answer.answer)
            coverage = len(grade.covered) / max(1, len(grade.covered) + len(grade.missed))
        row.update(coverage=coverage, first=first if first is not None else total, total=total)
        rows.append(row)
    mean = lambda key: sum(r[key] for r in rows) / len(rows)  # noqa: E731
    return {
        "config": config,
        **{k: mean(k) for k in ("correct", "contradiction", "empty", "leak", "coverage", "precision")},
        "first": statistics.median(r["first"] for r in rows),
        "total": statistics.median(r["total"] for r in rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, help="first N probes only")
    parser.add_argument("--only", help="comma-separated configurations, e.g. grounded,generative:gemma3-270m")
    args = parser.parse_args()
    from assistant.practice.grading import Grader
    from assistant.runtime import open_retriever

    probes = load(DATASETS_DIR / "fact_probes.jsonl")[: args.limit]
    retriever = open_retriever(Settings())
    grader = Grader(retriever.index)
    configs = args.only.split(",") if args.only else CONFIGS
    print(f"{len(probes)} fact probes, embedded backend, {os.cpu_count()} cores, warm medians\n")
    print("| path | correct | contradictions | empty | leaks | key points covered | citation precision "
          "| first visible text | whole answer |")
    print("|---|---|---|---|---|---|---|---|---|")
    for config in configs:
        r = run(config, probes, retriever, grader)
        print(f"| {r['config']} | {r['correct']:.2f} | {r['contradiction']:.2f} | {r['empty']:.2f} | {r['leak']:.2f} "
              f"| {r['coverage']:.2f} | {r['precision']:.2f} | {r['first']:.2f} s | {r['total']:.2f} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
