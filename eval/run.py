"""The evaluation run behind `study eval`: load datasets, answer (or only retrieve) each
record, judge with RAGAS if asked, write the report."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.core.errors import StudyError
from assistant.core.modes import Backend
from assistant.core.settings import Settings


def run_eval(settings: Settings, answer_settings: Settings, datasets: list[Path] | None, out: Path,
             limit: int | None = None, retrieval_only: bool = False, judge: str = "none",
             judge_model: str | None = None, judge_max_tokens: int = 1024) -> tuple[dict, list[Path], str]:
    """(summary, files written, the Markdown report). `answer_settings` carry the backend
    and mode chosen for answering; `settings` the index."""
    from tqdm import tqdm

    from assistant.runtime import open_assistant, open_retriever, open_scope
    from eval.records import DATASETS_DIR, load
    from eval.report import clean, write_report
    from eval.suite import evaluate_record, summarise

    from eval import grading_eval

    paths = datasets or sorted(DATASETS_DIR.glob("*.jsonl"))
    # Practice grading is evaluated on its own file of graded answers (every default run).
    graded = ([p for p in paths if grading_eval.is_graded_answers(p)] if datasets
              else [grading_eval.DATASET, grading_eval.DEV2, *grading_eval.BLIND])
    paths = [p for p in paths if p not in graded]
    records = [(Path(path).stem, r) for path in paths for r in load(path)]
    if limit:
        records = records[:limit]
    if not records and not graded:
        raise StudyError("the datasets hold no records", "pass --dataset FILE.jsonl with one record per line")
    retriever = open_retriever(settings)
    grading = {Path(p).stem: grading_eval.evaluate(p, retriever.index) for p in graded}
    if not records:
        return _grading_only(grading, out)
    scope = open_scope(settings, retriever)
    assistant = None if retrieval_only else open_assistant(answer_settings, retriever=retriever)
    the_judge = open_judge(settings, judge, judge_model, judge_max_tokens, retriever) if judge != "none" else None
    rows, previous = [], {}
    for name, rec in tqdm(records, desc="evaluating", unit="query", file=sys.stderr, dynamic_ncols=True):
        # Real questions are asked a second time mid-chat, after the file's previous one.
        before = previous.get(name) if rec.style == "real" and not rec.history else None
        row = evaluate_record(rec, retriever, assistant, the_judge, top_k=10, context_k=settings.top_k,
                              previous=before)
        rows.append({"dataset": name, **row})
        previous[name] = rec.query
    summary = summarise(rows)
    summary["contamination"] = dataset_contamination(retriever, scope, records)
    if grading:
        summary["practice_grading"] = grading
    if the_judge is not None:
        summary["judge_model"] = f"{judge}:{the_judge.model}"
        summary["judge_errors"] = sorted(set(the_judge.errors))[:10]
    files = write_report(out, rows, summary, [str(p) for p in paths])
    return clean(summary), files, (out / "report.md").read_text(encoding="utf-8")


def _grading_only(grading: dict, out: Path) -> tuple[dict, list[Path], str]:
    """A run over graded answers only: the practice-grading section is the whole report."""
    from eval.report import clean, grading_lines

    out.mkdir(parents=True, exist_ok=True)
    report = "\n".join(["# Evaluation report", "", *grading_lines(grading)]) + "\n"
    (out / "report.md").write_text(report, encoding="utf-8")
    return clean({"practice_grading": grading}), [out / "report.md"], report


def dataset_contamination(retriever, scope, records) -> dict[str, float]:
    """Per dataset, the share of queries that are near copies of a learner phrasing or an
    off-topic bank line: what the assistant was built with, so a score there is not a
    measure of unseen questions."""
    import numpy as np

    from eval.coverage_eval import contamination

    built_with = np.vstack([v for v in (scope.background, retriever.phrasing_vectors) if v is not None])
    by_name: dict[str, list[str]] = {}
    for name, rec in records:
        by_name.setdefault(name, []).append(rec.query)
    return {
        name: contamination(np.array([retriever.embed(q) for q in queries], dtype=np.float32), built_with)
        for name, queries in sorted(by_name.items())
    }


def open_judge(settings: Settings, kind: str, model: str | None, max_tokens: int, retriever):
    """The RAGAS judge on an Ollama or OpenAI-compatible server."""
    from eval.ragas_metrics import Judge

    if kind == Backend.OLLAMA:
        from assistant.llm.ollama_backend import OllamaLLM

        base_url = settings.ollama_host.rstrip("/") + "/v1"
        model = model or OllamaLLM.DEFAULT_MODEL
    else:
        base_url = settings.openai_base_url
    try:
        return Judge(base_url, model, retriever.index.embed_model, api_key=settings.openai_api_key.get_secret_value(),
                     max_tokens=max_tokens)
    except Exception as exc:  # openai raises its own types; all mean the same to the user here
        raise StudyError(
            f"the {kind} judge at {base_url} is not usable ({type(exc).__name__})",
            "start the server or pass --judge none",
        ) from None
