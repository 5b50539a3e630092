"""Saved conversations: every turn kept in the learner's SQLite file, restored with its
follow-up context, exported as notes, rated, and turned into evaluation data. Real SQLite
files, real processes (one killed mid-write), the real index and retriever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from assistant.answering.answer import Answer, Chat
from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from assistant.history.chats import feedback_records, markdown, restore
from assistant.history.store import ChatStore
from assistant.runtime import open_assistant
from tests.conftest import call_study, run_study


@pytest.fixture(scope="module")
def settings(shipped_index):
    return Settings(index_dir=shipped_index)


def answered(question: str, text: str = "GQA groups heads [Q38].", citations=(38,)) -> Answer:
    return Answer(question, text, list(citations), [])


def test_turns_are_saved_as_they_complete_and_restored_as_follow_up_context(settings, retriever, tmp_path):
    store = ChatStore(tmp_path / "ana.chats.sqlite3")
    chat_id = store.new_chat_id()
    chat = Chat(open_assistant(settings, retriever=retriever),
                on_turn=lambda turn, history: store.add_turn(chat_id, turn.answer, history))
    chat.ask("explain GQA vs MQA")
    stream = chat.ask_stream("what is LoRA?")
    next(stream)
    stream.close()  # stopped part-way: saved as such
    saved = store.turns(chat_id)
    assert [(t.seq, t.question, t.stopped, t.complete) for t in saved] == [
        (0, "explain GQA vs MQA", False, True), (1, "what is LoRA?", True, False)]
    assert saved[0].citations == [38] and saved[0].sources[0]["id"] == "Q38" and saved[1].history == [
        "explain GQA vs MQA"]
    assert store.chats()[0].title == "explain GQA vs MQA" and store.chats()[0].turns == 2

    # A new process (a reload, a restart): the restored chat carries on as a conversation.
    again = Chat(open_assistant(settings, retriever=retriever))
    again.turns = restore(ChatStore(store.path).turns(chat_id)[:1], retriever.index)
    assert again.turns[0].answer.sources[0].chunk.text.startswith("Q38.")  # the index's own chunk
    assert again.ask("and which one uses less VRAM?").citations == [38]


def test_chats_are_listed_newest_first_renamed_and_deleted(tmp_path):
    clock = iter(range(100)).__next__
    store = ChatStore(tmp_path / "c.sqlite3", clock=lambda: float(clock()))
    first, second = store.new_chat_id(), store.new_chat_id()
    store.add_turn(first, answered("explain GQA vs MQA"), [])
    store.add_turn(second, answered("what is LoRA?"), [])
    assert [c.title for c in store.chats()] == ["what is LoRA?", "explain GQA vs MQA"]
    store.add_turn(first, answered("and MQA?"), ["explain GQA vs MQA"])
    assert [c.id for c in store.chats()] == [first, second]  # used last, listed first
    store.rename(first, "  Attention   variants ")
    assert store.chat(first).title == "Attention variants"
    store.delete(second)
    assert [c.id for c in store.chats()] == [first] and store.turns(second) == []
    with pytest.raises(StudyError, match="no chat"):
        store.delete(second)
    assert store.chat("../../etc/passwd") is None


def test_a_bad_answer_needs_a_reason_and_rated_turns_become_evaluation_records(tmp_path):
    store = ChatStore(tmp_path / "c.sqlite3")
    chat_id = store.new_chat_id()
    store.add_turn(chat_id, answered("explain GQA vs MQA"), [])
    store.add_turn(chat_id, answered("how long should a canary run?", "Canary [Q77].", (77,)), ["x"])
    with pytest.raises(StudyError, match="needs a reason"):
        store.rate(chat_id, 1, 0)
    with pytest.raises(StudyError, match="has no turn 7"):
        store.rate(chat_id, 7, 1)
    store.rate(chat_id, 0, 1)
    store.rate(chat_id, 1, 0, "not-in-guide", "it never says how long")
    good, bad = feedback_records(store.rated())
    assert (good["verdict"], good["reference_ids"], good["kind"]) == ("good", ["Q38"], "feedback")
    assert (bad["verdict"], bad["reason"], bad["note"], bad["answered_ids"], bad["reference_ids"], bad["history"]) == (
        "bad", "not-in-guide", "it never says how long", ["Q77"], [], ["x"])


def test_two_sessions_of_one_learner_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "c.sqlite3"
    ChatStore(path)
    stores = [ChatStore(path), ChatStore(path)]  # two connections, as two server processes have
    chat_id = stores[0].new_chat_id()

    def write(store, who):
        for i in range(40):
            store.add_turn(chat_id, answered(f"{who} question {i}"), [])

    threads = [threading.Thread(target=write, args=(s, w)) for s, w in zip(stores, "ab")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    turns = ChatStore(path).turns(chat_id)
    assert [t.seq for t in turns] == list(range(80))
    assert {t.question for t in turns} == {f"{w} question {i}" for w in "ab" for i in range(40)}


KILLED_WRITER = """
import sys, time
from assistant.answering.answer import Answer
from assistant.history.store import ChatStore
store = ChatStore(sys.argv[1])
for i in range(3):
    store.add_turn(sys.argv[2], Answer(f"question {i}", "GQA groups heads [Q38].", [38], []), [])
