"""Study mode: grading against the guide, spaced repetition on a fixed clock, progress
that survives restarts and bad files. Real MiniLM, real index, real SQLite."""

from __future__ import annotations

import json
import sqlite3

import pytest

from assistant.core.errors import StudyError
from assistant.practice.coach import Coach
from assistant.practice.progress import ProgressStore
from assistant.practice.schedule import DAY, Card, Schedule
from tests.conftest import call_study
from tests.test_ui import app  # noqa: F401  (the AppTest fixture, loopback bind)

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


def test_cli_grade_json_shape_and_ordering(shipped_index, tmp_path):
    env = {"STUDY_PROGRESS_DIR": str(tmp_path)}
    good = call_study(["grade", "--question", "38", "--answer", ANSWERS[38][0], "--json"], shipped_index, **env)
    off = call_study(["grade", "--question", "38", "--answer", ANSWERS[38][2], "--json"], shipped_index, **env)
    assert good.returncode == off.returncode == 0, good.stderr + off.stderr
    g, o = json.loads(good.stdout), json.loads(off.stdout)
    assert set(g) >= {"question", "score", "covered", "missed", "reference"} and g["question"] == 38
    assert g["score"] > o["score"] and "K/V" in g["reference"]
    assert g["review"]["rating"] == "Good" and g["review"]["state"] == "learning"  # saved: FSRS scheduled it
    assert g["follow_up"]["question"] != 38 and g["follow_up"]["title"]
    empty = call_study(["grade", "--question", "38", "--answer", "  ", "--json"], shipped_index)
    assert empty.returncode == 2 and "error: the answer is empty" in empty.stderr
    assert json.loads(empty.stdout)["error"] == "the answer is empty"  # a --json caller reads it on stdout too
    unknown = call_study(["grade", "--question", "101", "--answer", "x"], shipped_index)
    assert unknown.returncode == 2 and "no question 101: pick a question number from 1 to 100" in unknown.stderr


def test_poor_grade_comes_back_first_then_its_weak_section_and_survives_restart(retriever, tmp_path):
    clock = Clock()
    path = tmp_path / "ana.sqlite3"
    coach = Coach(retriever, ProgressStore(path), clock=clock)
    coach.grade(38, ANSWERS[38][2])  # wrong: Again, back in 10 minutes
    coach.grade(63, ANSWERS[63][0])  # good: Good, back in 2 days
    # An hour later: the failed one is due; then the unseen questions of the weakest section
    # (Transformer Architecture, Q31-40, graded 0), then of the next weakest (Q61-70, graded 65).
    clock.now += 3600
    assert coach.next(count=11) == [38, *[n for n in range(31, 41) if n != 38], 61]
    coach.store.close()

    restarted = Coach(retriever, ProgressStore(path), clock=clock)  # a new process, same file
    cards = restarted.store.cards()
    assert cards[38].last_score < 10 and cards[63].last_score >= 60
    assert cards[38].due_at < cards[63].due_at and cards[38].stability < cards[63].stability
    m = restarted.mastery()
    assert m["totals"]["due"] == 1 and m["totals"]["learning"] == 1 and m["totals"]["unseen"] == 98
    clock.now += 3 * DAY  # both due now; the one less likely to be recalled first
    assert restarted.next(count=2) == [38, 63]
    rows = {q["question"]: q for q in restarted.mastery()["questions"]}
    assert rows[38]["recall"] < rows[63]["recall"] < 0.9 and rows[1]["recall"] == 0.0


def test_due_when_recall_falls_to_retention_and_mastered_from_stability(coach):
    """Answered well each time it falls due: stability grows (about 2, 11, 46 days) and the
    question is mastered only once it passes 21 days. At each due date recall is predicted at 90%."""
    states, intervals = [], []
    for _ in range(3):
        _, card = coach.grade(38, ANSWERS[38][0])
        states.append(next(q for q in coach.mastery()["questions"] if q["question"] == 38)["state"])
        intervals.append(round((card.due_at - coach.clock_.now) / DAY))
        assert abs(coach.scheduler.recall(card, card.due_at) - 0.9) < 0.03
        coach.clock_.now = card.due_at
    assert states == ["learning", "learning", "mastered"] and intervals[0] < intervals[1] < intervals[2]
    assert next(q for q in coach.mastery()["questions"] if q["question"] == 38)["state"] == "due"


def test_desired_retention_sets_the_intervals(shipped_index, tmp_path):
    gaps = {}
    for retention in (0.8, 0.9, 0.95):
        store = ProgressStore(tmp_path / f"r{retention}.sqlite3", Schedule(retention))
        first = store.record(38, 70, 0.0)
        gaps[retention] = store.record(38, 70, first.due_at).due_at - first.due_at
    assert gaps[0.8] > gaps[0.9] > gaps[0.95]  # wanting to remember more means reviewing sooner
    bad = call_study(["progress"], shipped_index, STUDY_DESIRED_RETENTION="1.5")
    assert bad.returncode == 2 and "error: STUDY_DESIRED_RETENTION is invalid" in bad.stderr


