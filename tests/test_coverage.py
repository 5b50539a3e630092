"""Knowing what the guide does not answer: a coverage verdict on every answer, follow-ups
that follow, and numbers that name guide questions only when they do.

Everything runs for real (MiniLM, Chroma on disk, the grounded default); the one scripted
model (EchoLLM) forces the fragment a tiny model was seen to write, to show the guide's
lines are added when a model's checked answer no longer states the key points.
"""

from __future__ import annotations

import json

import pytest

from assistant.answering.answer import Chat
from assistant.core.settings import Settings
from assistant.llm.base import EchoLLM
from assistant.runtime import open_assistant
from eval.records import DATASETS_DIR, load
from tests.conftest import call_study


@pytest.fixture(scope="module")
def assistant(shipped_index, retriever):
    return open_assistant(Settings(index_dir=shipped_index), retriever=retriever)


def conversation(assistant, *questions):
    chat = Chat(assistant)
    return [chat.ask(q) for q in questions]


def test_a_topic_switch_mid_chat_is_judged_on_its_own(assistant):
    _, australia = conversation(assistant, "explain GQA vs MQA", "what is the capital of australia")
    assert australia.refused and australia.coverage == "not_covered" and not australia.citations
    _, steak = conversation(assistant, "what is LoRA?", "how do I cook the perfect steak?")
    assert steak.refused, steak.answer


def test_a_real_follow_up_still_follows(assistant):
    gqa, vram = conversation(assistant, "explain GQA vs MQA", "and which one uses less VRAM?")
    assert gqa.citations == [38] and gqa.coverage == "answered"
    assert vram.citations == [38] and "MQA" in vram.answer and vram.coverage == "answered"


def test_a_follow_up_naming_a_new_subject_cites_where_the_guide_explains_it(assistant):
    _, qlora = conversation(assistant, "what is LoRA?", "and QLoRA?")
    assert 27 in qlora.citations and "4-bit" in qlora.answer
    assert qlora.citations[0] == 27  # the new subject first, the earlier topic after it


def test_a_follow_up_about_something_the_guide_lacks_is_partial_not_refused(assistant):
    _, top_p = conversation(assistant, "explain temperature", "and how does top-p differ?")
    assert not top_p.refused and top_p.coverage == "partial"
    assert top_p.not_covered == ["top-p"] and top_p.citations == [11]
    assert top_p.answer.startswith("*The guide does not cover top-p. Its closest answer:*")
    assert "**Low (0.1 - 0.5)**" in top_p.answer  # then what it does say, verbatim and cited


def test_a_follow_up_continuing_with_a_topic_of_its_own_is_judged_on_it(assistant):
    """"and what about mixed precision training?" after Flash Attention: the guide has no
    mixed precision, and Q37's card does not answer it; "and which one uses less VRAM?"
    after GQA vs MQA continues with Q38's own words and stays answered."""
    _, mixed = conversation(assistant, "How does Flash Attention work?", "and what about mixed precision training?")
    assert mixed.coverage == "partial" and mixed.answer.startswith("*The guide does not answer")
    assert "mixed precision training" in mixed.not_covered[0]
    _, vram = conversation(assistant, "explain GQA vs MQA", "and which one uses less VRAM?")
    assert vram.coverage == "answered"


def test_a_figure_the_guide_never_gives_is_named_as_missing(assistant):
    answer = assistant.ask("how long should a canary release run before the full rollout?")
    assert answer.coverage == "partial" and answer.citations == [77]
    assert any("how long should a canary release run" in aspect for aspect in answer.not_covered)
    first_line = answer.answer.splitlines()[0]
    assert first_line.startswith("*The guide does not answer") and "how long" in first_line


def test_a_name_the_guide_never_mentions_makes_the_answer_partial(assistant):
    answer = assistant.ask("how does RLHF differ from DPO?")
    assert answer.coverage == "partial" and "DPO" in answer.not_covered and 17 in answer.citations


def test_a_kind_the_guide_never_names_is_not_its_general_answer(assistant):
    """Q22 defines quantization (FP16 to INT4), never a 1-bit kind; a hyphenated spelling of
    the guide's own words is not such a kind."""
    one_bit = assistant.ask("What is 1-bit quantization?")
    assert one_bit.coverage == "partial" and one_bit.not_covered == ["1-bit quantization"] and one_bit.citations == [22]
    rag = assistant.ask("What is retrieval-augmented generation?")
    assert rag.coverage == "answered" and rag.citations[0] == 51


def test_a_heading_is_about_the_term_it_defines(assistant):
    """Q6 is "Explain the concept of embeddings in NLP.": about embeddings, not about NLP."""
    nlp = assistant.ask("What is Natural Language Processing?")
    assert nlp.coverage != "answered", nlp.answer
    assert assistant.ask("explain the concept of embeddings").coverage == "answered"


def test_asked_steps_need_an_answer_that_gives_steps(assistant):
    """Q74 lists ways to speed inference up, not the steps of running a query; Q17 gives
    RLHF's three numbered steps."""
    steps = assistant.ask("Tell me the basic steps involved in running an inference query on an LLM")
    assert steps.coverage == "partial" and steps.answer.startswith("*The guide does not answer")
    rlhf = assistant.ask("What are the steps of RLHF?")
    assert rlhf.coverage == "answered" and rlhf.citations[0] == 17


def test_numbers_name_guide_questions_only_when_they_do(assistant, retriever):
    earnings = assistant.ask("what were Apple's Q3 earnings?")
    assert earnings.refused and earnings.coverage == "not_covered"
    assert retriever.read("what were Apple's Q3 earnings?").numbers == ()
    assert retriever.read("#1 pizza toppings near me").numbers == ()
    assert retriever.read("explain Q38").numbers == (38,)
    assert retriever.read("what does Q38 say about MQA?").numbers == (38,)
    assert retriever.read("According to the guide, what is Q101 about?").numbers == (101,)
    assert assistant.ask("what does Q38 say?").citations == [38]


