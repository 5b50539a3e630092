"""How well the grader rates answers whose quality is known.

    .venv/bin/python -m eval.grading_eval [--dataset FILE] [--json] [--show]

eval/datasets/grading/graded_answers.jsonl holds learner answers written from the guide's
text for questions of every section, four per question: good (most facts, in the learner's
own words), partial (one or two facts), wrong (a confident answer about something else) and
reversed (the guide's facts swapped between the things it compares); graded_answers_holdout.jsonl
holds 48 more over 12 other questions, written blind to the grader and graded once. Each answer is graded
as `study grade` grades it, and its score becomes the FSRS rating the scheduler would use.
Printed: the rating bucket's accuracy against the expected ratings, wrong and reversed
answers rated Good/Easy (the goal is 0), and the share of good answers rated Good/Easy
(the goal is 0.9 or more). Uses the index in STUDY_INDEX_DIR (default .index).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from eval.records import DATASETS_DIR

DATASET = DATASETS_DIR / "grading" / "graded_answers.jsonl"
# Written blind (by someone who never saw the grader's code or ran it), each graded once
# before anything was fixed from what it showed.
HOLDOUT = DATASETS_DIR / "grading" / "graded_answers_holdout.jsonl"
BLIND2 = DATASETS_DIR / "grading" / "graded_answers_blind2.jsonl"
BLIND3 = DATASETS_DIR / "grading" / "graded_answers_blind3.jsonl"
BLIND4 = DATASETS_DIR / "grading" / "graded_answers_blind4.jsonl"
BLIND5 = DATASETS_DIR / "grading" / "graded_answers_blind5.jsonl"
BLIND = [HOLDOUT, BLIND2, BLIND3, BLIND4, BLIND5]
# Written the same way (guide only), a good and a reversed answer for 36 questions, and read
# while the checks were improved: a development set, not a blind one.
DEV2 = DATASETS_DIR / "grading" / "graded_answers_dev2.jsonl"
PASSING = {"Good", "Easy"}


def is_graded_answers(path: Path) -> bool:
    """Whether a JSONL file holds graded answers (this module's) rather than queries."""
    path = Path(path)
    if not path.exists():
        return False
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "{}")
    try:
        return {"question", "answer", "expected"} <= set(json.loads(first))
    except (json.JSONDecodeError, TypeError):
        return False


def evaluate(path: Path, index) -> dict:
    """The summary of grading one file of graded answers against the guide's index."""
    from assistant.practice.grading import Grader

    return summarise(grade_all(load_answers(path), Grader(index)))


def report_lines(summary: dict) -> list[str]:
    """The summary as the Markdown section `study eval` and this module print."""
    lines = [f"{summary['answers']} answers over {summary['questions']} questions; rating bucket right: "
             f"{summary['bucket_accuracy']:.1%}; wrong or reversed answers rated Good/Easy: "
             f"{summary['wrong_or_reversed_rated_good']} (goal 0); good answers rated Good/Easy: "
             f"{summary['good_rated_good']:.1%} (goal >= 90%).", "",
             "| kind | answers | mean score | ratings | with a contradiction named |", "|---|---|---|---|---|"]
    for kind, k in summary["by_kind"].items():
        ratings = ", ".join(f"{name} {n}" for name, n in sorted(k["ratings"].items()))
        lines.append(f"| {kind} | {k['n']} | {k['mean_score']} | {ratings} | {k['with_contradictions']} |")
    return lines


def load_answers(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def grade_all(records: list[dict], grader) -> list[dict]:
    from assistant.practice.schedule import rating

    rows = []
    for rec in records:
        grade = grader.grade(rec["question"], rec["answer"])
        rows.append({**rec, "score": grade.score, "rating": rating(grade.score).name,
                     "contradictions": len(grade.contradictions), "unsupported": len(grade.unsupported)})
    return rows


def summarise(rows: list[dict]) -> dict:
    """Bucket accuracy, the two goals, and per kind: mean score and ratings.

    >>> rows = [{"kind": "good", "score": 80, "rating": "Good", "expected": ["Good", "Easy"]},
    ...         {"kind": "reversed", "score": 62, "rating": "Good", "expected": ["Again", "Hard"]}]
    >>> s = summarise(rows); s["bucket_accuracy"], s["wrong_or_reversed_rated_good"], s["good_rated_good"]
    (0.5, 1, 1.0)
    """
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    good = by_kind.get("good", [])
    passed_wrong = [r for k in ("wrong", "reversed") for r in by_kind.get(k, []) if r["rating"] in PASSING]
    return {
        "answers": len(rows),
        "questions": len({r.get("question") for r in rows}),
        "bucket_accuracy": round(sum(r["rating"] in r["expected"] for r in rows) / len(rows), 3),
        "wrong_or_reversed_rated_good": len(passed_wrong),
        "good_rated_good": round(sum(r["rating"] in PASSING for r in good) / len(good), 3) if good else None,
        "by_kind": {
            kind: {"n": len(rs), "mean_score": round(sum(r["score"] for r in rs) / len(rs), 1),
                   "ratings": dict(Counter(r["rating"] for r in rs)),
                   "with_contradictions": sum(r.get("contradictions", 0) > 0 for r in rs)}
            for kind, rs in sorted(by_kind.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET, help="graded answers, JSONL")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--show", action="store_true", help="also list answers rated outside their expected bucket")
    args = parser.parse_args(argv)

    from assistant.core.settings import Settings
    from assistant.practice.grading import Grader
    from assistant.runtime import open_retriever

    rows = grade_all(load_answers(args.dataset), Grader(open_retriever(Settings()).index))
    summary = summarise(rows)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.dataset.name}: " + "\n".join(report_lines(summary)))
    if args.show:
        for r in rows:
            if r["rating"] not in r["expected"]:
                print(f"Q{r['question']} {r['kind']}: {r['score']} {r['rating']} "
                      f"(contradictions {r['contradictions']}, unsupported {r['unsupported']}): {r['answer'][:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
