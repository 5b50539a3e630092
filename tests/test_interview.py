"""The mock interview and practice's scope: a timed round on a fixed clock, follow-ups that
are related and new, a summary that is saved and exported; the CLI with a real clock, and
`explain` refusing what the chat refuses. Real MiniLM, real index, real SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time

import pytest

from assistant.core.errors import StudyError
from assistant.practice.grading import key_points
from assistant.practice.interview import Interview, summary_markdown
from tests.conftest import STUDY, _study_env, call_study, run_study
from tests.test_practice import coach  # noqa: F401  (Coach on a fixed clock)
from tests.test_ui import app  # noqa: F401  (the AppTest fixture, loopback bind)

REVERSED = "low temperature is more random and creative, high temperature is deterministic"
GOOD_38 = ("GQA groups query heads so each group shares one key/value head; MQA uses a single K/V head for all "
           "query heads, which saves memory but loses quality")


def _round(coach, *due: int, count: int = 2, minutes: float = 1.0) -> Interview:
    for number in due:  # due questions come first in a round
        coach.schedule(number)
    coach.clock_.now += 60
    return Interview.start(coach, count=count, minutes=minutes)


def test_a_round_asks_due_questions_each_with_a_related_new_follow_up(coach):
    interview = _round(coach, 11, 38)
    assert interview.questions == [11, 38]
    first = interview.ask()
    assert (first.question, first.follow_up_of) == (11, None)
    coach.clock_.now += 30
    assert interview.remaining() == pytest.approx(30)
    interview.answer(REVERSED)
    follow = interview.ask()
    assert follow.follow_up_of == 11 and follow.question not in (11, 38)
    # related by content: the follow-up is among the guide's nearest questions to Q11
    near = [h.chunk.number for h in coach.retriever.search(coach.grader.chunk(11).title, top_k=8)]
    assert follow.question in near
    coach.clock_.now += 90  # past the minute on the clock
    interview.answer("It is about sampling.")
    assert interview.ask().question == 38
    interview.answer(GOOD_38)
    interview.answer("")  # the follow-up to Q38 left unanswered
    assert interview.current is None and interview.ended
    summary = interview.summary()
    rows = summary["questions"]
    assert [r["follow_up_of"] for r in rows] == [None, 11, None, 38]
    assert rows[0]["contradictions"] and rows[0]["score"] < 40
    assert rows[1]["over_time"] and not rows[0]["over_time"]
    assert rows[2]["score"] >= 60 and not rows[2]["contradictions"]
    assert not rows[3]["answered"] and rows[3]["score"] == 0 and not rows[3]["over_time"]
    assert rows[3]["missed"] == key_points(coach.grader.chunk(rows[3]["question"]).text) != []  # all of them
    assert summary["contradictions"] == len(rows[0]["contradictions"]) and summary["over_time"] == 1
    # graded like any practice, into progress; the summary itself saved once
    modes = {m for (m,) in coach.store._db.execute("SELECT mode FROM reviews")}
    assert modes == {"interview"} and len(coach.store.cards()) == 4
    assert coach.store.interviews() == [summary]


def test_the_summary_page_names_the_contradiction_and_what_is_due(coach):
    interview = _round(coach, 11, count=1)
    interview.answer(REVERSED)
    interview.answer("")
    page = summary_markdown(interview.finish())
    assert "you said \"low temperature is more random and creative" in page.lower()
    assert "the guide: \"" in page and "## When these come back" in page and "due in 10 minutes" in page
    assert "| 1 | Q11. " in page and "no answer" in page


def test_ending_early_keeps_what_was_answered_only(coach):
    interview = _round(coach, 38, count=3)
    interview.answer(GOOD_38)
    interview.ask()  # the follow-up is on screen when the learner ends the round
    summary = interview.finish()
    assert [r["question"] for r in summary["questions"]] == [38]
    with pytest.raises(StudyError, match="over"):
        interview.answer("too late")
    assert len(coach.store.interviews()) == 1
    _round(coach, 11, count=1).finish()  # ended before any answer: nothing to keep
    assert len(coach.store.interviews()) == 1


def test_a_round_needs_sensible_sizes(coach):
    with pytest.raises(StudyError, match="1 to 20"):
        Interview.start(coach, count=0)
    with pytest.raises(StudyError, match="at most 30"):
        Interview.start(coach, count=2, minutes=0)


def test_a_follow_up_is_never_the_question_just_practised(coach):
    coach.grade(1, "Generative AI creates new content; discriminative AI classifies existing data.")
    coach.clock_.now += 120
    grade, _ = coach.grade(3, "training data, a model architecture, and you run inference")
    assert coach.follow_up(3, grade.missed).number not in (1, 3)


def test_cli_interview_runs_a_round_and_writes_the_summary(shipped_index, tmp_path):
    env = {"STUDY_PROGRESS_DIR": str(tmp_path / "progress"), "STUDY_PROFILE": "ivy"}
    out = tmp_path / "round.md"
    result = run_study(["interview", "--questions", "1", "--minutes", "2", "--json", "--markdown", str(out)],
                       shipped_index, stdin="Generative AI creates new content; discriminative AI classifies.\n"
                                            "training data and a model architecture\n", **env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert [(r["question"], r["follow_up_of"]) for r in summary["questions"]][0] == (1, None)
    assert summary["questions"][1]["follow_up_of"] == 1 and summary["questions"][1]["answered"]
    assert "2:00 on the clock" in result.stderr and "[follow-up to Q1]" in result.stderr
    assert out.read_text().startswith("# Mock interview, ")
    with sqlite3.connect(tmp_path / "progress" / "ivy.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM interviews").fetchone() == (1,)


def test_cli_interview_closes_a_question_when_its_clock_runs_out(shipped_index, tmp_path):
    """A real clock: nobody types, stdin stays open, and each question closes on time."""
    env = _study_env(shipped_index, {"STUDY_PROGRESS_DIR": str(tmp_path / "progress")})
    proc = subprocess.Popen([str(STUDY), "interview", "--questions", "1", "--minutes", "0.02", "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        proc.wait(timeout=120)  # stdin stays open: `communicate` would close it (an end of input)
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        proc.kill()
        proc.stdin.close()
    summary = json.loads(out)
    assert [r["answered"] for r in summary["questions"]] == [False, False], err
    assert err.count("Time is up: no answer.") == 2


def test_cli_interview_takes_a_line_finished_just_after_time_as_that_questions_answer(shipped_index, tmp_path):
    """The clock runs out mid-sentence: the line ends a moment later, in the grace, and is
    graded for the question it was written for, marked over time (never the next one's)."""
    env = _study_env(shipped_index, {"STUDY_PROGRESS_DIR": str(tmp_path / "progress")})
    proc = subprocess.Popen([str(STUDY), "interview", "--questions", "1", "--minutes", "0.2", "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        err = ""
        while "Time is up: press Enter" not in err and time.monotonic() < deadline:
            err += proc.stderr.readline()  # the 12 s clock runs out with nothing typed
        proc.stdin.write("Generative AI creates new content; discriminative AI classifies it.\n")
        proc.stdin.close()  # and the round ends there
        out = proc.stdout.read()
        proc.wait(timeout=60)
    finally:
        proc.kill()
    first = json.loads(out)["questions"][0]
    assert (first["question"], first["answered"], first["over_time"]) == (1, True, True)
    assert first["answer"].startswith("Generative AI creates new content")


def test_explain_refuses_a_topic_the_guide_does_not_cover_and_saves_nothing(shipped_index, tmp_path):
    env = {"STUDY_PROGRESS_DIR": str(tmp_path / "progress")}
    for topic in ("top-p", "kubernetes autoscaling"):
        result = call_study(["explain", topic, "--text", "It picks from the smallest set of likely tokens."],
                            shipped_index, **env)
        assert result.returncode == 2 and f"the guide does not cover '{topic}'" in result.stderr
        assert "nearest: Q" in result.stderr
    progress = tmp_path / "progress" / "default.sqlite3"
    assert not progress.exists() or sqlite3.connect(progress).execute("SELECT count(*) FROM reviews").fetchone() == (0,)
    ok = call_study(["explain", "GQA", "vs", "MQA", "--text", GOOD_38, "--json", "--no-save"], shipped_index, **env)
    assert json.loads(ok.stdout)["question"] == 38


def test_grade_takes_the_question_as_written_in_answers(shipped_index, tmp_path, capsys):
    from assistant.cli import build_parser

    env = {"STUDY_PROGRESS_DIR": str(tmp_path / "progress")}
    result = call_study(["grade", "--question", "Q38", "--answer", GOOD_38, "--json", "--no-save"], shipped_index, **env)
    assert result.returncode == 0 and json.loads(result.stdout)["question"] == 38
    with pytest.raises(SystemExit):
        build_parser().parse_args(["grade", "--question", "GQA", "--answer", GOOD_38])
    assert "not a question number: write 38 or Q38" in capsys.readouterr().err


def test_interview_page_runs_a_round_to_its_summary(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path / "progress"))
    at = app()
    at.radio(key="view").set_value("Practice").run()
    at.radio(key="practice_mode").set_value("Mock interview").run()
    at.number_input(key="interview_count").set_value(1).run()
    at.button(key="interview_start").click().run()
    assert not at.exception, at.exception
    assert any("Question 1 of 1" in c.value for c in at.caption)
    assert any(p.proto.text.endswith("left") for p in at.get("progress"))  # the countdown
    at.text_area(key="interview_answer_1").input(REVERSED).run()
    at.button[[b.label for b in at.button].index("Submit answer")].click().run()
    assert any("follow-up to Q" in c.value for c in at.caption)
    at.button(key="interview_end").click().run()
    assert not at.exception, at.exception
    assert {m.label for m in at.metric} >= {"Score", "Contradictions", "Over time"}
    with sqlite3.connect(tmp_path / "progress" / "default.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM interviews").fetchone() == (1,)


def test_quiz_ends_with_a_summary_of_the_round(shipped_index, tmp_path):
    env = {"STUDY_PROGRESS_DIR": str(tmp_path / "progress")}
    result = call_study(["quiz", "--count", "2"], shipped_index, stdin=f"{REVERSED}\n\n", **env)
    assert result.returncode == 0, result.stderr
    assert "Round: 1 of 2 question(s) graded" in result.stdout
    assert "- Q1 What is Generative AI" in result.stdout.split("Round:")[1]
