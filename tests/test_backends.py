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


def test_embedded_backend_answers_with_verified_citations(settings, retriever):
    answer = open_assistant(settings, retriever=retriever).ask("explain GQA vs MQA")
    assert answer.complete and not answer.refused and answer.error is None
    assert 38 in answer.citations
    assert set(answer.citations) <= {h.chunk.number for h in answer.sources}
    assert answer.timings["first_token_ms"] > 0 and answer.timings["total_ms"] >= answer.timings["first_token_ms"]


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
    assert answer.mode == "generative, completed from the guide" and "".join(deltas) == answer.answer
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
    assert chat.assistant.retriever.search("how does it compare to MQA?", 3, history=[chat.turns[0].question])


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
    llm = OpenAILLM(llama_server)  # no model configured: takes the one the server lists
    chat = Chat(open_assistant(settings, llm=llm, retriever=retriever))
    items = list(chat.ask_stream("explain GQA vs MQA"))
    answer = items[-1]
    assert len(items) >= 2 and answer.complete, answer.error  # checked text, then the Answer
    assert 38 in answer.citations and set(answer.citations) <= {h.chunk.number for h in answer.sources}


def test_openai_backend_unreachable_and_unknown_model(settings, retriever, llama_server):
    down = OpenAILLM(f"http://127.0.0.1:{closed_port()}/v1", "m").complete
    with pytest.raises(Exception, match="no OpenAI-compatible server is reachable at .*: start it"):
        down([{"role": "user", "content": "hi"}])
    answer = open_assistant(settings, llm=OpenAILLM(llama_server, "no-such-model"), retriever=retriever).ask(
        "explain GQA vs MQA"
    )
    # llama.cpp's server serves its one model whatever name is asked for; a 404 would name the fix.
    assert answer.complete or "STUDY_LLM_MODEL" in answer.error


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
