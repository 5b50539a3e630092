"""The Mastery summary in words, and the commands that read progress or chats without
loading any model: each runs in a new process, and what it imported is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from assistant.practice.mastery import mastery_summary, memory, next_review, section_history
from assistant.practice.progress import ProgressStore
from assistant.practice.schedule import DAY, Card, Schedule
from tests.conftest import ROOT, _study_env

HEAVY = ("llama_index", "torch", "sentence_transformers", "chromadb", "transformers")
CHUNKS = [SimpleNamespace(number=n, title=f"Question {n}", section="A" if n <= 2 else "B") for n in (1, 2, 3)]


def test_words_for_when_it_comes_back_and_how_long_it_stays():
    assert [next_review(d, 0) for d in (-5, 59, 61 * 60, 23.6 * 3600, 1.2 * DAY, 13.6 * DAY, 40 * DAY)] == [
        "due now", "due in 1 minute", "due in 1 hour", "due in 24 hours", "due in 1 day", "due in 14 days",
        "due in 6 weeks"]
    assert [memory(s) for s in (0.99, 1.0, 2.3, 46.0, 400.0)] == [
        "stable for under a day", "stable for ~1 day", "stable for ~2 days", "stable for ~7 weeks",
        "stable for ~13 months"]


def test_a_question_just_failed_reads_as_coming_back_soon_not_as_remembered():
    """FSRS predicts 100% recall right after any review; the summary says what matters instead."""
    s = Schedule()
    failed, good = s.review(Card(1), 0, 0.0), s.review(Card(2), 95, 0.0)
    m = mastery_summary(CHUNKS, {1: failed, 2: good}, s, now=60.0, reviews=[(1, 0, 0.0), (2, 95, 0.0)])
    rows = {q["question"]: q for q in m["questions"]}
    assert (rows[1]["state"], rows[1]["next_review"], rows[1]["memory"]) == (
        "learning", "due in 9 minutes", "stable for under a day")
    assert rows[1]["recall"] > 0.99  # FSRS's "recall now" after a 0: what the page no longer shows
    assert (rows[2]["next_review"], rows[2]["memory"]) == ("due in 8 days", "stable for ~8 days")  # Easy
    assert (rows[3]["state"], rows[3]["next_review"], rows[3]["memory"]) == ("unseen", "not started", "")
    assert m["totals"] == {"unseen": 1, "learning": 2, "due": 0, "mastered": 0}
    assert m["sections"] == {"A": {"unseen": 0, "learning": 2, "due": 0, "mastered": 0},
                             "B": {"unseen": 1, "learning": 0, "due": 0, "mastered": 0}}
    assert [(p["section"], p["score"], p["questions"]) for p in m["history"]] == [("A", 47.5, 2)]


def test_section_history_is_the_average_last_grade_at_the_end_of_each_day():
    from datetime import timezone

    log = [(3, 30, 2 * DAY), (1, 20, 0.0), (1, 70, 3600.0), (2, 50, DAY), (1, 90, 2 * DAY + 60)]
    points = section_history(log, {1: "A", 2: "A", 3: "B"}, timezone.utc)
    assert [(p["day"], p["section"], p["score"], p["questions"]) for p in points] == [
        ("1970-01-01", "A", 70.0, 1),  # the day's last grade of Q1, not its first
        ("1970-01-02", "A", 60.0, 2),
        ("1970-01-03", "A", 70.0, 2),
        ("1970-01-03", "B", 30.0, 1),
    ]


def _run(args: list[str], tmp_path, **env) -> tuple[subprocess.CompletedProcess, list[str]]:
    """`study ARGS` in a new process with no index at all; also what it imported of HEAVY."""
    script = (
        "import json, sys\nfrom assistant.cli import main\ncode = main(sys.argv[1:])\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\nsys.exit(code)\n"
    )
    run_env = _study_env(tmp_path / "no-index", {"STUDY_PROGRESS_DIR": tmp_path / "progress", **env})
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=run_env,
                            cwd=ROOT, timeout=120)
    return result, json.loads(result.stderr.strip().splitlines()[-1])


def test_progress_reads_the_guide_and_the_progress_file_only(tmp_path):
    result, heavy = _run(["progress", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert heavy == []
    assert json.loads(result.stdout)["totals"]["unseen"] == 100
    assert not (tmp_path / "progress").exists()  # reading progress creates no file

    store = ProgressStore(tmp_path / "progress" / "default.sqlite3")
    store.record(38, 20, 1000.0, "no idea")
    store.record(38, 90, 2000.0, "GQA groups query heads")
    store.close()
    result, heavy = _run(["progress", "--json"], tmp_path)
    obj = json.loads(result.stdout)
    assert heavy == [] and obj["totals"]["unseen"] == 99
    q38 = next(q for q in obj["questions"] if q["question"] == 38)
    assert q38["reviews"] == 2 and q38["section"] == "Transformer Architecture" and q38["next_review"] == "due now"
    assert [(p["section"], p["score"]) for p in obj["history"]] == [("Transformer Architecture", 90.0)]
    text, heavy = _run(["progress"], tmp_path)
    assert heavy == [] and "| Transformer Architecture | 9 | 0 | 1 | 0 |" in text.stdout


@pytest.mark.parametrize("args", [["chats", "list"], ["chats", "export", "CHAT", "--markdown"],
                                  ["chats", "show", "CHAT"], ["feedback", "export"]])
def test_chats_and_feedback_load_no_model_code(tmp_path, args):
    from assistant.answering.turn import Answer
    from assistant.history.store import ChatStore

    store = ChatStore(tmp_path / "progress" / "default.chats.sqlite3")
    chat_id = store.new_chat_id()
    store.add_turn(chat_id, Answer("explain GQA", "GQA groups query heads [Q38].", [38], []), [])
    store.rate(chat_id, 0, 1)
    store.close()
    result, heavy = _run([chat_id if a == "CHAT" else a for a in args], tmp_path)
    assert result.returncode == 0, result.stderr
    assert heavy == []
    if args[0] == "feedback":
        assert json.loads(result.stdout)["reference_ids"] == ["Q38"]
    elif args[1] == "list":
        assert chat_id in result.stdout and "explain GQA" in result.stdout
    else:  # titles come from the guide file, with no index there at all
        assert "(Q38: Explain group query attention (GQA).)[^Q38]" in result.stdout
