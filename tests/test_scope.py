"""Refusals: decided from retrieval evidence before any model call, on the project's sets."""

from __future__ import annotations

import json

import pytest

from assistant.core.settings import Settings
from assistant.runtime import open_scope
from eval.records import load
from eval.retrieval_eval import DATASETS_DIR
from tests.conftest import run_study


@pytest.fixture(scope="module")
def gate(retriever, tmp_path_factory):
    return open_scope(Settings(index_dir=tmp_path_factory.mktemp("index")), retriever)


def refusal_rate(gate, retriever, name, style=None):
    records = [r for r in load(DATASETS_DIR / name) if style is None or r.style == style]
    refused = []
    for rec in records:
        query = retriever.read(rec.query, rec.history)
        refused.append(not gate.judge(query, retriever.search(query, 5)).in_scope)
    return sum(refused) / len(refused), len(records)


@pytest.mark.parametrize(
    "name, style, floor",
    [
        ("out_of_scope.jsonl", "general", 0.95),
        ("out_of_scope.jsonl", "near_miss", 0.9),
        ("out_of_scope.jsonl", None, 0.95),
        ("out_of_scope_holdout.jsonl", None, 0.88),
        ("out_of_scope_blind.jsonl", None, 0.95),
        ("out_of_scope_fresh.jsonl", None, 0.93),
    ],
)
def test_out_of_scope_sets_are_refused(gate, retriever, name, style, floor):
    """Floors sit at or just under the measured rates (docs/answering.md); the goal is 0.95.
    Deep details next to the guide's topics ("tune HNSW's efSearch") are the misses."""
    rate, n = refusal_rate(gate, retriever, name, style)
    assert n >= 20 and rate >= floor, (name, style, rate)


@pytest.mark.parametrize(
    "name",
    [
        "retrieval_dev.jsonl",
        "retrieval_holdout.jsonl",
        "retrieval_blind.jsonl",
        "retrieval_fresh.jsonl",
        "conversations.jsonl",
    ],
)
def test_in_scope_questions_are_rarely_refused(gate, retriever, name):
    rate, n = refusal_rate(gate, retriever, name)
    assert rate <= 0.05, (name, rate)


def test_question_numbers_outside_the_guide_are_refused(gate, retriever):
    query = retriever.read("According to the guide, what is Q101 about?")
    verdict = gate.judge(query, retriever.search(query, 3))
    assert (verdict.in_scope, verdict.reason, verdict.missing_number) == (False, "no_such_question", 101)
    assert gate.judge(retriever.read("what does Q38 say?"), retriever.search("Q38", 3)).in_scope


def test_cli_refuses_without_inventing(shipped_index):
    result = run_study(["ask", "--json", "what is the capital of australia"], shipped_index)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert set(obj) >= {"question", "answer", "citations", "sources", "refused", "unsupported_sentences", "timings"}
    assert obj["refused"] is True and obj["citations"] == []
    assert obj["answer"].startswith('The guide does not cover "what is the capital of australia".')
    assert "canberra" not in obj["answer"].lower()
    # The nearest questions are suggested (all of them named in the answer: none would pass vacuously).
    assert len(obj["sources"]) >= 1 and all(s["id"] in obj["answer"] for s in obj["sources"])


@pytest.mark.parametrize(
    "query, foreign",
    [
        # "pooling" is "pool" + "ing", not a typo of the guide's "looking"; the glossary
        # knows "CNN" but the guide never uses it.
        ("what does a pooling layer do in a CNN", {"pooling", "cnn"}),
        ("what is q-learning in reinforcement learning", {"q-learning"}),  # not just "learning"
        ("what is DPO and how is its loss derived", {"dpo"}),
        ("how does a VAE work", set()),  # the guide says only "VAEs"
        ("explain GQA vs MQA and self-attention", set()),
    ],
)
def test_coverage_counts_the_words_as_typed(gate, query, foreign):
    assert set(gate.foreign_words(query)[1]) == foreign


def test_a_compound_counts_once_even_when_its_parts_repeat(gate):
    words, foreign = gate.foreign_words("end-to-end sequence-to-sequence beam search")
    assert words == ["end-to-end", "sequence-to-sequence", "beam", "search"] and foreign == ["beam"]
