"""Practice that grades like an interviewer: key points that are facts, contradictions found
and named with the checks that guard model answers, credit fact by fact. Real MiniLM and
the shipped index; the model path is scripted with EchoLLM where an exact sentence matters."""

from __future__ import annotations

import json
import re

import pytest

from assistant.core.facts import facts_of
from assistant.core.settings import Settings
from assistant.core.statements import check_statement
from assistant.llm.base import EchoLLM
from assistant.practice.export import markdown_sheet, study_cards
from assistant.practice.grading import Grader, key_points
from assistant.practice.schedule import rating
from assistant.runtime import open_assistant
from eval.grading_eval import BLIND2, BLIND3, BLIND4, BLIND5, DATASET, DEV2, HOLDOUT, grade_all, load_answers, summarise
from tests.conftest import call_study
from ui.render import guide_text_markdown

REVERSED_Q11 = "low temperature is more random and creative, high temperature is deterministic"
WRONG_NUMBER = "Many Q heads, 2 K/V heads (Middle ground). [Q38]"  # the guide's only "2" is in "Llama 2/3"
INVENTED_NAME = "**Medium Rank Adaptation**: A·Bᵀ is a matrix [Q63]"  # Q63 says Low-Rank Adaptation


@pytest.fixture(scope="module")
def grader(retriever):
    return Grader(retriever.index)


def chunk(retriever, number):
    return retriever.index.chunk(number)


