"""llama-index as the real seams: the store through ChromaVectorStore, the hybrid retriever
as a BaseRetriever, the assistant as a query engine and a chat engine. Real MiniLM, real
Chroma on disk and a real `chroma run`; the embedded backend answers grounded (no model call)."""

from __future__ import annotations

import asyncio
import shutil

import numpy as np
import pytest
from llama_index.core import Settings as LlamaSettings
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.schema import QueryBundle
from llama_index.core.vector_stores.types import VectorStoreQuery

from assistant.core.settings import Settings
from assistant.llamaindex_adapters import GuideChatEngine, GuideQueryEngine, GuideRetriever
from assistant.runtime import open_assistant, open_retriever
from assistant.store.chroma import GuideStore
from ingest.pipeline import ingest
from tests.test_chroma_server import chroma_server  # noqa: F401  (a real `chroma run`, this module's own)

QUERY = "explain GQA vs MQA"


def assert_q38_first(nodes):
    assert [n.node.node_id for n in nodes][:1] == ["Q38"], [n.node.node_id for n in nodes]
    top = nodes[0].node
    assert top.metadata == {"number": 38, "title": "Explain group query attention (GQA).", "section": "Transformer Architecture"}
    assert top.get_content().startswith("Q38. Explain group query attention (GQA).")
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True)


@pytest.fixture(scope="module")
def settings(shipped_index):
    return Settings(index_dir=shipped_index)


@pytest.fixture(scope="module")
def assistant(settings, retriever):
    return open_assistant(settings, retriever=retriever)


def assert_queryable_by_llama_index(store, chunks):
    """The store answers llama-index's own VectorStoreQuery over the rows the retriever loaded:
    a question's stored vector finds that question first."""
    q38 = next(c for c in chunks if c.id == "Q38")
    found = store.vector_store().query(VectorStoreQuery(query_embedding=list(q38.embedding), similarity_top_k=3))
    assert found.ids[0] == "Q38" and found.similarities[0] == pytest.approx(1.0, abs=1e-4)
    assert found.similarities[1] < 0.9 and found.nodes[0].metadata["title"] == q38.title


def test_retriever_loads_through_chroma_vector_store(settings):
    store = GuideStore(settings)
    hybrid = open_retriever(settings, store=store)
    chunks = hybrid.index.chunks
    assert len(chunks) == 100 and all(len(c.embedding) == 384 for c in chunks)
    assert_queryable_by_llama_index(store, chunks)


def test_base_retriever_on_disk_index(retriever):
    li = GuideRetriever(retriever, top_k=5)
    nodes = li.retrieve(QueryBundle(QUERY))  # BaseRetriever's entry point, as llama-index calls it
    assert len(nodes) == 5
    assert_q38_first(nodes)
    # The same ranking and scores as the project's own search: an adapter, not a re-ranker.
    hits = retriever.search(QUERY, 5)
    assert [(n.node.node_id, n.score) for n in nodes] == [(h.chunk.id, h.score) for h in hits]
    section = GuideRetriever(retriever, top_k=3, section="Transformer Architecture").retrieve(QUERY)
    assert {n.node.metadata["section"] for n in section} == {"Transformer Architecture"}


def test_base_retriever_against_chroma_server(chroma_server, shipped_index, tmp_path, monkeypatch):  # noqa: F811
    # The phrasings' vectors as `study ingest` cached them, so opening does not re-embed 500 lines.
    cache = tmp_path / "cache" / "study-assistant" / "vectors"
    cache.mkdir(parents=True)
    for npy in shipped_index.glob("phrasings-*.npy"):
        shutil.copy(npy, cache)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    server = Settings(chroma_url=chroma_server, collection="guide-llamaindex")
    report = ingest(server)
    assert report.added == 100
    store = GuideStore(server)
    assert_q38_first(GuideRetriever(open_retriever(server, store=store), top_k=5).retrieve(QUERY))
    assert_queryable_by_llama_index(store, store.chunks(with_embeddings=True))
    # The server's rows read back as the on-disk index's: same ids, text, hashes, vectors.
    on_disk = GuideStore(Settings(index_dir=shipped_index)).chunks(with_embeddings=True)
    served = store.chunks(with_embeddings=True)
    assert [(c.id, c.title, c.section, c.text, c.content_hash) for c in served] == [
        (c.id, c.title, c.section, c.text, c.content_hash) for c in on_disk
    ]
    assert np.allclose([c.embedding for c in served], [c.embedding for c in on_disk], atol=1e-6)


