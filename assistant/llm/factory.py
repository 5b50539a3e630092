"""Pick the backend by settings. Imports are lazy: a user of Ollama never loads llama.cpp."""

from __future__ import annotations

from assistant.core.modes import Backend
from assistant.core.settings import Settings
from assistant.llm.base import LLM


def get_llm(settings: Settings, llama_models=None) -> LLM:
    """The configured backend, ready to stream (models load on first use). The embedded
    backend loads through `llama_models`, the process's shared LlamaModels (its own if None).

    >>> get_llm(Settings(llm_backend="ollama", llm_model="llama3.2:3b")).name
    'ollama:llama3.2:3b'
    """
    if settings.llm_backend == Backend.EMBEDDED:
        from assistant.llm.embedded import EmbeddedLLM

        return EmbeddedLLM(settings.llm_model or EmbeddedLLM.DEFAULT_MODEL, n_ctx=settings.llm_context or 2048,
                           wait_timeout=settings.llm_timeout, models=llama_models)
    if settings.llm_backend == Backend.OLLAMA:
        from assistant.llm.ollama_backend import OllamaLLM

        return OllamaLLM(
            settings.ollama_host,
            settings.llm_model or OllamaLLM.DEFAULT_MODEL,
            timeout=settings.llm_timeout,
            context_window=settings.llm_context or 4096,
        )
    from assistant.llm.openai_backend import OpenAILLM

    return OpenAILLM(
        settings.openai_base_url,
        settings.llm_model,
        api_key=settings.openai_api_key.get_secret_value(),
        timeout=settings.llm_timeout,
        context_window=settings.llm_context or 4096,
    )
