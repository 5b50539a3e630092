"""Refusals: decided from retrieval evidence before any model call, on the project's sets."""

from __future__ import annotations

import json

import pytest

from assistant.index import known_words
from assistant.scope import ScopeGate
from eval.records import load
from eval.retrieval_eval import DATASETS_DIR
from tests.conftest import run_study


@pytest.fixture(scope="module")
def gate(retriever):
    return ScopeGate(retriever, known_words("all-MiniLM-L6-v2"))


def refusal_rate(gate, retriever, name, style=None):
    records = [r for r in load(DATASETS_DIR / name) if style is None or r.style == style]
    refused = []
    for rec in records:
        hits = retriever.search(rec.query, 5, history=list(rec.history))
        refused.append(not gate.judge(rec.query, list(rec.history), hits).in_scope)
    return sum(refused) / len(refused), len(records)


@pytest.mark.parametrize("style, floor", [("general", 0.85), ("near_miss", 0.55), (None, 0.7)])
def test_out_of_scope_set_is_refused(gate, retriever, style, floor):
    """Floors are the measured rates (README), not the 0.95 goal: questions on neighbouring
    topics ("fine-tune Whisper", "GPT-5's size") look in scope to retrieval evidence."""
    rate, n = refusal_rate(gate, retriever, "out_of_scope.jsonl", style)
    assert n >= 20 and rate >= floor


@pytest.mark.parametrize("name", ["retrieval_dev.jsonl", "retrieval_holdout.jsonl", "conversations.jsonl"])
def test_in_scope_questions_are_rarely_refused(gate, retriever, name):
    rate, n = refusal_rate(gate, retriever, name)
    assert rate <= (0.05 if name == "retrieval_dev.jsonl" else 0.07), (name, rate)


def test_question_numbers_outside_the_guide_are_refused(gate, retriever):
    verdict = gate.judge("According to the guide, what is Q101 about?", [], retriever.search("Q101", 3))
    assert (verdict.in_scope, verdict.reason, verdict.missing_number) == (False, "no_such_question", 101)
    assert gate.judge("what does Q38 say?", [], retriever.search("Q38", 3)).in_scope


def test_cli_refuses_without_inventing(shipped_index):
    result = run_study(["ask", "--json", "what is the capital of australia"], shipped_index)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert set(obj) >= {"question", "answer", "citations", "sources", "refused", "unsupported_sentences", "timings"}
    assert obj["refused"] is True and obj["citations"] == []
    assert obj["answer"].startswith('The guide does not cover "what is the capital of australia".')
    assert "canberra" not in obj["answer"].lower()
    assert all(s["id"] in obj["answer"] for s in obj["sources"])  # nearest questions are suggested