def test_the_retriever_answering_uses_is_itself_a_base_retriever(settings, assistant):
    """Not only an adapter: the object the assistant searches with is a llama-index
    BaseRetriever, and `retrieve` gives its own search as nodes."""
    hybrid = assistant.retriever
    nodes = hybrid.retrieve(QUERY)
    # BaseRetriever's async entry point, which llama-index engines use, gives the same nodes.
    assert [n.node.node_id for n in asyncio.run(hybrid.aretrieve(QUERY))] == [n.node.node_id for n in nodes]
    assert len(nodes) == settings.top_k
    assert_q38_first(nodes)
    assert [(n.node.node_id, n.score) for n in nodes] == [(h.chunk.id, h.score) for h in hybrid.search(QUERY, settings.top_k)]


def test_query_engine_answers_with_citations_and_source_nodes(assistant):
    engine = GuideQueryEngine(assistant=assistant)
    response = engine.query(QUERY)
    assert "[Q38]" in response.response
    assert "Q38" in [n.node.node_id for n in response.source_nodes]
    assert 38 in response.metadata["citations"] and response.metadata["refused"] is False
    assert response.response == assistant.ask(QUERY).answer  # the same answer `study ask` gives
    assert_q38_first(engine.retrieve(QueryBundle(QUERY)))  # the assistant's own retriever


def test_query_engine_async_and_refusal(assistant):
    engine = GuideQueryEngine(assistant=assistant)
    response = asyncio.run(engine.aquery("what is the capital of australia"))
    assert response.metadata["refused"] is True and response.metadata["citations"] == []
    assert response.response.startswith("The guide does not cover")


def test_query_engine_from_settings(settings):
    response = GuideQueryEngine.from_settings(settings).query(QUERY)
    assert "[Q38]" in response.response and response.source_nodes[0].node.node_id == "Q38"


def test_chat_engine_follow_up_and_stream(assistant):
    chat = GuideChatEngine(assistant)
    first = chat.chat(QUERY)
    assert "[Q38]" in first.response and "Q38" in [n.node.node_id for n in first.source_nodes]
    follow = chat.chat("and which one uses less VRAM?")
    assert "[Q38]" in follow.response  # the follow-up leans on the first turn
    assert [m.content for m in chat.chat_history][::2] == [QUERY, "and which one uses less VRAM?"]

    chat.reset()
    streamed = chat.stream_chat(QUERY)
    text = "".join(streamed.response_gen)
    assert text.strip() == first.response.strip()
    assert "Q38" in [n.node.node_id for n in streamed.source_nodes]  # filled in when the answer ended

    # A history handed in by the caller replaces the engine's own, as llama-index expects.
    again = chat.chat("and which one uses less VRAM?", chat_history=[ChatMessage(role="user", content=QUERY)])
    assert again.response == follow.response


def test_chat_engine_async_stream(assistant):
    async def run():
        streamed = await GuideChatEngine(assistant).astream_chat(QUERY)
        return "".join([d async for d in streamed.async_response_gen()]), streamed.source_nodes

    text, sources = asyncio.run(run())
    assert "[Q38]" in text and "Q38" in [n.node.node_id for n in sources]


def test_nothing_resolves_llama_index_defaults(assistant, retriever):
    """No piece asks llama-index for its global LLM or embedding model (the OpenAI
    defaults, which would fail offline): after retrieving, querying and chatting they
    are still unresolved."""
    GuideRetriever(retriever).retrieve(QUERY)
    GuideQueryEngine(assistant=assistant).query(QUERY)
    GuideChatEngine(assistant).chat(QUERY)
    assert LlamaSettings._llm is None and LlamaSettings._embed_model is None