def test_a_reversed_fact_is_named_scored_low_and_never_good(shipped_index, tmp_path):
    result = call_study(["grade", "--question", "11", "--answer", REVERSED_Q11, "--json"], shipped_index,
                        STUDY_PROGRESS_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    graded = json.loads(result.stdout)
    assert graded["score"] < 40 and graded["review"]["rating"] not in ("Good", "Easy")
    said = {c["sentence"]: c["guide_line"] for c in graded["contradictions"]}
    assert said["high temperature is deterministic"].startswith("Low (0.1 - 0.5): Deterministic")
    assert said["low temperature is more random and creative"].startswith("High (1.5+): Random, creative")
    assert 'You said "high temperature is deterministic"; the guide: "Low (0.1 - 0.5)' in graded["feedback"]
    assert graded["unsupported"] == []


def test_a_contradiction_keeps_a_good_answer_below_good(grader):
    good = ("Multi-head attention has many query, key and value heads and uses a lot of VRAM. Multi-query attention "
            "has one K/V head, so it is fast and light on memory but lower quality. GQA shares a K/V head per group "
            "of query heads.")
    assert rating(grader.grade(38, good).score).name in ("Good", "Easy")
    spoiled = grader.grade(38, good + " MQA uses high VRAM.")
    assert spoiled.score < 60 and [c.sentence for c in spoiled.contradictions] == ["MQA uses high VRAM"]
    # Quoted: where the guide puts high VRAM (as Q11 quotes Low for "high temperature is deterministic").
    assert spoiled.contradictions[0].guide_line == "MHA (Multi-Head): Many Q, K, V heads (High VRAM usage)."


def test_q2_key_points_are_facts_without_table_syntax(retriever):
    points = key_points(chunk(retriever, 2).text)
    assert points == [
        "GANs (Generative Adversarial Networks): Two networks (Generator vs Discriminator) compete; "
        "best for High-quality Image Generation",
        "VAEs (Variational Autoencoders): Encoder-Decoder with a probabilistic latent space; "
        "best for Variations & Interpolations",
        "Transformers: Self-attention mechanisms to process sequences; Text (GPT), Code, Audio, some Images",
    ]
    every = [f.text for c in retriever.index.chunks for f in facts_of(c.number, c.text)]
    table_syntax = re.compile(r"^\||\s\|\s|\*\*|\[!|^(?:Model Type|Feature|Architecture) [|—:]")
    assert len(every) > 300 and [p for p in every if table_syntax.search(p)] == []


def test_exports_and_cards_show_the_facts_and_no_callout_markers(retriever):
    q2 = chunk(retriever, 2)
    sheet = markdown_sheet(study_cards([q2]), "Guide")
    points = sheet.split("**Key points**")[1]
    assert "- GANs (Generative Adversarial Networks): Two networks" in points and "|" not in points
    q11 = guide_text_markdown(chunk(retriever, 11).text)
    assert "[!NOTE]" not in q11 and "> **Note:** $T=0$ forces" in q11


@pytest.mark.parametrize("sentence, question, kind", [(WRONG_NUMBER, 38, "number"),
                                                      (INVENTED_NAME, 63, "unnamed")])
def test_the_checks_catch_a_number_of_something_else_and_an_invented_name(retriever, sentence, question, kind):
    problems = check_statement(sentence, [chunk(retriever, question)])
    assert [p.kind for p in problems] == [kind]
    assert kind != "unnamed" or "'Medium Rank Adaptation' is not named" in problems[0].detail


def test_a_model_writing_them_has_them_removed(shipped_index, retriever):
    generative = Settings(index_dir=shipped_index, answer_mode="generative")

    def removed(reply, question):
        answer = open_assistant(generative, llm=EchoLLM(reply), retriever=retriever).ask(question)
        return {r["sentence"]: r["reason"] for r in answer.removed_sentences}, answer.answer

    true = "MQA uses a single K/V head for all query heads [Q38]. "
    reasons, shown = removed(true + WRONG_NUMBER, "explain GQA vs MQA")
    assert reasons["Many Q heads, 2 K/V heads (Middle ground)."].startswith("number: '2' is stated elsewhere")
    assert "MQA uses a single K/V head for all query heads. [Q38]" in shown and "2 K/V" not in shown
    # A sentence close enough to Q63 to be supported, then removed for the name alone.
    named = ("**Medium Rank Adaptation**: LoRA approximates the update by factorizing it into two small "
             "matrices A and B [Q63].")
    reasons, shown = removed(named, "what is LoRA?")
    assert list(reasons.values()) == ["unnamed: 'Medium Rank Adaptation' is not named in the cited question"]
    assert "Medium Rank" not in shown
    reasons, _ = removed(named.replace("Medium", "Low-"), "what is LoRA?")
    assert reasons == {}  # the guide's own expansion passes


@pytest.mark.parametrize("number, sentence", [
    (38, "GQA is used in Llama 2 and 3."),
    (38, "MQA uses one K/V head, while GQA shares a K/V head per group of query heads."),
    (22, "A 7B model needs about 14GB of VRAM at FP16."),
    (44, "Few-shot gives the instruction plus 3-5 examples."),
    (11, "Low temperature, from 0.1 to 0.5, is deterministic and focused."),
])
def test_correct_sentences_still_pass(retriever, number, sentence):
    assert check_statement(sentence, [chunk(retriever, number)]) == []


def test_siblings_are_named_without_the_head_word_they_share(retriever):
    """Q1 compares "Generative AI" and "Discriminative AI": a learner says "generative
    models", and the swap of their probabilities is still caught."""
    q1 = [chunk(retriever, 1)]
    swapped = check_statement("Generative models learn the conditional probability, whereas discriminative "
                              "models learn the joint distribution.", q1)
    assert {p.kind for p in swapped} == {"swapped"} and any("'conditional'" in p.detail for p in swapped)
    assert check_statement("Generative models learn the joint distribution, discriminative models the "
                           "conditional probability.", q1) == []


def test_a_clause_goes_on_about_its_subject_until_it_opens_on_another(retriever):
    """A model's "while classifying" is still about Generative AI; a learner's "and a network
    is trained to remove it" after the forward process is about the reverse process."""
    swapped = "Generative AI creates new content by learning patterns from data while Classifying existing data."
    assert {p.term for p in check_statement(swapped, [chunk(retriever, 1)])} >= {"classify", "exist"}
    implicit = ("In the forward process Gaussian noise is slowly added to an image until it is pure noise, and a "
                "neural network is trained to predict and remove that noise step by step.")
    assert check_statement(implicit, [chunk(retriever, 14)]) == []


def test_a_learner_writing_them_is_flagged(grader):
    for number, sentence in ((38, WRONG_NUMBER), (63, INVENTED_NAME)):
        grade = grader.grade(number, sentence.replace(f" [Q{number}]", ""))
        assert grade.unsupported == [sentence.replace(f" [Q{number}]", "")] and grade.score < 40


def test_explaining_an_invented_claim_is_not_easy(coach_explain):
    text = ("Generative AI creates new content by learning the joint probability distribution. Discriminative AI "
            "classifies existing data by learning the conditional probability. "
            "It was invented by OpenAI in 2015 for image classification.")
    explanation, _ = coach_explain.explain(1, text, save=False)
    assert explanation.unbacked == ["It was invented by OpenAI in 2015 for image classification."]
    assert explanation.grade.score < 85


@pytest.fixture
def coach_explain(retriever, tmp_path):
    from assistant.practice.coach import Coach
    from assistant.practice.progress import ProgressStore

    return Coach(retriever, ProgressStore(tmp_path / "p.sqlite3"))


def test_partial_credit_fact_by_fact(grader):
    """The issue's Q3 answer scored 29 with only "Model Architecture" counted."""
    grade = grader.grade(3, "A generative AI system needs training data, a model architecture, and you run inference")
    # Named, not what the guide says of them: credit in part, listed as named, not covered.
    credited = grade.covered + grade.named
    assert sorted(p.split(":")[0] for p in credited) == ["Inference Pipeline", "Model Architecture", "Training Data"]
    assert "You named, without what the guide says of it: " in grade.feedback
    assert grade.score > 29 and not grade.contradictions


def test_the_graded_answer_set_meets_its_goals(grader):
    records = load_answers(DATASET)
    assert len(records) >= 60 and len({r["question"] for r in records}) >= 20
    summary = summarise(grade_all(records, grader))
    assert summary["wrong_or_reversed_rated_good"] == 0
    assert summary["good_rated_good"] >= 0.9


@pytest.mark.parametrize("path, passed", [(HOLDOUT, 6), (BLIND2, 8), (BLIND3, 6), (BLIND4, 9), (BLIND5, 4), (DEV2, 7)])
def test_the_other_graded_sets_hold_their_measured_rates(grader, path, passed):
    """The rates docs/study.md reports (`python -m eval.grading_eval --dataset FILE`): good
    answers rated Good/Easy on every set, and no more wrong or reversed ones passing than
    measured. The goal of none passing is not met: reversals that keep the guide's words
    need an understanding of roles and directions the checks do not have."""
    summary = summarise(grade_all(load_answers(path), grader))
    assert summary["good_rated_good"] >= 0.9, summary
    assert summary["wrong_or_reversed_rated_good"] <= passed, summary


@pytest.mark.parametrize("number, answer", [
    # reversed with words that are opposites: cheap/expensive, exact/approximate, linear/quadratic, increase/reduce
    (79, "Real-time inference is latency critical, like a chat where the user waits for a stream. Batch is "
         "throughput critical, like processing a million reviews overnight, and it is more expensive because the "
         "GPU is saturated."),
    (37, "Flash Attention is an IO-aware approximate attention algorithm that keeps the computation in fast SRAM, "
         "with quadratic memory in sequence length."),
    (22, "Quantization increases the precision of weights, for example INT4 to FP16, which increases VRAM but "
         "gives a big accuracy improvement."),
])
def test_reversals_a_learner_found_are_named(grader, number, answer):
    grade = grader.grade(number, answer)
    assert grade.contradictions and grade.score < 60


@pytest.mark.parametrize("number, reversed_, right", [
    # opposites: maximize/minimize, weak/powerful; "the more expensive option" says it of Batch
    (3, "Training learns patterns by maximizing the loss, and the architecture is a Transformer.",
     "Training minimizes a loss through optimization over large, high-quality datasets."),
    (44, "Few-shot gives the instruction plus 3-5 examples, but it is a weak way to improve performance.",
     "Few-shot, giving 3-5 examples, is a powerful low-effort way to improve performance."),
    (79, "Batch processing of reviews overnight is the more expensive option; real-time chat is latency critical.",
     "Batch is the cheaper option because the GPU stays saturated; real-time is latency critical."),
    (29, "To reduce hallucinations, ground the answers with RAG and raise the temperature.",  # "Lower Temperature"
     "Lower the temperature to reduce randomness, and ground answers with RAG."),
    # two opposite actions with their objects exchanged
    (20, "Catastrophic forgetting: with LoRA you freeze the small adapter matrices and retrain the main weights.",
     "Catastrophic forgetting: with LoRA you freeze the main weights and train only the adapters."),
    # orders: "at the end" follows all before it; "afterwards" is "then"; "- Step 2:" steps are a procedure
    (17, "First you train a reward model on rankings of outputs, then PPO optimizes the policy, and at the end "
         "you do supervised fine-tuning on demonstrations.",
     "First SFT on human demonstrations, then a reward model learns human preferences, and at the end PPO uses "
     "the reward model to optimize the policy."),
    (96, "Put the CREATE TABLE statements in the prompt, generate the SQL and execute it with a read-only user, "
         "and afterwards validate the SQL syntax.",
     "Inject the CREATE TABLE statements, generate the SQL, validate the syntax, and afterwards execute it with "
     "a read-only user."),
])
def test_opposite_words_and_stated_orders_are_read_both_ways(grader, number, reversed_, right):
    wrong = grader.grade(number, reversed_)
    assert wrong.contradictions and wrong.score < 40 and rating(wrong.score).name not in ("Good", "Easy")
    assert grader.grade(number, right).contradictions == []


@pytest.mark.parametrize("number, right, reversed_", [
    # what follows "than" is compared with, not asserted; "nobody" denies as "not" does
    (7, "Pre-training on general text, then fine-tuning on your task: far cheaper than training from scratch every time.",
     "We train every LLM from scratch for each application."),
    (23, "Abilities nobody explicitly designed, which appear suddenly at scale, like arithmetic and code generation.",
     "Emergent abilities are explicitly designed into the model and improve smoothly with scale."),
])
def test_comparisons_and_negative_pronouns_agree_with_a_negated_line(grader, number, right, reversed_):
    assert grader.grade(number, right).contradictions == []
    assert grader.grade(number, reversed_).contradictions


@pytest.mark.parametrize("answer", [
    # "as big as 70B" qualifies nothing the parse sees and is no opposite of "a tiny subset"
    "PEFT fine-tunes only a tiny subset of parameters. QLoRA runs LoRA on a 4-bit quantized base model, so you "
    "can fine-tune a model as big as 70B on 2 GPUs.",
    # the sentence denies "update" itself: its "frozen" is the contrast it draws, not the opposite of the guide
    "Instead of updating all the weights, you keep the model frozen and train only a tiny subset of parameters.",
])
def test_a_loose_or_self_contrasted_opposite_is_not_a_contradiction(grader, answer):
    assert grader.grade(27, answer).contradictions == []


@pytest.mark.parametrize("number, answer", [
    # "after tokenization" places a step in time, it is not what the clause is about; GPUs are in the guide
    (16, "LLMs are pre-trained on web pages, books and code with next-token prediction after tokenization, "
         "optimized with AdamW on thousands of GPUs."),
    (33, "Transformers process tokens in parallel so they don't know order; we inject position."),  # "order-agnostic"
    (11, "A low temperature such as 0.3 is deterministic and focused."),  # inside "Low (0.1 - 0.5)"
])
def test_correct_paraphrases_a_learner_wrote_are_not_flagged(grader, number, answer):
    grade = grader.grade(number, answer)
    assert grade.contradictions == [] and grade.unsupported == []


@pytest.mark.parametrize("number, answer", [
    (37, "Flash Attention computes exact attention, it's not an approximation, and memory grows linearly with "
         "sequence length rather than quadratically."),  # the opposites are negated: agreement
    (69, "Early stopping once the validation loss stops going down, a small learning rate, something like 2e-5."),
])
def test_negated_opposites_and_later_clauses_are_not_contradictions(grader, number, answer):
    grade = grader.grade(number, answer)
    assert grade.contradictions == [] and grade.unsupported == []


@pytest.mark.parametrize("number, answer", [
    # a contrast ("instead of updating all the weights") and a size of something else ("a big model")
    (27, "Instead of updating all the weights of a big model, you train only a tiny subset of parameters."),
    # counts of the learner's own framing ("three stages"), a name the guide does not use (Hugging Face)
    (87, "To mitigate it you work at three stages: in pre-processing you deduplicate data and balance "
         "demographic representation, then RLHF with safe and helpful rewards, then safety filters."),
])
def test_correct_answers_in_a_learners_own_framing_are_not_contradictions(grader, number, answer):
    grade = grader.grade(number, answer)
    assert grade.contradictions == []
    assert not any("three" in s for s in grade.unsupported)


def test_a_name_the_guide_does_not_use_still_earns_the_sentences_credit(grader):
    """A name the guide never uses ("BentoML") is flagged, but the points its sentence states count."""
    answer = ("Serving keeps the model in memory and exposes it through an API. vLLM is the fastest thanks to "
              "PagedAttention, TGI is the HuggingFace standard, TensorRT-LLM is NVIDIA optimized but hardest to "
              "set up, and Ollama is great for local dev, a bit like BentoML.")
    grade = grader.grade(73, answer)
    assert grade.unsupported and grade.contradictions == []
    assert len(grade.covered) >= 4 and rating(grade.score).name == "Good"  # flagged: not Easy


def test_steps_in_the_opposite_order_are_a_contradiction(retriever):
    """Q60 filters by metadata before search: after it is the wrong way round."""
    q60 = chunk(retriever, 60)
    said = "You search first and then filter by date or author."
    assert [p.kind for p in check_statement(said, [q60], q60.title)] == ["order"]
    assert check_statement("Filter by date or author before the search.", [q60], q60.title) == []


@pytest.mark.parametrize("number, said", [
    (48, "Tree-of-thoughts never backtracks once it has picked a branch."),  # the guide: "backtracks if necessary"
    (78, "To release a new model we overwrite the production model file."),  # the guide: "Never overwrite ..."
])
def test_an_action_denied_or_forbidden_the_other_way_is_a_contradiction(retriever, number, said):
    q = chunk(retriever, number)
    assert [p.kind for p in check_statement(said, [q], q.title)] == ["negation"]


@pytest.mark.parametrize("number, said", [
    (49, "Ask for a yes/no or JSON answer so the model doesn't ramble."),  # "to avoid verbose rambling"
    (80, "Put it in a private VPC so it isn't exposed to the public internet."),  # "No public internet access"
    (1, "Discriminative models don't create new content; they classify existing data."),  # Generative AI creates
    (31, "Each token gets three vectors: a query, a key and a value."),  # "3. **Value (V)**": an ordinal, not a count
])
def test_agreeing_negations_and_list_ordinals_are_not_contradictions(retriever, number, said):
    q = chunk(retriever, number)
    assert [p for p in check_statement(said, [q], q.title) if p.kind in ("negation", "swapped")] == []
