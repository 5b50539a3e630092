"""`study export`: an Anki deck read back the way Anki reads it (a zip holding a SQLite
collection), a Markdown study sheet and a CSV table, with and without the learner's progress."""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
import time
import zipfile

from assistant.practice.export import MODEL_ID, tag
from assistant.practice.progress import ProgressStore
from ingest.parser import parse_guide
from ingest.reader import read_guide
from tests.conftest import GUIDE, call_study

ANSWER = "GQA shares one key/value head per group of query heads,\nbetween MHA and MQA."


def read_apkg(path):
    """Notes as Anki imports them: {number: (fields, tags, guid)}, plus the deck names and model ids."""
    with zipfile.ZipFile(path) as z:
        assert {"collection.anki2", "media"} <= set(z.namelist())
        db_path = path.with_suffix(".anki2")
        db_path.write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(db_path)
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    names = [f["name"] for f in next(iter(models.values()))["flds"]]
    notes = {}
    for flds, tags, guid, mid in db.execute("SELECT flds, tags, guid, mid FROM notes"):
        fields = dict(zip(names, flds.split("\x1f")))
        notes[int(fields["Number"])] = (fields, tags.split(), guid, mid)
    cards = db.execute("SELECT count(*) FROM cards").fetchone()[0]
    db.close()
    return notes, {d["name"] for d in decks.values()}, cards


def test_anki_markdown_and_csv_with_progress(tmp_path):
    no_index = tmp_path / "index"  # export reads the guide itself: no index, no model
    questions = {q.number: q for q in parse_guide(read_guide(GUIDE))}
    progress = tmp_path / "progress"
    store = ProgressStore(progress / "ana.sqlite3")
    store.record(38, 72, time.time(), ANSWER)  # as a graded answer is recorded
    store.close()
    env = {"STUDY_PROGRESS_DIR": str(progress), "STUDY_PROFILE": "ana"}
    deck, sheet, table = tmp_path / "deck.apkg", tmp_path / "study.md", tmp_path / "study.csv"
    result = call_study(["export", "--anki", str(deck), "--markdown", str(sheet), "--csv", str(table),
                         "--with-progress"], no_index, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wrote 100 questions") == 3

    notes, decks, cards = read_apkg(deck)
    assert len(notes) == 100 and cards == 100 and sorted(notes) == list(range(1, 101))
    assert decks >= {"100 Most Asked GenAI Developer Interview Questions (2025)"}
    for number, (fields, tags, _, mid) in notes.items():
        assert tags == [tag(questions[number].section)] and mid == MODEL_ID
        assert fields["Question"] == html.escape(questions[number].title)
        assert "<img" not in fields["Answer"] and "<script" not in fields["Answer"]  # nothing fetched or run
    q38 = notes[38][0]
    assert "K/V" in q38["Answer"] and "<li>" in q38["KeyPoints"] and q38["Section"] == "Transformer Architecture"
    assert q38["YourGrade"].startswith("72/100") and "key/value head per group" in q38["YourAnswer"]
    assert notes[1][0]["YourAnswer"] == ""
    assert "\\(P(Y|X)\\)" in notes[1][0]["Answer"]  # $math$ for Anki's MathJax

    again = tmp_path / "again.apkg"  # a later export updates the same notes in Anki
    assert call_study(["export", "--anki", str(again)], no_index, **env).returncode == 0
    later, _, _ = read_apkg(again)
    assert {n: v[2] for n, v in later.items()} == {n: v[2] for n, v in notes.items()}
    assert later[38][0]["YourAnswer"] == ""  # progress only when asked for

    text = sheet.read_text(encoding="utf-8")
    assert text.count("\n### Q") == 100 and "## Transformer Architecture" in text
    assert "**Your last grade**: 72/100" in text and "> between MHA and MQA." in text
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    assert len(rows) == 100 and rows[37]["question"] == "38" and rows[37]["last_grade"] == "72"
    assert rows[37]["last_answer"] == ANSWER and rows[0]["state"] == "unseen" and rows[37]["state"] == "learning"


def test_export_problems_are_one_line_errors(tmp_path):
    no_index = tmp_path / "index"
    def run(*args, **env):
        return call_study(["export", *args], no_index, STUDY_PROGRESS_DIR=str(tmp_path / "none"), **env)

    cases = [
        (run(), "error: nothing to export: pass --anki deck.apkg"),
        (run("--anki", str(tmp_path / "deck.zip")), "does not end in .apkg: name the file like study.apkg"),
        (run("--csv", str(tmp_path / "missing" / "x.csv")), "does not exist: create it first"),
        (run("--csv", str(tmp_path / "x.csv"), "--with-progress"), "has no progress yet"),
        (run("--csv", str(tmp_path / "x.csv"), "--section", "Cooking"), "no section named 'Cooking'"),
    ]
    for result, message in cases:
        assert result.returncode == 2 and message in result.stderr and result.stdout == "", result.stderr
    assert not list(tmp_path.glob("x.*")) and not (tmp_path / "none").exists()  # nothing half-written
    one = run("--csv", str(tmp_path / "rag.csv"), "--section", "retrieval augmented generation - rag")
    assert one.returncode == 0 and "wrote 10 questions" in one.stdout
