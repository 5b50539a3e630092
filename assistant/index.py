"""Open the searchable index: stored chunks + embedding model -> HybridRetriever."""

from __future__ import annotations

from functools import lru_cache

from assistant.embeddings import load_embed_model, resolve_model_path
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store import GuideStore


@lru_cache(maxsize=4)
def known_words(model_name: str) -> frozenset[str]:
    """Whole English words from the embedding model's word-piece vocabulary."""
    vocab = resolve_model_path(model_name) / "vocab.txt"
    if not vocab.exists():
        return frozenset()
    words = vocab.read_text(encoding="utf-8").split()
    return frozenset(w for w in words if w.isalpha() and not w.startswith("#"))


def open_retriever(settings: Settings, store: GuideStore | None = None) -> HybridRetriever:
    """Load everything search needs, once; raises StudyError if the index is unusable."""
    store = store or GuideStore(settings)
    embed_model = load_embed_model(settings.embed_model)
    probe = embed_model.get_query_embedding("dimension probe")
    store.check_embed_model(settings.embed_model, len(probe))
    chunks = store.chunks(with_embeddings=True)
    if not chunks:
        from assistant.errors import StudyError

        raise StudyError(f"the index in {settings.chroma_url or settings.index_dir} is empty", "run `study ingest`")
    return HybridRetriever(chunks, embed_model, known_words=known_words(settings.embed_model))