def test_a_question_the_guide_answers_is_marked_answered(assistant):
    for question, number in [("What is canary deployment?", 77), ("Explain LoRA (Low-Rank Adaptation).", 63),
                             ("What is RAG and why is it important?", 51)]:
        answer = assistant.ask(question)
        assert (answer.coverage, answer.citations[0], answer.not_covered) == ("answered", number, [])
        assert not answer.answer.startswith("*The guide does not")


def test_cli_json_and_text_carry_the_verdict(shipped_index):
    result = call_study(["ask", "--json", "how long should a canary release run before the full rollout?"],
                        shipped_index)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["coverage"] == "partial" and obj["not_covered"] and obj["citations"] == [77]
    text = call_study(["ask", "what were Apple's Q3 earnings?"], shipped_index).stdout
    assert "Coverage: not_covered" in text
    text = call_study(["ask", "how long should a canary release run before the full rollout?"], shipped_index).stdout
    assert "Coverage: partial (the guide does not cover:" in text


def test_a_model_fragment_is_completed_with_the_guides_lines(shipped_index, retriever):
    """A tiny model on a server was seen to answer with a true fragment that misses the
    point; the checks pass it, so the guide's lines for the missed key points follow."""
    fragment = "MQA is fast and uses low VRAM, at a lower quality. [Q38]"
    generative = Settings(index_dir=shipped_index, answer_mode="generative")
    answer = open_assistant(generative, llm=EchoLLM(fragment), retriever=retriever).ask("explain GQA vs MQA")
    assert answer.answer.startswith(fragment) and "*From the guide:*" in answer.answer
    assert "**GQA (Grouped Query)**" in answer.answer and answer.completed_from_guide
    # An answer that states the key points is left as the model wrote it.
    full = ("MHA uses many Q, K, V heads and high VRAM [Q38]. MQA uses many Q heads and 1 K/V head, fast with low "
            "VRAM and lower quality [Q38]. GQA is the middle ground with groups of K/V heads, used in Llama 2/3 [Q38].")
    whole = open_assistant(generative, llm=EchoLLM(full), retriever=retriever).ask("explain GQA vs MQA")
    assert "*From the guide:*" not in whole.answer and whole.mode == "generative" and not whole.completed_from_guide


def test_generative_partial_answers_open_with_the_same_note(shipped_index, retriever):
    generative = Settings(index_dir=shipped_index, answer_mode="generative")
    reply = "Canary deployment releases a new model version to a small subset of users first. [Q77]"
    answer = open_assistant(generative, llm=EchoLLM(reply), retriever=retriever).ask(
        "how long should a canary release run before the full rollout?")
    assert answer.coverage == "partial" and answer.answer.startswith("*The guide does not answer")


def rates(assistant, name):
    """hit@1 of the first citation (a refusal cites nothing), and the verdict per label."""
    hits, verdicts = [], {}
    for rec in load(DATASETS_DIR / name):
        answer = assistant.ask(rec.query)
        if rec.reference_ids:
            hits.append(bool(answer.citations) and f"Q{answer.citations[0]}" in rec.reference_ids)
        verdicts.setdefault(rec.coverage, []).append(answer.coverage)
    share = lambda label, verdict: verdicts[label].count(verdict) / len(verdicts[label])  # noqa: E731
    return sum(hits) / len(hits), share


@pytest.mark.parametrize(
    "name, hit1, answered, not_covered, partial",
    [("real_questions_dev.jsonl", 0.72, 0.9, 0.6, 0.28), ("real_questions_holdout.jsonl", 0.75, 0.9, 0.75, 0.3),
     ("real_questions_blind.jsonl", 0.66, 0.87, 0.68, 0.4), ("real_questions_blind2.jsonl", 0.68, 0.78, 0.69, 0.26)],
)
def test_real_interview_questions(assistant, name, hit1, answered, not_covered, partial):
    """Floors at or just under the measured rates (README, docs/coverage.md, `study eval`): questions the
    guide answers stay answered and are never refused; most it does not answer are not
    passed off as answered. Partly answered ones are the weak spot (docs/coverage.md)."""
    hit, share = rates(assistant, name)
    assert hit >= hit1, hit
    assert share("answered", "answered") >= answered and share("answered", "not_covered") == 0.0
    assert 1 - share("not_covered", "answered") >= not_covered, share("not_covered", "answered")
    assert share("partial", "partial") >= partial, share("partial", "partial")


def test_the_shipped_verdict_weights_are_what_the_tuner_fits(shipped_index, monkeypatch, capsys):
    """`python -m eval.tune_coverage` refits the verdict on the labelled dev sets: the model
    in the code is that fit, so a change to the evidence without a refit fails here."""
    import re

    from assistant.answering.coverage import CoverageModel
    from eval.tune_coverage import main

    monkeypatch.setenv("STUDY_INDEX_DIR", str(shipped_index))
    assert main([]) == 0
    printed = capsys.readouterr().out
    weights = [float(v) for v in re.search(r"weights=\(([^)]*)\)", printed).group(1).split(",")]
    shipped = CoverageModel()
    assert weights == pytest.approx(list(shipped.weights), abs=0.002)
    assert float(re.search(r"bias=(-?[\d.]+)", printed).group(1)) == pytest.approx(shipped.bias, abs=0.002)
    assert float(re.search(r"threshold=(-?[\d.]+)", printed).group(1)) == pytest.approx(shipped.threshold, abs=0.002)
