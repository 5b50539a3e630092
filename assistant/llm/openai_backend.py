"""Any OpenAI-compatible server: vLLM, llama.cpp's server, LM Studio, Ollama's /v1."""

from __future__ import annotations

from contextlib import contextmanager

from assistant.core.errors import missing_package
from assistant.core.types import Message
from assistant.llm.base import LLM, BackendError, server_says
from assistant.llm.gate import token_heard
from assistant.core.modes import Backend


class OpenAILLM(LLM):
    backend = Backend.OPENAI

    def __init__(
        self, base_url: str, model: str | None = None, api_key: str = "not-needed", timeout: float = 120.0,
        context_window: int = 4096,
    ):
        try:
            import openai
        except ImportError as exc:
            raise missing_package("openai") from exc
        self.base_url, self.timeout = base_url, timeout
        self.context_window = context_window
        # No retries: a server that is down should say so now, not after a backoff.
        try:
            self._client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        except Exception as exc:  # httpx rejects malformed URLs with its own error types
            raise BackendError(f"STUDY_OPENAI_BASE_URL={base_url!r} is not usable ({type(exc).__name__})",
                               "set it like http://127.0.0.1:8080/v1") from None
        self._model = model

    @property
    def name(self) -> str:
        return f"openai:{self._model or 'server default'}"

    @property
    def model(self) -> str:
        """The configured model, else the first one the server lists (single-model servers)."""
        if self._model is None:
            with self._errors():
                models = self._client.models.list().data
            if not models:
                raise BackendError(f"the server at {self.base_url} lists no models", "set STUDY_LLM_MODEL")
            self._model = models[0].id
        return self._model

    @contextmanager
    def _errors(self):
        import openai

        try:
            yield
        except openai.APITimeoutError:
            raise BackendError(
                f"the server at {self.base_url} did not answer within {self.timeout:g} s",
                "raise STUDY_LLM_TIMEOUT or choose a smaller model",
            ) from None
        except openai.APIConnectionError:
            raise BackendError(
                f"no OpenAI-compatible server is reachable at {self.base_url}",
                "start it or set STUDY_OPENAI_BASE_URL (it usually ends in /v1)",
            ) from None
        except openai.AuthenticationError:
            raise BackendError(f"the server at {self.base_url} refused the API key", "set STUDY_OPENAI_API_KEY") from None
        except openai.NotFoundError:
            raise BackendError(
                f"the server at {self.base_url} has no model {self._model!r}",
                "set STUDY_LLM_MODEL to a model it lists at /v1/models",
            ) from None
        except openai.APIError as exc:
            raise BackendError(
                f"the server at {self.base_url} failed: {server_says(exc)}", "check its log, then ask again"
            ) from None

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float):
        model = self.model
        with self._errors():
            chunks = self._client.chat.completions.create(
                model=model, messages=messages, stream=True, max_tokens=max_tokens, temperature=temperature
            )
            for chunk in chunks:
                token_heard()
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    def check(self) -> None:
        _ = self.model
