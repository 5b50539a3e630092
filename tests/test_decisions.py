"""Each decision is made in one place, and the objects that carry it behave: the answer
mode, a turn however it ends, the citation format, the progress file of an evicted coach,
token counting beside a model load (real index, real MiniLM, the bundled GGUF's vocabulary)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from assistant.answering.answer import Assistant, Chat, check_question
from assistant.core.citations import CITATION, cite, parse_citations, strip_markers
from assistant.core.errors import StudyError
from assistant.core.modes import AnswerMode, Backend, answer_mode_for
from assistant.core.sanitize import sanitize_markdown
from assistant.core.settings import Settings
from assistant.llm.base import EchoLLM
from assistant.runtime import open_assistant


@pytest.fixture(scope="module")
def settings(shipped_index):
    return Settings(index_dir=shipped_index)


class ServerLike(EchoLLM):
    """A scripted model that says it runs on a server backend (no server needed: the mode is
    decided before any call)."""

    backend = Backend.OPENAI


class Failing(EchoLLM):
    """A model whose stream fails with an error the answering path does not absorb."""

    def stream(self, messages, **kw):
        yield "GQA groups query heads"
        raise StudyError("the prompt cannot be built", "shorten the question")


@pytest.mark.parametrize("mode", list(AnswerMode))
@pytest.mark.parametrize("backend", list(Backend))
def test_auto_is_decided_by_backend_and_every_other_mode_is_kept(mode, backend):
    decided = answer_mode_for(mode, backend)
    if mode is AnswerMode.AUTO:
        assert decided is (AnswerMode.GROUNDED if backend is Backend.EMBEDDED else AnswerMode.GENERATIVE)
    else:
        assert decided is mode


def test_the_assistant_and_the_settings_agree_on_auto(settings, retriever):
    """The UI caches assistants by `answer_mode_for(settings...)`; the assistant answers in
    `answer_mode_for(..., llm.backend)`: for the same backend they are the same mode."""
    from assistant.llm.embedded import EmbeddedLLM

    embedded = open_assistant(settings, llm=EmbeddedLLM("smollm2-135m"), retriever=retriever)
    server = open_assistant(settings.model_copy(update={"llm_backend": Backend.OPENAI}), llm=ServerLike("x"),
                            retriever=retriever)
    assert embedded.mode is answer_mode_for(settings.answer_mode, settings.llm_backend) is AnswerMode.GROUNDED
    assert server.mode is answer_mode_for(settings.answer_mode, Backend.OPENAI) is AnswerMode.GENERATIVE
    assert Settings(llm_backend="ollama").llm_backend is Backend.OLLAMA  # the environment's strings become members


@pytest.mark.parametrize("mode", ["auto", "creative"])
def test_a_mode_the_assistant_cannot_answer_in_is_refused_with_the_fix(retriever, mode):
    with pytest.raises(StudyError, match="answer_mode_for"):
        Assistant(retriever, EchoLLM(), scope=None, mode=mode)


def test_chat_keeps_a_stopped_turn_with_what_was_shown(settings, retriever):
    chat = Chat(open_assistant(settings, retriever=retriever))  # grounded: no model
    stream = chat.ask_stream("explain GQA vs MQA")
    first = next(stream)
    stream.close()  # the learner pressed Stop
    (turn,) = chat.turns
    assert turn.answer.stopped and not turn.answer.complete and turn.answer.answer == first and "GQA" in first
    assert turn.answer.as_dict()["stopped"] is True
    # The kept turn is history: "and which one uses less VRAM?" follows it.
    answer = chat.ask("and which one uses less VRAM?")
    assert answer.citations == [38] and len(chat.turns) == 2 and not answer.stopped


def test_chat_keeps_a_failed_turn_and_raises(settings, retriever):
    chat = Chat(open_assistant(settings.model_copy(update={"answer_mode": "generative"}), llm=Failing(),
                               retriever=retriever))
    with pytest.raises(StudyError, match="cannot be built"):
        chat.ask("explain GQA vs MQA")
    (turn,) = chat.turns
    assert turn.question == "explain GQA vs MQA" and "cannot be built" in turn.answer.error
    assert not turn.answer.complete and not turn.answer.stopped


def test_a_question_is_checked_once():
    checked = check_question("  what is GQA?\x1b[2J ")
    assert checked == "what is GQA?" and check_question(checked) is checked


def test_a_question_that_cannot_be_asked_is_not_a_turn(settings, retriever):
    chat = Chat(open_assistant(settings, retriever=retriever))
    with pytest.raises(StudyError, match="empty"):
        chat.ask("   ")
    assert chat.turns == []


def test_a_fallback_is_a_flag_not_a_mode_string(settings, retriever):
    """Nothing the scripted model says holds up, so the guide's lines are shown: the mode
    stays generative and `fell_back` says what happened."""
    assistant = open_assistant(settings.model_copy(update={"answer_mode": "generative"}),
                               llm=EchoLLM("The weather in Paris is lovely in spring."), retriever=retriever)
    answer = assistant.ask("explain GQA vs MQA")
    assert answer.mode is AnswerMode.GENERATIVE and answer.fell_back and not answer.completed_from_guide
    assert answer.citations == [38] and answer.as_dict()["mode"] == "generative" and answer.as_dict()["fell_back"]


def test_one_citation_format_written_read_and_kept_by_sanitising():
    marker = cite([38, 37])
    assert marker == "[Q38, Q37]" and CITATION.fullmatch(marker)
    assert parse_citations(f"GQA groups heads {marker}.") == [38, 37]
    assert strip_markers(f"GQA groups heads {cite(38)}.") == "GQA groups heads."
    # Sanitising escapes every other "[" (no link can form) but keeps our markers intact.
    assert sanitize_markdown(f"GQA {cite(38)} and [a note] here") == "GQA [Q38] and \\[a note] here"


def test_an_evicted_coach_closes_its_progress_file(settings, retriever, tmp_path):
    from ui.resources import coach_for

    learner = settings.model_copy(update={"progress_dir": tmp_path})
    coach = coach_for(str(learner.progress_path), learner, retriever)
    coach.store.cards()  # open and readable
    coach_for.clear()  # what eviction does: Streamlit releases the entry
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        coach.store.cards()


def test_token_counting_never_waits_for_a_model_load():
    """Another session holding the load lock (a model loading) does not block counting."""
    from assistant.llm.embedded import resolve_gguf
    from assistant.llm.llama_models import LlamaModels

    models = LlamaModels()
    counted: list[int] = []
    with models._load_lock:
        worker = threading.Thread(target=lambda: counted.append(
            models.count_tokens(resolve_gguf("smollm2-135m"), "explain GQA vs MQA")))
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "counting waited for the model load lock"
    assert counted and 3 <= counted[0] <= 12


class BrokenServer(EchoLLM):
    """A server that drops the connection part-way (the edge we cannot run here)."""

    def stream(self, messages, **kw):
        yield "GQA shares"
        from assistant.llm.base import BackendError

        raise BackendError("the server closed the connection", "check the server's log")


def test_a_hybrid_answer_whose_model_fails_is_marked_incomplete(settings, retriever):
    assistant = open_assistant(settings.model_copy(update={"answer_mode": "hybrid"}), llm=BrokenServer(),
                               retriever=retriever)
    answer = assistant.ask("explain GQA vs MQA")
    assert not answer.complete and "closed the connection" in answer.error
    assert answer.citations == [38] and "**GQA (Grouped Query)**" in answer.answer  # the guide's lines stay


def test_hub_downloads_are_off_even_when_the_environment_turns_them_on():
    code = "import os, assistant.store.embeddings; print(os.environ['HF_HUB_OFFLINE'])"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "HF_HUB_OFFLINE": "0"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


class StoppedInside(EchoLLM):
    """A Stop that arrives while the model writes: Streamlit raises its rerun (a
    BaseException) from a callback inside the stream, not by closing the generator."""

    def stream(self, messages, **kw):
        yield "GQA groups query heads. "
        raise KeyboardInterrupt


def test_chat_keeps_a_turn_stopped_from_inside_the_stream(settings, retriever):
    chat = Chat(open_assistant(settings.model_copy(update={"answer_mode": "generative"}), llm=StoppedInside(),
                               retriever=retriever))
    with pytest.raises(KeyboardInterrupt):
        chat.ask("explain GQA vs MQA")
    (turn,) = chat.turns
    assert turn.answer.stopped and not turn.answer.complete and turn.answer.error is None
