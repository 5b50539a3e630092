"""The composition root: what answering needs, opened once per process. It owns every
process-wide model, cache and lock, so the layers below stay plain classes and functions:

- the embedding model (one per name) and the vocabulary it knows,
- the llama.cpp models and the gate their generations queue at (`LLAMA`),
- stored chunks + embedding model -> HybridRetriever; retriever + LLM -> Assistant;
  retriever + progress file -> Coach.
The UI shares these across browser sessions through `st.cache_resource` (ui/resources.py).
"""

from __future__ import annotations

from functools import lru_cache

from assistant.core.errors import StudyError
from assistant.core.modes import answer_mode_for
from assistant.core.settings import Settings
from assistant.llm.llama_models import LlamaModels
from assistant.retrieval.guide_index import GuideIndex
from assistant.retrieval.hybrid import HybridRetriever
from assistant.store.chroma import GuideStore
from assistant.store.embeddings import load_embed_model, resolve_model_path

#: every embedded generation in this process shares the cores: one set of models, one queue
LLAMA = LlamaModels()


@lru_cache(maxsize=4)
def embed_model_for(name: str):
    """The embedding model, loaded once per process (about 2 s)."""
    return load_embed_model(name)


def _vocab_words(model_name: str) -> list[str]:
    vocab = resolve_model_path(model_name) / "vocab.txt"
    return vocab.read_text(encoding="utf-8").split() if vocab.exists() else []


@lru_cache(maxsize=4)
def known_words(model_name: str) -> frozenset[str]:
    """Whole English words from the embedding model's word-piece vocabulary."""
    words = _vocab_words(model_name)
    return frozenset(w for w in words if w.isalpha() and not w.startswith("#"))


def open_retriever(settings: Settings, store: GuideStore | None = None) -> HybridRetriever:
    """Load everything search needs, once; raises StudyError if the index is unusable."""
    store = store or GuideStore(settings)
    embed_model = embed_model_for(settings.embed_model)
    probe = embed_model.get_query_embedding("dimension probe")
    store.check_embed_model(settings.embed_model, len(probe))
    chunks = store.chunks(with_embeddings=True)
    if not chunks:
        raise StudyError(f"the index in {settings.chroma_url or settings.index_dir} is empty", "run `study ingest`")
    phrasings, phrasing_texts = _phrasings(settings, chunks, embed_model)
    return HybridRetriever(
        GuideIndex(chunks, embed_model, known_words(settings.embed_model)),
        phrasings=phrasings,
        phrasing_texts=phrasing_texts,
        cache_dir=settings.vector_cache,
        retrieve_top_k=settings.top_k,
    )


def _phrasings(settings: Settings, chunks, embed_model):
    """((chunk index, unit vector) of each learner phrasing, their texts), or (None, ())
    when none are set."""
    if settings.phrasings is None:
        return None, ()
    from assistant.retrieval.phrasings import owners_of, read_phrasings
    from assistant.store.vector_cache import bank_vectors

    phrasings = read_phrasings(settings.phrasings, {c.number: c.title for c in chunks})
    by_number = {c.number: i for i, c in enumerate(chunks)}
    texts = list(phrasings.texts)
    dim = len(chunks[0].embedding)
    vectors = bank_vectors(embed_model, settings.embed_model, texts, settings.vector_cache, "phrasings", dim=dim)
    return (owners_of(phrasings, by_number), vectors), texts


def open_scope(settings: Settings, retriever: HybridRetriever):
    """The scope gate: the guide's retriever against the bank of off-topic questions."""
    from assistant.answering.scope import ScopeGate
    from assistant.store.vector_cache import bank_vectors, read_bank

    questions = read_bank(settings.scope_bank)
    dim = len(retriever.index.chunks[0].embedding)
    vectors = bank_vectors(retriever.index.embed_model, settings.embed_model, questions, settings.vector_cache, dim=dim)
    return ScopeGate(retriever, vectors, known_words(settings.embed_model))


def warm_vectors(settings: Settings, phrasings=None, announce=None) -> list[str]:
    """Embed the bank and the `phrasings` (as ingest checked them) now if their cached
    vectors are missing, so the first question after an ingest does not pay for it
    (about 8 s on 2 cores). Returns what was embedded; the model loads only then, so an
    unchanged re-ingest stays fast."""
    from assistant.store.vector_cache import bank_vectors, cache_path, read_bank

    banks = [("scope-bank", read_bank(settings.scope_bank))]
    if phrasings is not None:
        banks.append(("phrasings", list(phrasings.texts)))
    missing = [
        (kind, texts)
        for kind, texts in banks
        if not cache_path(settings.embed_model, texts, settings.vector_cache, kind).exists()
    ]
    if missing:
        if announce:
            announce(f"Embedding {' and '.join(kind for kind, _ in missing)} once for answering")
        embed_model = embed_model_for(settings.embed_model)
        for kind, texts in missing:
            bank_vectors(embed_model, settings.embed_model, texts, settings.vector_cache, kind)
        if any(kind == "phrasings" for kind, _ in missing):
            open_retriever(settings)  # fits and caches the phrasing classifier (a few seconds)
    return [kind for kind, _ in missing]


def open_assistant(settings: Settings, llm=None, retriever: HybridRetriever | None = None):
    """The answering pipeline on the configured backend (or the `llm` given)."""
    from assistant.answering.answer import Assistant

    llm = llm or open_llm(settings)
    retriever = retriever or open_retriever(settings)
    return Assistant(
        retriever,
        llm,
        top_k=settings.top_k,
        max_sources=settings.answer_sources,
        answer_tokens=settings.answer_tokens,
        scope=open_scope(settings, retriever),
        mode=answer_mode_for(settings.answer_mode, llm.backend),
    )


def open_coach(settings: Settings, retriever: HybridRetriever | None = None):
    """Study mode over the index, with this profile's progress file and desired retention."""
    from assistant.practice.coach import Coach
    from assistant.practice.progress import ProgressStore
    from assistant.practice.schedule import Schedule

    store = ProgressStore(settings.progress_path, Schedule(settings.desired_retention))
    retriever = retriever or open_retriever(settings)
    decider = lru_cache(maxsize=1)(lambda: open_decider(settings, retriever))
    return Coach(retriever, store, topic=lambda text: decider().topic(text))


def open_decider(settings: Settings, retriever: HybridRetriever):
    """What the chat would make of a question (scope, coverage), without a model: study
    mode resolves a topic with it. Built on first use, as most practice names numbers."""
    from assistant.answering.decide import Decider

    return Decider(open_scope(settings, retriever), settings.top_k)


def open_llm(settings: Settings):
    """The configured backend; an embedded model loads into the process's shared `LLAMA`."""
    from assistant.llm import get_llm

    return get_llm(settings, llama_models=LLAMA)
