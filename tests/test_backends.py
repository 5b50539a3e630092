"""Each LLM backend, end to end through the assistant over the real index.

embedded: the real SmolLM2 GGUF in-process. openai: a real `python -m llama_cpp.server`
on loopback. ollama: `tests/fake_ollama.py`, because Ollama cannot be installed here.
"""

from __future__ import annotations

import pytest

from assistant.answering.answer import Chat
from assistant.core.settings import Settings
from assistant.llm.ollama_backend import OllamaLLM
from assistant.llm.openai_backend import OpenAILLM
from assistant.runtime import open_assistant
from tests.fake_ollama import FakeOllama, closed_port
from tests.hostile_server import HostileServer

REPLY = "Grouped-query attention shares each key and value head across a group of query heads [Q38]."


@pytest.fixture(scope="module")
def settings(shipped_index):
    return Settings(index_dir=shipped_index)


def recorded(llm):
    """`llm` with each `stream` call's messages and deltas recorded in `llm.calls`."""
    stream, llm.calls = llm.stream, []

    def recording(messages, **kw):
        call = {"messages": messages, "deltas": []}
        llm.calls.append(call)
        for delta in stream(messages, **kw):
            call["deltas"].append(delta)
            yield delta

    llm.stream = recording
    return llm


def test_embedded_backend_answers_with_verified_citations(settings, retriever):
    """The real Gemma 3 270M in-process, in hybrid mode (grounded, the embedded default, calls
    no model): the guide's lines, then the model's one sentence, shown because it passed."""
    from assistant.answering.prompt import HYBRID_SYSTEM
    from assistant.core.modes import AnswerMode, Backend
    from assistant.runtime import open_llm

    hybrid = settings.model_copy(update={"answer_mode": "hybrid"})
    llm = recorded(open_llm(hybrid))
    assert llm.backend is Backend.EMBEDDED and llm.name == "embedded:gemma3-270m"
    answer = open_assistant(hybrid, llm=llm, retriever=retriever).ask("explain GQA vs MQA")
    assert answer.complete and not answer.refused and answer.error is None and answer.mode is AnswerMode.HYBRID
    assert 38 in answer.citations
    assert set(answer.citations) <= {h.chunk.number for h in answer.sources}
    # The model was asked once, with the guide's lines for Q38, and what it wrote was used:
    # the shown summary is a sentence of its output (at temperature 0, the same each run).
    assert len(llm.calls) == 1 and llm.calls[0]["messages"][0]["content"] == HYBRID_SYSTEM
    assert '<source id="Q38"' in llm.calls[0]["messages"][-1]["content"]
    written = "".join(llm.calls[0]["deltas"])
    _, _, summary = answer.answer.partition("\n\n*In short:* ")
    assert summary, (answer.answer, answer.removed_sentences, written)
    assert summary.removesuffix(" [Q38]").rstrip(".") in written
    # The guide's lines were shown first; the model's sentence took the rest of the time.
    assert answer.timings["total_ms"] > answer.timings["first_token_ms"] >= answer.timings["retrieval_ms"]


@pytest.mark.parametrize("model, problem", [
    ("no-such-model", "embedded model 'no-such-model' is neither a known name nor a .gguf file"),
    ("/nowhere/model.gguf", "model file /nowhere/model.gguf does not exist"),
])
def test_an_unknown_embedded_model_is_named_with_the_fix(settings, shipped_index, model, problem):
    from assistant.core.errors import StudyError
    from assistant.llm.embedded import MODELS
    from assistant.runtime import open_llm
    from tests.conftest import call_study
    from tests.test_bad_input import assert_one_line_error

    with pytest.raises(StudyError) as err:
        open_llm(settings.model_copy(update={"llm_model": model}))
    assert problem in str(err.value) and "STUDY_LLM_MODEL" in err.value.fix
    if model == "no-such-model":  # the fix lists the models that are known
        assert all(name in err.value.fix for name in MODELS)
    # Through the CLI: one line, before any answer is attempted.
    result = call_study(["ask", "explain GQA vs MQA"], shipped_index, STUDY_LLM_MODEL=model)
    assert_one_line_error(result, problem, "STUDY_LLM_MODEL")
    assert result.stdout == ""


# -- ollama (fake server: see module docstring) ----------------------------------
def _ollama_chat(settings, retriever, host, model, timeout=10.0):
    llm = OllamaLLM(host, model, timeout=timeout)
    return Chat(open_assistant(settings, llm=llm, retriever=retriever))


