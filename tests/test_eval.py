"""`study eval` on fixture datasets whose metrics are known by hand, and the report it writes."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import call_study, run_study

# Named questions route in order (Q12, Q5, Q38 rank 1, 2, 3), so ranks are known by hand:
# two hits at rank 1, one at rank 3, one miss (Q99 is not among Q1..Q10).
FIXTURE = [
    {"query": "Q38", "reference_ids": ["Q38"], "kind": "in_scope"},
    {"query": "what does Q63 say", "reference_ids": ["Q63"], "kind": "in_scope"},
    {"query": "Q12 Q5 Q38", "reference_ids": ["Q38"], "kind": "in_scope"},
    {"query": "Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 Q10", "reference_ids": ["Q99"], "kind": "in_scope"},
]


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_retrieval_metrics_match_hand_computed_values(shipped_index, tmp_path):
    data = write(tmp_path / "fixture.jsonl", FIXTURE)
    out = tmp_path / "report"
    result = call_study(["eval", "--dataset", str(data), "--retrieval-only", "--json", "--out", str(out)], shipped_index)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    r = summary["retrieval"]
    assert r["n"] == 4 and r["hit@1"] == 0.5 and r["hit@3"] == 0.75 and r["hit@5"] == 0.75
    assert r["mrr@10"] == pytest.approx((1 + 1 + 1 / 3 + 0) / 4)
    # RAGAS's ID-based metrics agree with ours over the top 5: recall is hit@5 for one
    # reference id each, precision is one relevant id in five retrieved.
    assert summary["ragas"]["ragas_id_context_recall"] == pytest.approx(r["hit@5"])
    assert summary["ragas"]["ragas_id_context_precision"] == pytest.approx(3 * (1 / 5) / 4)
    assert set(summary["retrieval_by_kind"]) == {"in_scope"}
    assert "progress" not in result.stdout and "evaluating" in result.stderr  # the bar goes to stderr
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [row["retrieved"][:3] for row in rows][2] == ["Q12", "Q5", "Q38"]
    assert len(list(out.glob("*.png"))) >= 2 and "| all | 4 |" in (out / "report.md").read_text()


def test_answer_checks_on_a_small_set_with_the_embedded_model(shipped_index, tmp_path):
    data = write(tmp_path / "small.jsonl", [
        {"query": "explain GQA vs MQA", "reference_ids": ["Q38"], "kind": "in_scope"},
        {"query": "what is the capital of australia", "reference_ids": [], "kind": "out_of_scope"},
    ])
    result = run_study(["eval", "--dataset", str(data), "--json", "--out", str(tmp_path / "r")], shipped_index)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)["answers"]
    assert answers["n"] == 2 and answers["errors"] == 0
    assert answers["refusal_rate_out_of_scope"] == 1.0 and answers["false_refusal_rate_in_scope"] == 0.0
    # The grounded answer to "GQA vs MQA" is Q38's own lines, cited Q38 alone: recall and precision 1.
    assert answers["citation_recall"] == 1.0 and answers["citation_precision"] == 1.0
    rows = {row["query"]: row for row in map(json.loads, (tmp_path / "r" / "results.jsonl").read_text().splitlines())}
    assert rows["explain GQA vs MQA"]["citations"] == ["Q38"] and rows["explain GQA vs MQA"]["answer_sentences"] >= 3
    refused = rows["what is the capital of australia"]
    assert refused["refused"] and refused["answer_sentences"] == 0 and "citation_precision" not in refused


def test_unsupported_sentences_are_counted_against_the_shown_ones(shipped_index, retriever):
    """A model sentence no retrieved question supports is removed and counted: one such
    sentence over the answer's shown sentences. (A scripted model: a real one cannot be
    made to write it on demand.)"""
    from assistant.core.sentences import split_sentences
    from assistant.core.settings import Settings
    from assistant.llm.base import EchoLLM
    from assistant.runtime import open_assistant
    from eval.records import Record
    from eval.suite import evaluate_record, summarise

    eiffel = "The Eiffel Tower in Paris was finished in 1889 for the World Fair."
    reply = f"Grouped-query attention shares key and value heads among groups of query heads [Q38]. {eiffel[:-1]} [Q38]."
    generative = Settings(index_dir=shipped_index, answer_mode="generative")
    assistant = open_assistant(generative, llm=EchoLLM(reply), retriever=retriever)
    row = evaluate_record(Record("explain GQA vs MQA", ("Q38",)), retriever, assistant)
    assert row["unsupported_sentences"] == [eiffel] and eiffel not in row["answer"]
    assert row["answer_sentences"] == len(split_sentences(row["answer"])) >= 2
    answers = summarise([row])["answers"]
    assert answers["unsupported_sentence_rate"] == pytest.approx(1 / row["answer_sentences"])
    assert answers["citation_precision"] == answers["citation_recall"] == 1.0


def test_malformed_dataset_is_a_clear_error(shipped_index, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "reference_ids": "Q1"}\n', encoding="utf-8")
    result = call_study(["eval", "--dataset", str(bad), "--retrieval-only"], shipped_index)
    assert result.returncode == 2 and "bad.jsonl:1 is not a dataset record" in result.stderr


def generations(log) -> int:
    """Requests the llama.cpp server has answered so far: each prints one timing block."""
    return log.read_text(errors="replace").count("llama_perf_context_print:       total time")


def test_openai_judge_end_to_end_offline(shipped_index, tmp_path, tmp_path_factory, llama_server):
    """A tiny judge's scores mean little; this proves the plumbing: RAGAS runs against a
    loopback server with no OpenAI key (its model name and its requests reach that server,
    whose log counts them), and failed samples are counted, not averaged away. A proxy that
    refuses everything keeps anything else from reaching the internet."""
    data = write(tmp_path / "judge.jsonl", [
        {"query": "explain GQA vs MQA", "reference_ids": ["Q38"], "kind": "in_scope"},
        {"query": "what is LoRA?", "reference_ids": ["Q63"], "kind": "in_scope"},
    ])
    dead = "http://127.0.0.1:9"
    # The llama_server fixture's stderr (pytest also links it as llama_servercurrent).
    [log] = {p.resolve() for p in tmp_path_factory.getbasetemp().glob("llama_server*/server.log")}
    before = generations(log)
    result = run_study(
        ["eval", "--dataset", str(data), "--judge", "openai", "--judge-max-tokens", "96", "--json",
         "--out", str(tmp_path / "r")], shipped_index,
        STUDY_OPENAI_BASE_URL=llama_server, OPENAI_API_KEY="", HTTP_PROXY=dead, HTTPS_PROXY=dead,
        NO_PROXY="127.0.0.1,localhost",
    )
    summary = json.loads(result.stdout)
    # A judge that scored no sample fails the run (exit 1, the reason on stderr); any score passes it.
    scored = any(m["scored"] for m in summary["judge"].values())
    assert result.returncode == (0 if scored else 1), result.stderr
    assert scored or "error: the judge scored no sample (" in result.stderr
    # The judge's model name came from the loopback server's /v1/models (none was given).
    assert summary["judge_model"].startswith("openai:") and summary["judge_model"].endswith(".gguf")
    # Both metrics of both samples were put to the server: each request llama.cpp serves
    # leaves one timing block in its log (the answers are grounded: no model call of their own).
    assert generations(log) - before >= 4
    # SmolLM2-135M cannot write RAGAS's structured output (measured: it echoes the JSON schema
    # back), so its samples may fail: then they are counted and reported, never averaged in.
    assert_judged_as_reported(summary, tmp_path / "r", 2)


def test_a_judge_that_fails_every_sample_is_reported_not_scored(shipped_index, tmp_path):
    """A judge server that is down for the whole run: every sample is counted as failed
    with the reason, the mean is absent (never 0, never an average of failures), and the
    run exits non-zero."""
    from tests.fake_ollama import closed_port

    data = write(tmp_path / "down.jsonl", [
        {"query": "explain GQA vs MQA", "reference_ids": ["Q38"], "kind": "in_scope"},
        {"query": "what is LoRA?", "reference_ids": ["Q63"], "kind": "in_scope"},
    ])
    result = call_study(
        ["eval", "--dataset", str(data), "--judge", "openai", "--judge-model", "m", "--json", "--out",
         str(tmp_path / "r")], shipped_index, STUDY_OPENAI_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1",
    )
    assert result.returncode == 1 and "error: the judge scored no sample (" in result.stderr  # scripts see it
    summary = json.loads(result.stdout)
    for metric in ("faithfulness", "answer_relevancy"):
        assert summary["judge"][metric] == {"mean": None, "scored": 0, "failed": 2}
    assert_judged_as_reported(summary, tmp_path / "r", 2)  # with the reasons in judge_errors
    assert "| faithfulness | n/a | 0 | 2 |" in (tmp_path / "r" / "report.md").read_text()


def test_judge_scores_pass_through_and_failures_are_nan(shipped_index, retriever):
    """The judge's own bookkeeping, on the real Judge class: a score is kept as the number
    it is, a failure is NaN with its reason recorded, and the summary averages real scores only."""
    from types import SimpleNamespace

    from assistant.core.settings import Settings
    from assistant.runtime import open_assistant
    from eval.ragas_metrics import Judge
    from eval.records import Record
    from eval.suite import evaluate_record, summarise
    from tests.fake_ollama import closed_port

    judge = Judge(f"http://127.0.0.1:{closed_port()}/v1", "m", retriever.index.embed_model)

    async def scored(value):
        return SimpleNamespace(value=value)

    async def fails():
        raise ValueError("bad JSON\nfrom the judge")

    assert judge._run(scored(0.25)) == 0.25 and judge._run(scored(1)) == 1.0 and judge.errors == []
    assert math.isnan(judge._run(fails())) and judge.errors == ["ValueError: bad JSON"]
    # The real metrics against a server that is down: NaN for both, and both reasons kept.
    scores = judge.score("explain GQA vs MQA", "GQA shares K/V heads [Q38].", ["Q38. GQA ..."])
    assert set(scores) == {"faithfulness", "answer_relevancy"} and all(math.isnan(v) for v in scores.values())
    assert len(judge.errors) == 3
    assert all("ConnectError" in e for e in judge.errors[1:]), judge.errors  # the cause, not the retry wrapper

    answered = evaluate_record(Record("explain GQA vs MQA", ("Q38",)), retriever,
                               open_assistant(Settings(index_dir=shipped_index), retriever=retriever))
    rows = [{**answered, "faithfulness": f, "answer_relevancy": r}
            for f, r in ((0.25, math.nan), (0.75, 0.5), (math.nan, math.nan))]
    judged = summarise(rows)["judge"]
    assert judged["faithfulness"] == {"mean": 0.5, "scored": 2, "failed": 1}
    assert judged["answer_relevancy"] == {"mean": 0.5, "scored": 1, "failed": 2}
    judge._loop.close()


def assert_judged_as_reported(summary: dict, out, n: int) -> None:
    """The judge's counts agree with its rows: each row scored is a real number in [0, 1],
    each failure a null, the mean is the mean of the real ones, and failures come with reasons."""
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    for metric in ("faithfulness", "answer_relevancy"):
        values = [row[metric] for row in rows if metric in row]
        real = [v for v in values if v is not None]
        assert len(values) == n and all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in real), values
        stats = summary["judge"][metric]
        assert (stats["scored"], stats["failed"]) == (len(real), n - len(real))
        assert stats["mean"] == (pytest.approx(sum(real) / len(real)) if real else None)
    failed = any(summary["judge"][m]["failed"] for m in ("faithfulness", "answer_relevancy"))
    assert bool(summary["judge_errors"]) == failed


def test_practice_grading_is_reported_with_the_retrieval_sets(shipped_index, tmp_path):
    """A file of graded answers is graded as `study grade` would; its bucket accuracy and the
    two goals sit in the same report as the query sets."""
    graded = write(tmp_path / "mine.jsonl", [
        {"question": 11, "kind": "reversed", "expected": ["Again", "Hard"],
         "answer": "low temperature is more random and creative, high temperature is deterministic"},
        {"question": 11, "kind": "good", "expected": ["Good", "Easy"],  # too thin to be Good: a miss
         "answer": "Temperature changes the output."},
    ])
    queries = write(tmp_path / "fixture.jsonl", FIXTURE)
    out = tmp_path / "report"
    result = call_study(["eval", "--dataset", str(queries), "--dataset", str(graded), "--retrieval-only", "--json",
                         "--out", str(out)], shipped_index)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["retrieval"]["n"] == 4  # the graded answers are not queries
    mine = summary["practice_grading"]["mine"]
    assert mine["answers"] == 2 and mine["bucket_accuracy"] == 0.5
    assert mine["wrong_or_reversed_rated_good"] == 0 and mine["good_rated_good"] == 0.0
    assert mine["by_kind"]["reversed"]["with_contradictions"] == 1
    assert "## Practice grading (`mine`)" in (out / "report.md").read_text()
