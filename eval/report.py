"""Write an evaluation's report: report.md (tables), PNG charts, results.jsonl (every query)."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

from eval.suite import RETRIEVAL_METRICS


def clean(obj):
    """JSON-safe: NaN (no data, or a failed judge) becomes null.

    >>> clean({"a": float("nan"), "b": [1.0]})
    {'a': None, 'b': [1.0]}
    """
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(title: str, groups: dict[str, dict]) -> list[str]:
    lines = [f"| {title} | n | " + " | ".join(RETRIEVAL_METRICS) + " |", "|---" * (len(RETRIEVAL_METRICS) + 2) + "|"]
    for name, vals in groups.items():
        lines.append(f"| {name} | {vals['n']} | " + " | ".join(_fmt(vals[m]) for m in RETRIEVAL_METRICS) + " |")
    return lines


def failures(rows: list[dict]) -> Counter:
    """What went wrong, by kind of failure, for the failures chart and table."""
    counts: Counter = Counter()
    for r in rows:
        if "hit@3" in r and r["hit@3"] == 0:
            counts["gold not in top 3"] += 1
        if "answer" in r:
            if r["kind"] == "out_of_scope" and not r["refused"]:
                counts["out of scope, answered"] += 1
            if r["kind"] in ("in_scope", "conversation") and r["refused"]:
                counts["in scope, refused"] += 1
            if r["unsupported_sentences"]:
                counts["answer with unsupported sentence"] += 1
            if r.get("citation_recall") == 0.0:
                counts["gold question not cited"] += 1
            if r["error"]:
                counts["backend error"] += 1
    return counts


def write_report(out: Path, rows: list[dict], summary: dict, datasets: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(clean(row), ensure_ascii=False) + "\n")
    charts = _charts(out, rows, summary)
    lines = ["# Evaluation report", "", "Datasets: " + ", ".join(f"`{d}`" for d in datasets), ""]
    lines += _datasets(summary)
    lines += ["## Retrieval", ""] + _table("overall", {"all": summary["retrieval"]}) + [""]
    lines += _table("kind", summary["retrieval_by_kind"]) + [""] + _table("section", summary["retrieval_by_section"])
    lines += ["", "RAGAS (no LLM), over the top 5: " + ", ".join(f"{k} {_fmt(v)}" for k, v in summary["ragas"].items())]
    if "answers" in summary:
        lines += ["", "## Answers", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in summary["answers"].items()]
    if "feedback" in summary:
        lines += ["", "## Learner feedback", "", "Rated turns asked again: a bad answer still answered the same "
                  "way is a regression to look at; a good one answered differently may be too.", "",
                  "| measure | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in summary["feedback"].items()]
    if "fact_probes" in summary:
        lines += ["", "## Fact probes", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in summary["fact_probes"].items()]
    lines += grading_lines(summary.get("practice_grading", {}))
    if "judge" in summary:
        lines += ["", "## Judge (RAGAS)", "", "| metric | mean | scored | failed |", "|---|---|---|---|"]
        lines += [f"| {k} | {_fmt(v['mean'])} | {v['scored']} | {v['failed']} |" for k, v in summary["judge"].items()]
    lines += ["", "## Latency (ms)", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in summary["latency_ms"].items()]
    lines += ["", "## Failures", "", "| failure | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in failures(rows).most_common()] or ["| none | 0 |"]
    lines += ["", "Every query, with its retrieved ids and answer: `results.jsonl`.", ""]
    lines += [f"![{c.stem}]({c.name})" for c in charts]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [out / "report.md", out / "results.jsonl", *charts]


def grading_lines(grading: dict[str, dict]) -> list[str]:
    """Practice grading per file of graded answers: is each score's rating in its bucket?"""
    from eval.grading_eval import report_lines

    lines = []
    for name, summary in grading.items():
        lines += ["", f"## Practice grading (`{name}`)", "", *report_lines(summary)]
    return lines


_DATASET_COLUMNS = (
    ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("answered_marked_answered", "answered: marked answered"),
    ("answered_refused", "answered: refused"), ("partial_marked_partial", "partial: marked partial"),
    ("not_covered_not_marked_answered", "not covered: not marked answered"),
    ("midchat_same_verdict", "same verdict mid-chat"),
)


def _datasets(summary: dict) -> list[str]:
    """Per dataset: retrieval, the coverage verdicts against the labels, mid-chat consistency
    and contamination; then the confusion matrix of each set of real questions."""
    sets = summary.get("by_dataset", {})
    if not sets:
        return []
    contamination = summary.get("contamination", {})
    head = "| dataset | n | " + " | ".join(title for _, title in _DATASET_COLUMNS) + " | near copies of phrasings/bank |"
    lines = ["## By dataset", "", head, "|---" * (len(_DATASET_COLUMNS) + 3) + "|"]
    for name, s in sets.items():
        cells = [_fmt(s.get(key)) for key, _ in _DATASET_COLUMNS]
        lines.append(f"| {name} | {s['n']} | " + " | ".join(cells) + f" | {_fmt(contamination.get(name))} |")
    for name, s in sets.items():
        if "coverage" in s and len(s["coverage"]) > 1:
            lines += ["", f"Coverage verdicts on `{name}` (rows: label, columns: verdict; not_covered = refused):", "",
                      "| label | answered | partial | not_covered |", "|---|---|---|---|"]
            lines += [f"| {label} | {c['answered']} | {c['partial']} | {c['not_covered']} |" for label, c in s["coverage"].items()]
    return lines + [""]


def _charts(out: Path, rows: list[dict], summary: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    paths = []
    sections = summary["retrieval_by_section"]
    if sections:
        fig, ax = plt.subplots(figsize=(10, 5))
        names = list(sections)
        width = 0.27
        for i, m in enumerate(("hit@1", "hit@3", "hit@5")):
            ax.bar([x + (i - 1) * width for x in range(len(names))], [sections[n][m] for n in names], width, label=m)
        ax.set_xticks(range(len(names)), [n[:22] for n in names], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title("Retrieval hit@k per section")
        ax.legend(loc="lower right")
        fig.tight_layout()
        paths.append(out / "hit_at_k_by_section.png")
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    series = {"retrieval": [r["retrieval_ms"] for r in rows]}
    for key in ("first_token_ms", "total_ms"):
        values = [r[key] for r in rows if r.get(key)]
        if values:
            series[key.removesuffix("_ms").replace("_", " ")] = values
    ax.boxplot(list(series.values()), orientation="horizontal")
    ax.set_yticks(range(1, len(series) + 1), list(series))
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds (log scale)")
    ax.set_title("Latency distribution")
    fig.tight_layout()
    paths.append(out / "latency.png")
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)

    counts = failures(rows)
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = list(counts) or ["none"]
    ax.barh(labels, [counts[k] for k in labels] if counts else [0])
    ax.set_title(f"Failures over {len(rows)} queries")
    fig.tight_layout()
    paths.append(out / "failures.png")
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    return paths