def test_ollama_streams_and_cites(settings, retriever):
    with FakeOllama(REPLY) as server:
        chat = _ollama_chat(settings, retriever, server.host, "llama3.2:3b")
        items = list(chat.ask_stream("explain GQA vs MQA"))
    deltas, answer = items[:-1], items[-1]
    # Server models write (generative mode); each finished sentence is shown once checked,
    # and the guide's lines follow for the key points it leaves out (MHA's and MQA's).
    assert answer.completed_from_guide and "".join(deltas) == answer.answer
    assert answer.answer.startswith(REPLY.replace(" [Q38].", ". [Q38]") + "\n\n*From the guide:*")
    assert "**MQA (Multi-Query)**" in answer.answer
    assert answer.citations == [38] and answer.complete
    path, body = server.requests[-1]
    assert path == "/api/chat" and body["model"] == "llama3.2:3b" and body["stream"] is True
    assert "<source id=\"Q38\"" in body["messages"][-1]["content"]


@pytest.mark.parametrize(
    "model, host_kind, problem, fix",
    [
        ("llama3.2:3b", "refused", "Ollama is not running at http://127.0.0.1:", "start it with `ollama serve`"),
        ("missing", "fake", "does not have the model 'missing'", "run `ollama pull missing`"),
        ("broken", "fake", "Ollama at http://127.0.0.1:", "check `ollama serve`'s log"),
        ("slow", "fake", "did not answer within 0.5 s", "raise STUDY_LLM_TIMEOUT"),
    ],
)
def test_ollama_failures_name_the_fix_and_lose_nothing(settings, retriever, model, host_kind, problem, fix):
    with FakeOllama(REPLY) as server:
        host = server.host if host_kind == "fake" else f"http://127.0.0.1:{closed_port()}"
        chat = _ollama_chat(settings, retriever, host, model, timeout=0.5)
        answer = chat.ask("explain GQA vs MQA")
    assert not answer.complete
    assert problem in answer.error and fix in answer.error and "\n" not in answer.error
    assert [t.question for t in chat.turns] == ["explain GQA vs MQA"]  # the question is kept
    if model == "broken":  # the half that arrived is kept, marked incomplete
        assert answer.answer.startswith("Grouped-query attention shares")
    # The conversation goes on: the next turn still retrieves with the kept history.
    follow_up = chat.assistant.retriever.search("how does it compare to MQA?", 3, history=[chat.turns[0].question])
    assert follow_up[0].chunk.id == "Q38"


def test_ollama_failure_in_cli_is_one_line(shipped_index):
    from tests.conftest import call_study

    port = closed_port()
    result = call_study(["ask", "--backend", "ollama", "explain GQA vs MQA"], shipped_index,
                        STUDY_OLLAMA_HOST=f"http://127.0.0.1:{port}")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: Ollama is not running at http://127.0.0.1:{port}: start it with `ollama serve` "
                      "or set STUDY_OLLAMA_HOST"]


# -- openai-compatible: a real llama.cpp server on loopback ----------------------
def test_openai_backend_against_llama_cpp_server(settings, retriever, llama_server):
    from assistant.core.modes import AnswerMode

    llm = recorded(OpenAILLM(llama_server))  # no model configured: takes the one the server lists
    chat = Chat(open_assistant(settings, llm=llm, retriever=retriever))
    items = list(chat.ask_stream("explain GQA vs MQA"))
    answer = items[-1]
    assert len(items) >= 2 and answer.complete, answer.error  # checked text, then the Answer
    # Servers write (generative mode): the server's model was asked once and streamed text.
    assert answer.mode is AnswerMode.GENERATIVE and len(llm.calls) == 1 and "".join(llm.calls[0]["deltas"]).strip()
    assert 38 in answer.citations and set(answer.citations) <= {h.chunk.number for h in answer.sources}


def test_openai_backend_unreachable_and_unknown_model(settings, retriever, llama_server):
    down = OpenAILLM(f"http://127.0.0.1:{closed_port()}/v1", "m").complete
    with pytest.raises(Exception, match="no OpenAI-compatible server is reachable at .*: start it"):
        down([{"role": "user", "content": "hi"}])
    llm = recorded(OpenAILLM(llama_server, "no-such-model"))
    answer = open_assistant(settings, llm=llm, retriever=retriever).ask("explain GQA vs MQA")
    # llama.cpp's server serves its one model whatever name is asked for: the answer comes back
    # complete, from that model.
    assert answer.complete and answer.error is None and len(llm.calls) == 1 and llm.calls[0]["deltas"]


def test_server_error_text_is_sanitised_where_it_enters():
    """A hostile server's error message reaches the CLI and the UI without its markup."""
    from assistant.llm import BackendError

    with HostileServer() as server:
        for llm in (OllamaLLM(server.host, "m", timeout=5), OpenAILLM(server.host + "/v1", "m", timeout=5)):
            with pytest.raises(BackendError) as caught:
                llm.complete([{"role": "user", "content": "hi"}])
            text = str(caught.value)
            assert "model crashed beacon click me see" in text and "\n" not in text
            assert not [bad for bad in ("evil.example", "<img", "![", "](") if bad in text], text
