"""Process-wide resources shared by all browser sessions (`st.cache_resource`).

Models and the index load once per process; each is safe to share: retrieval is read-only,
and the embedded LLM serialises generation behind its own lock.
"""

from __future__ import annotations

import streamlit as st

from assistant.settings import Settings


@st.cache_resource(show_spinner="Loading the index and the embedding model…")
def retriever_for(index_dir: str, chroma_url: str | None, collection: str, embed_model: str):
    from assistant.index import open_retriever

    settings = Settings(index_dir=index_dir, chroma_url=chroma_url, collection=collection, embed_model=embed_model)
    return open_retriever(settings)


@st.cache_resource(show_spinner="Loading the model…")
def llm_for(backend: str, model: str | None, ollama_host: str, openai_base_url: str, _settings: Settings):
    from assistant.llm import get_llm

    update = {"llm_backend": backend, "llm_model": model or None, "ollama_host": ollama_host,
              "openai_base_url": openai_base_url}
    return get_llm(_settings.model_copy(update=update))


@st.cache_data(ttl=15, show_spinner=False)
def backend_problem(backend: str, model: str | None, ollama_host: str, openai_base_url: str, _llm) -> str | None:
    """None when the backend answers a cheap probe, else the one-line error. Cached briefly
    so a down server costs one probe per 15 s, not one per rerun."""
    from assistant.errors import StudyError

    try:
        _llm.check()
    except StudyError as err:
        return str(err)
    return None


@st.cache_resource(show_spinner=False)
def assistant_for(key: tuple, _settings: Settings, _llm, _retriever):
    """One Assistant per configuration (`key`), so its support-check cache is shared."""
    from assistant.index import open_assistant

    return open_assistant(_settings, llm=_llm, retriever=_retriever)


@st.cache_resource(show_spinner=False)
def coach_for(progress_path: str, _retriever):
    """One Coach per progress file: its SQLite connection is shared, behind a lock."""
    from assistant.practice.coach import Coach
    from assistant.practice.progress import ProgressStore

    return Coach(_retriever, ProgressStore(progress_path))