store._db.execute("BEGIN IMMEDIATE")
store._db.execute("INSERT INTO chats VALUES ('ffffffffffffffff', 'half written', 0, 0)")
print("writing", flush=True)
time.sleep(60)
"""


def test_a_process_killed_mid_write_leaves_every_completed_turn_readable(tmp_path):
    path, chat_id = tmp_path / "c.sqlite3", "0123456789abcdef"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path), chat_id], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = ChatStore(path)
    assert [t.question for t in store.turns(chat_id)] == ["question 0", "question 1", "question 2"]
    assert [c.id for c in store.chats()] == [chat_id]  # the half-written chat is not there
    assert store.add_turn(chat_id, answered("question 3"), []) == 3  # and the file takes writes


@pytest.mark.parametrize("content", [b"this is not a database at all" * 40, "foreign"])
def test_a_corrupted_or_foreign_file_is_refused_and_left_as_it_is(tmp_path, settings, content):
    progress = tmp_path / "progress"
    progress.mkdir()
    path = Settings(progress_dir=progress).chats_path
    if content == "foreign":
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (body TEXT)")
            db.execute("INSERT INTO notes VALUES ('mine')")
        db.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(StudyError, match="move it aside"):
        ChatStore(path)
    result = run_study(["chats", "list"], settings.index_dir, STUDY_PROGRESS_DIR=str(progress))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "move it aside" in result.stderr
    assert path.read_bytes() == before


def test_cli_lists_exports_and_rates_a_saved_chat(settings, retriever, tmp_path):
    progress = tmp_path / "progress"
    learner = settings.model_copy(update={"progress_dir": progress})
    store = ChatStore(learner.chats_path)
    chat_id = store.new_chat_id()
    chat = Chat(open_assistant(learner, retriever=retriever),
                on_turn=lambda turn, history: store.add_turn(chat_id, turn.answer, history))
    chat.ask("explain GQA vs MQA")
    chat.ask("and which one uses less VRAM?")
    env = {"STUDY_PROGRESS_DIR": str(progress)}

    listed = json.loads(call_study(["chats", "list", "--json"], settings.index_dir, **env).stdout)
    assert [(c["id"], c["title"], c["turns"]) for c in listed] == [(chat_id, "explain GQA vs MQA", 2)]
    notes = call_study(["chats", "export", chat_id, "--markdown"], settings.index_dir, **env).stdout
    assert notes.startswith("# explain GQA vs MQA\n") and "## and which one uses less VRAM?" in notes
    assert "(Q38: Explain group query attention (GQA).)[^Q38]" in notes and "[Q38]" not in notes
    assert "[^Q38]: **Q38. Explain group query attention (GQA).** (Transformer Architecture)" in notes
    assert notes == markdown(store.chat(chat_id), store.turns(chat_id), retriever.index)

    call_study(["feedback", "mark", chat_id, "1", "--bad", "missing", "--note", "how much less?"],
               settings.index_dir, **env)
    out = tmp_path / "feedback.jsonl"
    call_study(["feedback", "export", "--out", str(out)], settings.index_dir, **env)
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (record["query"], record["history"], record["reason"]) == (
        "and which one uses less VRAM?", ["explain GQA vs MQA"], "missing")
    # The regression check: this build still answers the thumbed-down turn the same way.
    summary = json.loads(call_study(["eval", "--dataset", str(out), "--json", "--out", str(tmp_path / "r")],
                                    settings.index_dir, **env).stdout)
    assert summary["feedback"] == {"bad": 1, "bad_still_answered_the_same": 1, "good": 0,
                                   "good_still_answered_the_same": 0}
    refused = run_study(["chats", "delete", chat_id], settings.index_dir, **env)
    assert refused.returncode == 2 and "--yes" in refused.stderr and store.chat(chat_id) is not None
    call_study(["chats", "delete", chat_id, "--yes"], settings.index_dir, **env)
    assert store.chats() == []
