"""Study mode: grading against the guide, spaced repetition on a fixed clock, progress
that survives restarts and bad files. Real MiniLM, real index, real SQLite."""

from __future__ import annotations

import json
import sqlite3

import pytest

from assistant.errors import StudyError
from assistant.practice.coach import Coach
from assistant.practice.progress import ProgressStore
from assistant.practice.schedule import DAY
from tests.conftest import call_study

# good / partial / wrong answers for several questions
ANSWERS = {
    38: ("GQA groups query heads so each group shares one key/value head; MQA uses a single K/V head for all "
         "query heads, which saves memory but loses quality",
         "GQA is an attention variant that shares key value heads",
         "You should bake bread at 200 degrees for 40 minutes"),
    63: ("LoRA freezes the pretrained weights and learns a low-rank update as the product of two small matrices "
         "A and B, so only a tiny fraction like 0.1% of parameters are trained",
         "LoRA is a fine-tuning method that trains fewer parameters",
         "GQA groups query heads so each group shares one key/value head"),
    11: ("Temperature scales the logits before softmax; low temperature like 0.1-0.5 is deterministic and good "
         "for code or facts, around 0.7-1.0 is balanced, and high values above 1.5 are random and can hallucinate",
         "temperature controls randomness of the output",
         "LoRA trains low-rank matrices"),
    51: ("RAG retrieves relevant documents from a knowledge base, adds them to the prompt as context, and the LLM "
         "generates an answer grounded in them, which reduces hallucinations without retraining",
         "RAG means retrieval augmented generation",
         "the capital of france is paris"),
}


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def coach(retriever, tmp_path):
    clock = Clock()
    c = Coach(retriever, ProgressStore(tmp_path / "p.sqlite3"), clock=clock)
    c.clock_ = clock
    return c


@pytest.mark.parametrize("question", sorted(ANSWERS))
def test_good_beats_partial_beats_wrong(coach, question):
    good, partial, wrong = (coach.grader.grade(question, a) for a in ANSWERS[question])
    assert good.score > partial.score > wrong.score, (good.score, partial.score, wrong.score)
    assert good.score >= 60 and wrong.score <= 10
    assert len(good.covered) > len(partial.covered) >= len(wrong.covered) == 0
    assert set(good.covered) | set(good.missed) == set(wrong.missed)  # the same key points, split


def test_cli_grade_json_shape_and_ordering(shipped_index):
    good = call_study(["grade", "--question", "38", "--answer", ANSWERS[38][0], "--json"], shipped_index)
    off = call_study(["grade", "--question", "38", "--answer", ANSWERS[38][2], "--json"], shipped_index)
    assert good.returncode == off.returncode == 0, good.stderr + off.stderr
    g, o = json.loads(good.stdout), json.loads(off.stdout)
    assert set(g) >= {"question", "score", "covered", "missed", "reference"} and g["question"] == 38
    assert g["score"] > o["score"] and "K/V" in g["reference"]
    empty = call_study(["grade", "--question", "38", "--answer", "  ", "--json"], shipped_index)
    assert empty.returncode == 2 and "error: the answer is empty" in empty.stderr and empty.stdout == ""
    unknown = call_study(["grade", "--question", "101", "--answer", "x"], shipped_index)
    assert unknown.returncode == 2 and "no question 101: pick a question number from 1 to 100" in unknown.stderr


def test_poor_grade_comes_back_before_good_and_survives_restart(retriever, tmp_path):
    clock = Clock()
    path = tmp_path / "ana.sqlite3"
    coach = Coach(retriever, ProgressStore(path), clock=clock)
    coach.grade(38, ANSWERS[38][2])  # wrong
    coach.grade(63, ANSWERS[63][0])  # good
    clock.now += 3600  # an hour later: the failed one is due, the good one is not
    assert coach.next(count=2) == [38, 1]
    coach.store.close()

    restarted = Coach(retriever, ProgressStore(path), clock=clock)  # a new process, same file
    cards = restarted.store.cards()
    assert cards[38].last_score < 10 and cards[63].last_score >= 60
    assert cards[38].due_at < cards[63].due_at
    m = restarted.mastery()
    assert m["totals"]["due"] == 1 and m["totals"]["learning"] == 1 and m["totals"]["unseen"] == 98
    clock.now += 2 * DAY  # both due now; the longer-overdue one first
    assert restarted.next(count=2) == [38, 63]


