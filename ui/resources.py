"""Process-wide resources shared by all browser sessions (`st.cache_resource`).

Models and the index load once per process; each is safe to share: retrieval is read-only,
and the embedded LLM runs one generation at a time through its gate. Every cache is keyed
only by operator-configured values (a `Choice`, the index settings, a validated learner
name) and bounded, so no browser input can make the server load or keep more.
"""

from __future__ import annotations

import streamlit as st

from assistant.core.modes import Backend
from assistant.core.settings import Settings


def address_of(settings: Settings) -> str | None:
    """The configured server address of the chosen backend (None: in-process)."""
    return {Backend.OLLAMA: settings.ollama_host, Backend.OPENAI: settings.openai_base_url}.get(settings.llm_backend)


@st.cache_resource(show_spinner="Loading the index and the embedding model…", max_entries=2)
def retriever_for(index_dir: str, chroma_url: str | None, collection: str, embed_model: str):
    from assistant.runtime import open_retriever

    settings = Settings(index_dir=index_dir, chroma_url=chroma_url, collection=collection, embed_model=embed_model)
    return open_retriever(settings)


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def llm_for(backend: str, model: str | None, address: str | None, _settings: Settings):
    """The LLM for one configured choice; hosts, URLs and keys come from the server's settings
    (`address`, the configured host of that backend, is part of the key only)."""
    from assistant.runtime import open_llm

    return open_llm(_settings.model_copy(update={"llm_backend": backend, "llm_model": model}))


@st.cache_data(ttl=15, show_spinner=False, max_entries=8)
def backend_problem(backend: str, model: str | None, address: str | None, _llm) -> str | None:
    """None when the backend answers a cheap probe, else the one-line error. Cached briefly
    so a down server costs one probe per 15 s, not one per rerun."""
    from assistant.core.errors import StudyError

    try:
        _llm.check()
    except StudyError as err:
        return str(err)
    return None


@st.cache_resource(show_spinner=False, max_entries=16)
def assistant_for(key: tuple, _settings: Settings, _llm, _retriever):
    """One Assistant per configuration (`key`), so its support-check cache is shared."""
    from assistant.runtime import open_assistant

    return open_assistant(_settings, llm=_llm, retriever=_retriever)


def _close(coach) -> None:
    coach.close()


# An evicted coach closes its SQLite connection (Streamlit calls on_release on eviction).
@st.cache_resource(show_spinner=False, max_entries=32, on_release=_close)
def coach_for(progress_path: str, _settings: Settings, _retriever):
    """One Coach per learner's progress file: its SQLite connection is shared, behind a lock."""
    from assistant.runtime import open_coach

    return open_coach(_settings, retriever=_retriever)


# An evicted store closes its SQLite connection, like a coach.
@st.cache_resource(show_spinner=False, max_entries=32, on_release=lambda store: store.close())
def chats_for(chats_path: str):
    """One ChatStore per learner's chat file, shared by that learner's sessions."""
    from assistant.history.store import ChatStore

    return ChatStore(chats_path)
