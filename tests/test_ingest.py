"""Ingestion is an upsert keyed by question id and content hash (real MiniLM, real Chroma on disk)."""

import json
import re

from assistant.core.settings import Settings
from assistant.runtime import embed_model_for
from assistant.store.chroma import GuideStore
from ingest.pipeline import ingest
from tests.conftest import GUIDE, call_study, run_study


class CountingEmbedder:
    """Wraps the real model and records every text it embeds."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []

    def get_text_embedding(self, text):
        self.texts.append(text)
        return self.inner.get_text_embedding(text)

    def get_text_embedding_batch(self, texts):
        self.texts.extend(texts)
        return self.inner.get_text_embedding_batch(texts)


def test_cli_ingest_json_counts_on_shipped_guide(tmp_path):
    index = tmp_path / "index"
    first = run_study(["ingest", "--json"], index)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"chunks": 100, "added": 100, "updated": 0, "unchanged": 0, "deleted": 0}
    again = run_study(["ingest", "--json"], index)
    assert json.loads(again.stdout) == {"chunks": 100, "added": 0, "updated": 0, "unchanged": 100, "deleted": 0}


def test_reingest_embeds_nothing_and_edits_touch_one_chunk(index_copy, tmp_path):
    settings = Settings(index_dir=index_copy)
    embedder = CountingEmbedder(embed_model_for(settings.embed_model))

    same = ingest(settings, GUIDE, embed_model=embedder)
    assert same.as_dict()["unchanged"] == 100 and embedder.texts == []

    text = GUIDE.read_text(encoding="utf-8")
    edited = tmp_path / "edited.md"
    marker = "Middle ground. Many Q heads, **Groups** of K/V heads."
    assert marker in text
    edited.write_text(text.replace(marker, marker + " Cuts KV-cache memory by the group factor."), encoding="utf-8")
    report = ingest(settings, edited, embed_model=embedder)
    assert report.as_dict() == {"chunks": 100, "added": 0, "updated": 1, "unchanged": 99, "deleted": 0}
    assert report.embedded_ids == ["Q38"]
    stored = {c.id: c for c in GuideStore(settings).chunks()}
    assert "group factor" in stored["Q38"].text

    # Remove Q63 (heading and answer) from the edited copy.
    removed = tmp_path / "removed.md"
    without = re.sub(r"### Q63\..*?(?=### Q64\.)", "", edited.read_text(encoding="utf-8"), flags=re.S)
    removed.write_text(without, encoding="utf-8")
    report = ingest(settings, removed, embed_model=embedder)
    assert report.as_dict() == {"chunks": 99, "added": 0, "updated": 0, "unchanged": 99, "deleted": 1}
    store = GuideStore(settings)
    assert store.count() == 99 and "Q63" not in {c.id for c in store.chunks()}


def test_cli_reports_update_and_delete(index_copy, tmp_path):
    text = GUIDE.read_text(encoding="utf-8")
    edited = tmp_path / "g.md"
    edited.write_text(text.replace("Used in Llama 2/3.", "Used in Llama 2/3 and Mistral."), encoding="utf-8")
    out = call_study(["ingest", "--json", "--guide", str(edited)], index_copy)
    assert json.loads(out.stdout)["updated"] == 1
    trimmed = tmp_path / "t.md"
    trimmed.write_text(re.sub(r"### Q100\..*?(?=\n## )", "", edited.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")
    out = call_study(["ingest", "--json", "--guide", str(trimmed)], index_copy)
    assert json.loads(out.stdout) == {"chunks": 99, "added": 0, "updated": 0, "unchanged": 99, "deleted": 1}


def test_stored_chunks_carry_metadata(shipped_index):
    chunks = {c.id: c for c in GuideStore(Settings(index_dir=shipped_index)).chunks()}
    assert len(chunks) == 100
    q38 = chunks["Q38"]
    assert (q38.number, q38.section) == (38, "Transformer Architecture")
    assert q38.title == "Explain group query attention (GQA)."
    assert q38.text.startswith("Q38. Explain group query attention (GQA).")


def test_rebuild_reembeds_everything_and_swaps_in_one_collection(index_copy):
    out = call_study(["ingest", "--json", "--rebuild"], index_copy)
    assert json.loads(out.stdout)["added"] == 100
    store = GuideStore(Settings(index_dir=index_copy))
    assert [c.name for c in store.client.list_collections()] == ["guide"] and store.count() == 100
    assert store.embed_info() == ("all-MiniLM-L6-v2", 384)


def test_a_rebuild_that_fails_mid_write_leaves_the_old_index_answering(index_copy, tmp_path, monkeypatch):
    """A failure injected after part of the new collection is written: the old index keeps
    all 100 questions and still answers; nothing half-written is left behind."""
    from chromadb.errors import ChromaError

    settings = Settings(index_dir=index_copy)
    text = GUIDE.read_text(encoding="utf-8")
    edited = tmp_path / "edited.md"
    edited.write_text(text.replace("Used in Llama 2/3.", "Used in Llama 2/3 and Mistral."), encoding="utf-8")
    real_upsert = GuideStore.upsert

    def half_then_fail(self, nodes):
        real_upsert(self, nodes[: len(nodes) // 2])
        raise ChromaError("disk full (injected)")

    monkeypatch.setattr(GuideStore, "upsert", half_then_fail)
    try:
        ingest(settings, edited, rebuild=True)
    except Exception as err:  # the pipeline names the failure and the fix
        assert "disk full (injected)" in str(err) and "study ingest" in str(err)
    else:
        raise AssertionError("the injected failure was swallowed")
    monkeypatch.setattr(GuideStore, "upsert", real_upsert)

    store = GuideStore(settings)
    assert [c.name for c in store.client.list_collections()] == ["guide"]
    chunks = {c.id: c for c in store.chunks()}
    assert len(chunks) == 100 and "Mistral" not in chunks["Q38"].text  # the old index, whole
    from assistant.runtime import open_retriever

    assert open_retriever(settings).search("explain GQA vs MQA", top_k=1)[0].chunk.id == "Q38"


def test_rows_read_back_through_a_stock_chroma_vector_store(shipped_index):
    """Ingest writes llama-index's own rows: a llama-index user's stock ChromaVectorStore
    over the collection gets the nodes by id and answers a dense query."""
    from llama_index.core.vector_stores.types import VectorStoreQuery
    from llama_index.vector_stores.chroma import ChromaVectorStore

    settings = Settings(index_dir=shipped_index)
    stock = ChromaVectorStore(chroma_collection=GuideStore(settings).collection())
    (q38,) = stock.get_nodes(["Q38"])
    assert (q38.node_id, q38.metadata["number"], q38.metadata["section"]) == ("Q38", 38, "Transformer Architecture")
    assert q38.get_content().startswith("Q38. Explain group query attention (GQA).")
    vector = embed_model_for(settings.embed_model).get_query_embedding("Explain group query attention (GQA).")
    result = stock.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=3))
    assert result.ids[0] == "Q38" and result.nodes[0].metadata["title"] == "Explain group query attention (GQA)."
