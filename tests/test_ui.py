"""The Streamlit app driven by `streamlit.testing.v1.AppTest`, on the real index and the
real embedded model (Ollama's absence is real too: a closed loopback port)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.fake_ollama import closed_port

APP = str(ROOT / "ui" / "app.py")


@pytest.fixture
def app(shipped_index, monkeypatch):
    for key in [k for k in __import__("os").environ if k.startswith("STUDY_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("STUDY_INDEX_DIR", str(shipped_index))

    def start() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        assert not at.exception, at.exception
        return at

    return start


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
    assert ":orange-badge[Not in the guide]" in text and "The guide does not cover" in text
    assert "canberra" not in text.lower()


def test_ollama_down_is_a_message_not_a_traceback(app):
    at = app()
    at.selectbox(key="backend").set_value("ollama").run()
    port = closed_port()
    at.text_input(key="ollama_host").set_value(f"http://127.0.0.1:{port}").run()
    assert any("Ollama is not running" in e.value for e in at.sidebar.error)  # status line
    at = ask(at, "explain GQA vs MQA")
    errors = [e.value for e in at.error]
    assert any(f"Ollama is not running at http://127.0.0.1:{port}: start it with `ollama serve`" in e for e in errors)
    assert not at.exception
    assert [t.question for t in at.session_state["turns"]] == ["explain GQA vs MQA"]  # kept for a retry
    assert at.chat_input  # the chat is still there


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


def test_practice_this_question_from_a_chat_answer(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_PROGRESS_DIR", str(tmp_path / "progress"))
    at = ask(app(), "explain GQA vs MQA")
    at.button(key="turn0_practice_38").click().run()
    at.radio(key="view").set_value("Practice").run()
    assert at.session_state["practice_q"] == 38  # scheduled first
