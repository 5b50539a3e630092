"""Ollama through its official client. Every failure becomes one line that names the fix."""

from __future__ import annotations

from contextlib import contextmanager

from assistant.core.errors import missing_package
from assistant.core.types import Message
from assistant.llm.base import LLM, BackendError, server_says
from assistant.llm.gate import token_heard
from assistant.core.modes import Backend


class OllamaLLM(LLM):
    backend = Backend.OLLAMA
    DEFAULT_MODEL = "llama3.2:3b"

    def __init__(self, host: str, model: str = DEFAULT_MODEL, timeout: float = 120.0, context_window: int = 4096):
        try:
            import ollama
        except ImportError as exc:
            raise missing_package("ollama") from exc
        self.host, self.model, self.timeout = host, model, timeout
        self.context_window = context_window
        self.name = f"ollama:{model}"
        try:
            self._client = ollama.Client(host=host, timeout=timeout)
        except ValueError as exc:  # e.g. a port out of range
            raise BackendError(f"STUDY_OLLAMA_HOST={host!r} is not usable ({exc})",
                               "set it like http://127.0.0.1:11434") from None

    @contextmanager
    def _errors(self):
        import httpx
        import ollama

        try:
            yield
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise BackendError(
                    f"Ollama at {self.host} does not have the model {self.model!r}",
                    f"run `ollama pull {self.model}` or set STUDY_LLM_MODEL to a pulled model",
                ) from None
            raise BackendError(
                f"Ollama at {self.host} failed: {server_says(exc.error)}", "check `ollama serve`'s log, then ask again"
            ) from None
        except httpx.TimeoutException:
            raise BackendError(
                f"Ollama at {self.host} did not answer within {self.timeout:g} s",
                "raise STUDY_LLM_TIMEOUT or choose a smaller model",
            ) from None
        except ValueError as exc:  # a reply this client cannot parse (pydantic errors are ValueErrors)
            raise BackendError(
                f"Ollama at {self.host} sent a reply this client cannot read ({type(exc).__name__})",
                "update Ollama and the `ollama` Python package to current versions",
            ) from None
        except (ConnectionError, httpx.TransportError):
            raise BackendError(
                f"Ollama is not running at {self.host}",
                "start it with `ollama serve` or set STUDY_OLLAMA_HOST",
            ) from None

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float):
        options = {"num_predict": max_tokens, "temperature": temperature, "num_ctx": self.context_window}
        with self._errors():
            for part in self._client.chat(model=self.model, messages=messages, stream=True, options=options):
                token_heard()
                text = part.message.content
                if text:
                    yield text

    def check(self) -> None:
        with self._errors():
            self._client.show(self.model)
