"""The Streamlit app driven by `streamlit.testing.v1.AppTest`, on the real index and the
real embedded model (Ollama's absence is real too: a closed loopback port)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, call_study
from tests.fake_ollama import closed_port
from tests.hostile_server import HostileServer

APP = str(ROOT / "ui" / "app.py")


@pytest.fixture
def app(shipped_index, monkeypatch):
    for key in [k for k in os.environ if k.startswith("STUDY_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("STUDY_INDEX_DIR", str(shipped_index))
    saved = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")  # as `study ui` binds by default

    def start() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        assert not at.exception, at.exception
        return at

    yield start
    config.set_option("server.address", saved)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def last_answer_text(at: AppTest) -> str:
    message = [m for m in at.chat_message if m.name == "assistant"][-1]
    return "\n".join(md.value for md in message.markdown)


def test_answer_cites_q38_with_its_source_card(app):
    at = ask(app(), "explain GQA vs MQA")
    assert ":blue-badge[Q38]" in last_answer_text(at)  # the citation is shown as a badge
    cards = [e for e in at.expander if e.label.startswith("Q38 · ")]
    assert cards and "Transformer Architecture" in cards[0].label
    assert any("GQA" in md.value for md in cards[0].markdown)  # the guide's own answer text


def test_follow_up_uses_the_history(app):
    at = ask(app(), "what is grouped query attention?")
    at = ask(at, "how does it compare to MQA?")
    turns = at.session_state["turns"]
    assert [t.question for t in turns] == ["what is grouped query attention?", "how does it compare to MQA?"]
    assert "Q38" in [h.chunk.id for h in turns[1].answer.sources[:3]]


def test_out_of_scope_question_is_refused_visibly(app):
    at = ask(app(), "what is the capital of australia")
    text = last_answer_text(at)
    assert ":red-badge[Not in the guide]" in text and "The guide does not cover" in text
    assert "canberra" not in text.lower()


def test_partly_covered_answers_are_marked_and_say_what_is_missing(app):
    at = ask(app(), "explain temperature")
    assert "Partly covered" not in last_answer_text(at)
    at = ask(at, "and how does top-p differ?")
    text = last_answer_text(at)
    assert ":orange-badge[Partly covered]" in text and "The guide does not cover top-p" in text
    assert ":blue-badge[Q11]" in text


def test_ollama_down_is_a_message_not_a_traceback(app, monkeypatch):
    port = closed_port()
    monkeypatch.setenv("STUDY_UI_MODELS", "embedded,ollama:llama3.2:3b")
    monkeypatch.setenv("STUDY_OLLAMA_HOST", f"http://127.0.0.1:{port}")
    at = app()
    at.radio(key="answer_mode").set_value("generative").run()  # the mode that calls a model
    assert at.selectbox(key="model_choice").options == ["Embedded · gemma3-270m", "Ollama · llama3.2:3b"]
    at.selectbox(key="model_choice").set_value(1).run()
    assert any("Ollama is not running" in e.value for e in at.sidebar.error)  # status line
    at = ask(at, "explain GQA vs MQA")
    errors = [e.value for e in at.main.error]
    # The operator's own address stays readable, as code (never a link).
    assert any(f"Ollama is not running at `http://127.0.0.1:{port}`: start it with `ollama serve`" in e for e in errors)
    assert not at.exception
    assert [t.question for t in at.session_state["turns"]] == ["explain GQA vs MQA"]  # kept for a retry
    assert at.chat_input  # the chat is still there


def test_sidebar_offers_only_configured_choices(app, tmp_path, monkeypatch):
    """Nothing a visitor types can change where a request goes or which file is opened."""
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path / "progress"))
    at = app()
    assert [w.key for w in at.sidebar.text_input] == ["learner"]  # no hosts, URLs or model paths
    at.radio(key="answer_mode").set_value("generative").run()
    assert at.selectbox(key="model_choice").options == ["Embedded · gemma3-270m", "Embedded · smollm2-135m"]
    for name in ["../../etc/passwd", "/tmp/evil", "http://evil.example", "a b"]:
        at.text_input(key="learner").input(name).run()
        refused = [e.value for e in at.sidebar.error]
        assert len(refused) == 1 and "is not usable: use letters, digits" in refused[0], refused
        assert at.session_state["profile"] == "default"  # the last good learner, untouched
    # Only the default learner's own files (progress, saved chats) were ever opened.
    opened = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {"progress/default.sqlite3", "progress/default.chats.sqlite3"} <= opened
    assert all(name.startswith("progress/default.") for name in opened), opened


def test_hostile_server_error_text_is_sanitised(app, monkeypatch):
    with HostileServer() as server:
        monkeypatch.setenv("STUDY_UI_MODELS", "ollama:llama3.2:3b")
        monkeypatch.setenv("STUDY_OLLAMA_HOST", server.host)
        at = ask(app(), "explain GQA vs MQA")
    shown = [e.value for e in at.error]
    assert any("model crashed" in e for e in shown)  # the message is there...
    for text in shown:  # ...without its image, link, HTML or URL
        assert "evil.example" not in text and "![" not in text and "<img" not in text and "](" not in text


def test_password_is_asked_once_per_session(app, monkeypatch):
    monkeypatch.setenv("STUDY_UI_PASSWORD", "correct horse battery staple")
    at = app()
    assert not at.chat_input and not at.sidebar.selectbox  # nothing but the login form
    at.text_input(key="login_password").input("correct horse battery")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong password: ask whoever runs this server for it."]
    assert not at.chat_input
    at.text_input(key="login_password").input("correct horse battery staple")
    at.button[0].click().run()
    assert at.session_state["authenticated"] and at.chat_input
    ask(at, "what is LoRA?")  # the session stays logged in
    assert len(at.session_state["turns"]) == 1
    assert not app().chat_input  # a new session asks again


def test_open_bind_without_a_password_is_refused(app, monkeypatch):
    config.set_option("server.address", "0.0.0.0")  # restored by the fixture
    at = app()
    assert not at.chat_input and not at.sidebar.selectbox
    assert "set STUDY_UI_PASSWORD" in at.error[0].value and "--insecure-no-auth" in at.error[0].value
    monkeypatch.setenv("STUDY_UI_PASSWORD", "correct horse battery staple")
    assert app().text_input(key="login_password")  # with a password: the login form
    monkeypatch.delenv("STUDY_UI_PASSWORD")
    monkeypatch.setenv("STUDY_UI_INSECURE_NO_AUTH", "1")  # what --insecure-no-auth sets
    assert app().chat_input


def test_cli_refuses_an_open_bind_without_a_secret(shipped_index, monkeypatch):
    def no_exec(*args):  # a bug must not replace the test process with a server
        raise AssertionError(f"study ui started a server: {args}")

    monkeypatch.setattr(os, "execv", no_exec)
    result = call_study(["ui", "--host", "0.0.0.0"], shipped_index)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: serving the UI on 0.0.0.0 would let anyone who can reach it in: set STUDY_UI_PASSWORD "
        "(12+ characters), or pass --insecure-no-auth behind a proxy that authenticates"
    ]


def test_two_learners_grades_land_in_two_files(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path))
    sessions = {"ana": app(), "ben": app()}
    for name, at in sessions.items():
        at.text_input(key="learner").input(name).run()
        assert f"New learner {name}" in at.sidebar.info[0].value
        at.radio(key="view").set_value("Practice").run()
        at.text_area(key="practice_answer").input(f"{name} does not know this one.").run()
        at.button(key="practice_grade_btn").click().run()
        assert not at.exception, at.exception
    for name in sessions:
        with sqlite3.connect(tmp_path / f"{name}.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1
    with sqlite3.connect(tmp_path / "default.sqlite3") as db:  # where both sessions started: untouched
        assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0


def test_bad_chat_input_gets_one_line_each_and_loses_nothing(app):
    at = app()
    long = "why " * 500 + "x"  # 2,001 characters
    ask(at, long)
    assert [e.value for e in at.error] == [
        "the question is 2,001 characters long (the limit is 2,000): ask the question itself, without pasted "
        "documents (your text is back in the box)"
    ]
    assert at.chat_input[0].proto.value == long and at.session_state["turns"] == []  # in the box, not asked
    ask(at, "what is\x1b[2J LoRA? <img src=x onerror=alert(1)> ![x](http://evil.example/a.png)")
    notes = [i.value for i in at.info]
    assert notes == ["Removed invisible control characters from your question.",
                     "Your question contains HTML, a link or an image: it is shown as plain text and only its "
                     "words are searched."]
    turn = at.session_state["turns"][-1]
    assert turn.question.startswith("what is LoRA? <img") and turn.answer.citations  # answered, as typed
    ask(at, turn.question)  # sent again at once: a double submit
    assert [i.value for i in at.info] == ["You sent the same question twice: it is answered once."]
    assert len(at.session_state["turns"]) == 1


def test_sessions_do_not_share_history(app):
    first, second = app(), app()
    ask(first, "what is LoRA?")
    second.run()
    assert len(first.session_state["turns"]) == 1
    assert second.session_state["turns"] == [] and not [m for m in second.chat_message]


def test_new_chat_clears_history_and_browse_lists_the_guide(app):
    at = ask(app(), "what is LoRA?")
    at.button(key="new_chat").click().run()
    assert at.session_state["turns"] == []
    at.radio(key="view").set_value("Browse the guide").run()
    first_section = at.selectbox(key="browse_section").value
    labels = [e.label for e in at.expander]
    assert labels and all(label.endswith(f"— {first_section}") for label in labels)
    assert labels[0].startswith("Q1 · ")


def test_practice_round_and_mastery(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path / "progress"))
    at = app()
    at.radio(key="view").set_value("Practice").run()
    first = at.session_state["practice_q"]
    assert first == 1  # nothing reviewed yet: unseen questions in guide order
    at.text_area(key="practice_answer").input("A question I know nothing about, honestly.").run()
    at.button(key="practice_grade_btn").click().run()
    assert not at.exception, at.exception
    grade = at.session_state["practice_grade"]
    assert grade.question == first and grade.score < 40
    assert any(m.label == "Score" and m.value == f"{grade.score}/100" for m in at.metric)
    assert at.warning  # missed key points are listed
    at.button(key="practice_next").click().run()
    assert at.session_state["practice_q"] == 2 and at.text_area(key="practice_answer").value == ""
    at.radio(key="view").set_value("Mastery").run()
    totals = {m.label: m.value for m in at.metric}
    # The failed question comes back in 10 minutes: "learning" until then.
    assert (totals["Learning"], totals["Due"], totals["Mastered"], totals["Unseen"]) == ("1", "0", "0", "99")
    table = at.dataframe[0].value
    assert list(table.columns) == ["Question", "State", "Next review", "Memory", "Last score"]
    assert table.iloc[0].tolist() == [
        f"Q1 · {grade.title}", "Learning", "due in 10 minutes", "stable for under a day", f"{grade.score}/100"]
    assert table.iloc[1].tolist()[1:] == ["Unseen", "not started", "", ""]  # words or empty, never None
    assert not table.isna().any().any() and len(table) == 100
    bars, history = [json.loads(e.proto.spec) for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]
    colour = bars["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"])) == {
        "Mastered": "#2e7d32", "Learning": "#1f77b4", "Due": "#ef6c00", "Unseen": "#9e9e9e"}
    assert bars["encoding"]["x"]["title"] == "Questions" and bars["encoding"]["y"]["axis"]["labelLimit"] == 0
    lines = history["layer"][0]
    assert lines["encoding"]["y"]["title"] == "Section score (0-100)" and lines["data"]["values"][0]["Score"] == float(
        grade.score)
    at.selectbox(key="mastery_section").set_value("Transformer Architecture").run()
    shown = at.dataframe[0].value["Question"]
    assert [int(q.split(" ")[0][1:]) for q in shown] == list(range(31, 41))


def test_model_is_offered_only_where_the_answer_mode_calls_one(app):
    at = app()
    assert at.radio(key="answer_mode").value == "grounded"  # auto, on the embedded backend
    assert "model_choice" not in [s.key for s in at.sidebar.selectbox]
    assert any("no model" in c.value for c in at.sidebar.caption)
    at.radio(key="answer_mode").set_value("generative").run()
    assert at.selectbox(key="model_choice").options == ["Embedded · gemma3-270m", "Embedded · smollm2-135m"]
    assert any("gemma3-270m · ready" in c.value for c in at.sidebar.caption)
    at.radio(key="answer_mode").set_value("hybrid").run()
    assert "model_choice" in [s.key for s in at.sidebar.selectbox]
    at.radio(key="answer_mode").set_value("grounded").run()
    assert "model_choice" not in [s.key for s in at.sidebar.selectbox]
    at = ask(at, "explain GQA vs MQA")
    assert at.session_state["turns"][-1].answer.mode == "grounded"


def test_practice_this_question_from_a_chat_answer(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path / "progress"))
    at = ask(app(), "explain GQA vs MQA")
    at.button(key="turn0_practice_38").click().run()
    at.radio(key="view").set_value("Practice").run()
    assert at.session_state["practice_q"] == 38  # scheduled first


def test_a_reload_reopens_the_learners_chat_from_the_url(app, tmp_path, monkeypatch):
    """A new session (a reload, a restart) with ?chat=ID&learner=NAME gets the chat back,
    and the next question follows it; another learner's session cannot open it."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path / "progress"))
    at = app()
    at.text_input(key="learner").input("ana").run()
    ask(at, "explain GQA vs MQA")
    ask(at, "and which one uses less VRAM?")
    chat_id = at.session_state["chat_id"]
    assert at.query_params["chat"] == chat_id and at.query_params["learner"] == "ana"

    again = AppTest.from_file(APP, default_timeout=180)
    again.query_params.update({"chat": chat_id, "learner": "ana"})
    again.run()
    assert [t.question for t in again.session_state["turns"]] == ["explain GQA vs MQA", "and which one uses less VRAM?"]
    ask(again, "and what does MHA use?")
    assert again.session_state["turns"][-1].answer.citations == [38]
    assert [b.label for b in again.sidebar.button if b.key == f"open_{chat_id}"] == ["explain GQA vs MQA"]

    stranger = AppTest.from_file(APP, default_timeout=180)
    stranger.query_params.update({"chat": chat_id})  # the default learner has no such chat
    stranger.run()
    assert stranger.session_state["turns"] == [] and stranger.session_state["chat_id"] is None


def test_a_foreign_chat_file_is_named_and_chat_still_answers(app, tmp_path, monkeypatch):
    progress = tmp_path / "progress"
    progress.mkdir()
    (progress / "default.chats.sqlite3").write_bytes(b"not a database" * 100)
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(progress))
    at = ask(app(), "explain GQA vs MQA")
    assert any("is not readable" in e.value and "move it aside" in e.value for e in at.sidebar.error)
    assert at.session_state["turns"][-1].answer.citations == [38]  # answered, just not saved
    assert (progress / "default.chats.sqlite3").read_bytes() == b"not a database" * 100