def _old_sm2_file(path, now):
    """A progress file as the SM-2 code wrote it (schema copied from its progress.py)."""
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE IF NOT EXISTS cards (
            question INTEGER PRIMARY KEY, ease REAL NOT NULL, interval_days REAL NOT NULL, reps INTEGER NOT NULL,
            due_at REAL, last_score INTEGER, last_at REAL, reviews INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS reviews (question INTEGER NOT NULL, score INTEGER NOT NULL, at REAL NOT NULL);
    """)
    log = [(38, 20, now), (38, 70, now + 600), (38, 90, now + DAY + 600), (63, 65, now)]
    db.executemany("INSERT INTO reviews VALUES (?, ?, ?)", log)
    db.executemany("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (38, 2.36, 6.0, 2, now + 7 * DAY + 600, 90, now + DAY + 600, 3),
        (63, 2.36, 1.0, 1, now + DAY, 65, now, 1),
        (11, 2.5, 0.0, 0, now, None, None, 0),  # queued from the chat, never answered
    ])
    db.commit()
    db.close()
    return log


def test_sm2_progress_file_migrates_on_first_open(retriever, tmp_path):
    now = 1_000_000.0
    path = tmp_path / "old.sqlite3"
    log = _old_sm2_file(path, now)
    store = ProgressStore(path)
    assert store.migrated_from_sm2 and (tmp_path / "old.sqlite3.sm2-backup").exists()
    cards = store.cards()
    assert {n: c.reviews for n, c in cards.items()} == {38: 3, 63: 1, 11: 0}
    replayed = Card(38)
    for _, score, at in log[:3]:
        replayed = Schedule().review(replayed, score, at)
    assert cards[38] == replayed  # the whole log replayed through FSRS (due sooner than SM-2's 6 days)
    assert cards[63].last_score == 65 and cards[63].state == 2  # in review
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute("SELECT question, score, at FROM reviews ORDER BY rowid").fetchall() == log  # nothing lost
    db.close()
    coach = Coach(retriever, store, clock=Clock(now + DAY + 700))
    assert coach.next() == [11]  # the question queued from the chat is still first
    coach.grade(11, ANSWERS[11][0])
    store.close()
    again = ProgressStore(path)  # already migrated: opened as it is
    assert not again.migrated_from_sm2 and again.cards()[11].reviews == 1
    assert again.last_answers()[11][0] == ANSWERS[11][0]


def test_follow_up_is_a_related_question(coach):
    grade, _ = coach.grade(38, ANSWERS[38][1])  # partial: misses the MHA point
    follow = coach.follow_up(38, grade.missed)
    assert follow.number != 38 and follow.section == "Transformer Architecture"
    assert "attention" in follow.title.lower()


def test_explain_it_back_flags_what_the_guide_does_not_say(coach, shipped_index):
    text = ("GQA splits the query heads into groups. Each group shares a single key and value head, a middle "
            "ground between MHA and MQA. It makes training twice as fast because it removes the softmax.")
    number = coach.pick("grouped query attention")
    explanation, card = coach.explain(number, text)
    assert number == 38 and explanation.grade.score >= 40
    assert explanation.unbacked == ["It makes training twice as fast because it removes the softmax."]
    assert card.reviews == 1 and coach.store.last_answers()[38][0] == text
    with pytest.raises(StudyError, match="no question 0"):
        coach.pick("Q0")
    result = call_study(["explain", "GQA", "--text", text, "--json", "--no-save"], shipped_index)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["question"] == 38 and obj["mode"] == "explain" and obj["not_in_guide"] == explanation.unbacked
    assert obj["follow_up"]["question"] != 38 and obj["review"] is None


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


def test_practice_page_teaches_and_explains_back(app, tmp_path, monkeypatch):
    """The Practice page after a grade (next review, follow-up that can be answered next), the
    explain-it-back mode, and the Mastery page's FSRS definitions: Streamlit's AppTest, real models."""
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path))
    at = app()
    at.radio(key="view").set_value("Practice").run()
    at.text_area(key="practice_answer").input("Generative AI creates new content by learning the joint "
                                              "distribution; discriminative AI classifies existing data").run()
    at.button(key="practice_grade_btn").click().run()
    assert not at.exception, at.exception
    follow = at.session_state["practice_follow_q"]
    assert follow not in (None, 1) and any(f"Q{follow} ·" in box.value for box in at.info)
    assert any(c.value.startswith("Rated ") and "next review" in c.value for c in at.caption)
    at.button(key="practice_follow_btn").click().run()
    assert at.session_state["practice_q"] == follow and at.session_state["practice_grade"] is None

    at.radio(key="practice_mode").set_value("Explain it back").run()
    at.selectbox(key="explain_q").set_value(38).run()
    at.text_area(key="explain_text").input("GQA shares one key/value head per group of query heads. "
                                           "It removes the softmax.").run()
    at.button(key="explain_grade_btn").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error if "removes the softmax" in e.value]
    at.radio(key="view").set_value("Mastery").run()
    assert {m.label: m.value for m in at.metric}["Learning"] == "2"  # Q1 answered, Q38 explained
    assert any("Scheduled by FSRS to keep 90% recall" in c.value for c in at.caption)
