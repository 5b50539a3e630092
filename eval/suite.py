"""Scoring for `study eval` (run by eval/run.py): one record through retrieval (and
answering), scored; then the aggregate.

One row per query holds everything needed to read a failure later (results.jsonl):
retrieved ids, metrics, the answer, its citations, refusal, unsupported sentences, timings.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import asdict

from eval.coverage_eval import by_dataset
from eval.metrics import citation_scores, mean, retrieval_scores
from eval.ragas_metrics import id_based_scores
from eval.records import Record

RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10")
RAGAS_ID_METRICS = ("ragas_id_context_precision", "ragas_id_context_recall")
IN_SCOPE_KINDS = ("in_scope", "conversation", "fact_probe")
PROBE_METRICS = ("correct", "contradiction", "empty", "leak", "fact_coverage")


def evaluate_record(rec: Record, retriever, assistant=None, judge=None, top_k: int = 10, context_k: int = 5,
                    previous: str | None = None) -> dict:
    """One record's row; with `previous`, the answer is also asked again right after that
    unrelated question (mid-chat), to check it is still read on its own."""
    start = time.perf_counter()
    hits = retriever.search(rec.query, top_k, history=list(rec.history))
    retrieval_ms = (time.perf_counter() - start) * 1000
    ranked = [h.chunk.id for h in hits]
    gold = set(rec.reference_ids)
    row = {**asdict(rec), "retrieved": ranked, "retrieval_ms": round(retrieval_ms, 2)}
    row["coverage_label"] = row.pop("coverage")
    row.pop("extra", None)
    by_id = {c.id: c for c in retriever.index.chunks}
    row["section"] = by_id[rec.reference_ids[0]].section if rec.reference_ids and rec.reference_ids[0] in by_id else None
    if gold:
        row.update(retrieval_scores(ranked, gold))
        row.update(id_based_scores(ranked[:context_k], list(rec.reference_ids)))
    if assistant is None:
        return row

    from assistant.answering.answer import Answer, Turn
    from assistant.core.errors import StudyError
    from assistant.core.sentences import split_sentences

    history = [Turn.asked(q) for q in rec.history]
    try:
        answer = assistant.ask(rec.query, history)
    except StudyError as err:  # e.g. an empty query in a dataset: report it, go on
        answer = Answer(rec.query, "", [], [], complete=False, error=str(err))
    cited = [f"Q{n}" for n in answer.citations]
    sentences = [] if answer.refused else split_sentences(answer.answer)
    row.update({
        "answer": answer.answer,
        "citations": cited,
        "refused": answer.refused,
        "coverage": answer.coverage,
        "not_covered": answer.not_covered,
        "unsupported_sentences": answer.unsupported_sentences,
        "answer_sentences": len(sentences),
        "error": answer.error,
        **{k: v for k, v in answer.timings.items() if k != "retrieval_ms"},
    })
    if gold and not answer.refused:
        row.update(citation_scores(cited, gold))
    if rec.kind == "fact_probe":
        from eval.probes import score_probe

        row.update(score_probe(answer.answer, answer.refused, rec.extra.get("must_include", []),
                               rec.extra.get("must_not", [])))
        row["removed_sentences"] = answer.removed_sentences
        row["mode"] = answer.mode
    if rec.kind == "feedback":
        # A rated turn asked again: does this build still answer it the way the learner rated?
        row.update({k: rec.extra.get(k) for k in ("verdict", "reason", "note")})
        row["same_as_rated"] = float(cited == list(rec.extra.get("answered_ids", []))
                                     and answer.refused == bool(rec.extra.get("refused")))
    if previous is not None:
        # The same question asked right after another one: it is still read on its own.
        midchat = assistant.ask(rec.query, [Turn.asked(previous)])
        row["midchat_coverage"] = midchat.coverage
        if gold:
            row["midchat_hit@1"] = float(bool(midchat.citations) and f"Q{midchat.citations[0]}" in gold)
    if judge is not None and not answer.refused and answer.answer:
        contexts = [h.chunk.text for h in answer.sources]
        row.update(judge.score(rec.query, answer.answer, contexts))
    return row


def _group_means(rows: list[dict], key: str, metrics) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row.get(key) is not None and "hit@1" in row:
            groups[row[key]].append(row)
    return {g: {"n": len(rs), **{m: mean([r[m] for r in rs]) for m in metrics}} for g, rs in sorted(groups.items())}


def summarise(rows: list[dict]) -> dict:
    """The metrics `study eval --json` prints: retrieval overall / per section / per kind,
    RAGAS ID-based, answer checks, judge scores with their failure counts, latency."""
    ranked = [r for r in rows if "hit@1" in r]
    out: dict = {
        "queries": len(rows),
        "retrieval": {"n": len(ranked), **{m: mean([r[m] for r in ranked]) for m in RETRIEVAL_METRICS}},
        "retrieval_by_section": _group_means(rows, "section", RETRIEVAL_METRICS),
        "retrieval_by_kind": _group_means(rows, "kind", RETRIEVAL_METRICS),
        "by_dataset": by_dataset(rows),
        "ragas": {m: mean([r[m] for r in ranked]) for m in RAGAS_ID_METRICS},
        "latency_ms": {"retrieval_p50": _pct([r["retrieval_ms"] for r in rows], 0.5)},
    }
    answered = [r for r in rows if "answer" in r]
    if answered:
        in_scope = [r for r in answered if r["kind"] in IN_SCOPE_KINDS]
        out_scope = [r for r in answered if r["kind"] == "out_of_scope"]
        cited = [r for r in answered if "citation_precision" in r]
        total_sentences = sum(r["answer_sentences"] for r in answered)
        out["answers"] = {
            "n": len(answered),
            "citation_precision": mean([r["citation_precision"] for r in cited]),
            "citation_recall": mean([r["citation_recall"] for r in cited]),
            "unsupported_sentence_rate": (
                sum(len(r["unsupported_sentences"]) for r in answered) / total_sentences if total_sentences else 0.0
            ),
            "refusal_rate_out_of_scope": mean([float(r["refused"]) for r in out_scope]),
            "false_refusal_rate_in_scope": mean([float(r["refused"]) for r in in_scope]),
            "errors": sum(1 for r in answered if r["error"]),
        }
        first = [r["first_token_ms"] for r in answered if r.get("first_token_ms")]
        totals = [r["total_ms"] for r in answered if not r["refused"] and r.get("total_ms")]
        out["latency_ms"].update({"first_token_p50": _pct(first, 0.5), "total_p50": _pct(totals, 0.5)})
    rated = [r for r in answered if "same_as_rated" in r]
    if rated:
        out["feedback"] = {}
        for verdict in ("bad", "good"):
            rs = [r for r in rated if r["verdict"] == verdict]
            out["feedback"][verdict] = len(rs)
            out["feedback"][f"{verdict}_still_answered_the_same"] = sum(int(r["same_as_rated"]) for r in rs)
    probed = [r for r in answered if "correct" in r]
    if probed:
        out["fact_probes"] = {"n": len(probed), **{m: mean([r[m] for r in probed]) for m in PROBE_METRICS}}
    judged = [r for r in answered if "faithfulness" in r]
    if judged:
        out["judge"] = {}
        for m in ("faithfulness", "answer_relevancy"):
            values = [r[m] for r in judged]
            ok = [v for v in values if not math.isnan(v)]
            out["judge"][m] = {"mean": mean(ok), "scored": len(ok), "failed": len(values) - len(ok)}
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