def test_mastered_after_repeated_good_reviews(coach):
    for _ in range(2):
        coach.grade(38, ANSWERS[38][0])
        coach.clock_.now += 7 * DAY
    coach.grade(38, ANSWERS[38][0])
    state = next(q for q in coach.mastery()["questions"] if q["question"] == 38)["state"]
    assert state == "mastered"


def test_bad_input_never_loses_progress(coach, tmp_path):
    coach.grade(63, ANSWERS[63][0])
    with pytest.raises(StudyError, match="no question 101"):
        coach.grade(101, "anything")
    with pytest.raises(StudyError, match="the answer is empty"):
        coach.grade(38, "")
    with pytest.raises(StudyError, match="no question 0"):
        coach.schedule(0)
    assert list(coach.store.cards()) == [63]  # untouched by the failures


def test_corrupted_progress_file_is_refused_and_kept(retriever, tmp_path):
    path = tmp_path / "bob.sqlite3"
    store = ProgressStore(path)
    Coach(retriever, store).grade(63, ANSWERS[63][0])
    store.close()
    original = path.read_bytes()
    path.write_bytes(b"this is not sqlite" + original[18:])
    damaged = path.read_bytes()
    with pytest.raises(StudyError, match=r"bob.sqlite3 is not readable .*: move it aside"):
        ProgressStore(path)
    assert path.read_bytes() == damaged  # left for the learner to recover, not rewritten


def test_a_failed_write_keeps_other_questions(coach):
    coach.grade(63, ANSWERS[63][0])
    coach.store._db.execute("CREATE TRIGGER boom BEFORE INSERT ON reviews BEGIN SELECT RAISE(ABORT, 'disk'); END")
    with pytest.raises(sqlite3.DatabaseError):
        coach.grade(38, ANSWERS[38][0])
    cards = coach.store.cards()
    assert list(cards) == [63] and cards[63].reviews == 1  # the half-written grade rolled back


def test_cli_progress_json(shipped_index, tmp_path):
    env = {"STUDY_PROGRESS_DIR": str(tmp_path / "progress"), "STUDY_PROFILE": "cli"}
    call_study(["grade", "--question", "11", "--answer", ANSWERS[11][0]], shipped_index, **env)
    result = call_study(["progress", "--json"], shipped_index, **env)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["profile"] == "cli" and sum(obj["totals"].values()) == 100
    assert next(q for q in obj["questions"] if q["question"] == 11)["reviews"] == 1
    assert (tmp_path / "progress" / "cli.sqlite3").exists()


def test_coach_words_feedback_but_never_changes_the_grade(shipped_index, tmp_path):
    """The LLM only phrases feedback: through tests/fake_ollama.py (Ollama cannot run here)."""
    from tests.fake_ollama import FakeOllama

    args = ["grade", "--question", "38", "--answer", ANSWERS[38][1], "--no-save"]
    plain = call_study(args, shipped_index)
    with FakeOllama("Good start: add that MQA shares one K/V head.") as server:
        coached = call_study([*args, "--coach"], shipped_index, STUDY_LLM_BACKEND="ollama",
                             STUDY_OLLAMA_HOST=server.host, STUDY_LLM_MODEL="coach")
        sent = server.requests[-1][1]["messages"][-1]["content"]
    assert coached.returncode == 0, coached.stderr
    assert "Coach: Good start: add that MQA shares one K/V head." in coached.stdout
    score_line = plain.stdout.strip().splitlines()[0]
    assert score_line in coached.stdout and "Score: " in sent and "Missed: " in sent
