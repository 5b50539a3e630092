"""Search through the real CLI and the real retriever over the shipped guide."""

import json

import pytest

from assistant.retrieval.followup import leans_on_conversation, named_questions
from tests.conftest import call_study, run_study


def test_cli_search_json_shape_and_ranking(shipped_index):
    result = run_study(["search", "--json", "explain GQA vs MQA"], shipped_index)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["query"] == "explain GQA vs MQA"
    top = obj["results"][0]
    assert set(top) == {"id", "number", "title", "section", "score"}
    assert (top["id"], top["number"], top["section"]) == ("Q38", 38, "Transformer Architecture")
    scores = [r["score"] for r in obj["results"]]
    assert scores == sorted(scores, reverse=True)


def test_cli_batch_from_stdin_with_history(shipped_index):
    stdin = "\n".join(
        [
            "Q63",
            json.dumps({"query": "how does it compare to MQA?", "history": ["what is grouped query attention?"]}),
            "question 12",
        ]
    )
    result = call_study(["search", "--json", "--top-k", "3"], shipped_index, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [line["results"][0]["id"] for line in lines] == ["Q63", "Q38", "Q12"]
    assert all(len(line["results"]) == 3 for line in lines)


def test_cli_section_filter_and_unknown_section(shipped_index):
    result = call_study(["search", "--json", "--section", "Prompt Engineering", "attention"], shipped_index)
    sections = {r["section"] for r in json.loads(result.stdout)["results"]}
    assert sections == {"Prompt Engineering"}
    bad = call_study(["search", "--section", "Cooking", "attention"], shipped_index)
    assert bad.returncode == 2 and "no section named 'Cooking'" in bad.stderr and "Transformer Architecture" in bad.stderr



@pytest.mark.parametrize(
    "query, expected",
    [
        ("explain GQA vs MQA", "Q38"),
        ("wat is grouped qeury atention", "Q38"),  # typos repaired toward the guide's terms
        ("how does lora wrk", "Q63"),
        ("RLHF", "Q17"),
        ("kv cache", "Q36"),
        ("PEFT", "Q27"),
        ("what does q38 say", "Q38"),
    ],
)
def test_learner_queries(retriever, query, expected):
    assert retriever.search(query, 3)[0].chunk.id == expected


def test_followup_uses_history_only_when_needed(retriever):
    history = ["what is grouped query attention?"]
    assert retriever.search("how does it compare to MQA?", 3, history=history)[0].chunk.id == "Q38"
    # A self-contained new question is not dragged back to the old topic.
    assert retriever.search("Explain LoRA (Low-Rank Adaptation)", 3, history=history)[0].chunk.id == "Q63"


def test_helpers():
    assert named_questions("Q38 vs question 12 and #7") == [38, 12, 7]
    assert leans_on_conversation("and the second one?") and not leans_on_conversation("explain canary deployment")
