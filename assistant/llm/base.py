"""The interface every backend implements: one method, `stream`.

Everything else (the answer pipeline, the CLI, the UI) is built on it, so adding a
backend means writing one generator that yields text deltas.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from assistant.core.errors import StudyError
from assistant.core.types import Message
from assistant.core.modes import Backend


class BackendError(StudyError):
    """The backend failed (not running, model missing, broke mid-answer, too slow)."""


def server_says(text: object, limit: int = 200) -> str:
    """What a server said, fit to quote inside one of our error lines: a hostile or broken
    server's message may carry images, links, HTML, escape codes or a page of text.

    >>> server_says("model failed ![x](http://evil.example/a.png)\\n<b>see</b> http://evil.example/log")
    'model failed x see'
    """
    from assistant.core.sanitize import sanitize_markdown

    one_line = " ".join(sanitize_markdown(str(text)).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


class LLM(ABC):
    #: what the user sees in the UI status line and in `--json` timings
    name: str = "llm"
    #: where the model runs; None for models outside the three backends (tests, echo)
    backend: Backend | None = None
    #: tokens the backend accepts for prompt + answer; the prompt builder stays under it
    context_window: int = 4096

    @abstractmethod
    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Yield the answer as text deltas. Raise BackendError for anything the user can fix."""

    def count_tokens(self, text: str) -> int:
        """Tokens `text` costs. Backends without a tokenizer here over-estimate on purpose:
        English runs about 4 characters per token, so len/3 leaves headroom.

        >>> EchoLLM().count_tokens("twelve chars")
        5
        """
        return len(text) // 3 + 1

    def complete(self, messages: list[Message], *, max_tokens: int = 256, temperature: float = 0.0) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def check(self) -> None:
        """Raise BackendError if the backend cannot answer now (for status lines). Cheap."""


class EchoLLM(LLM):
    """Streams a fixed reply word by word: a scripted model, to force exact outputs (hostile
    ones included) through the real pipeline where a real model cannot be made to say them.

    >>> EchoLLM("GQA shares keys [Q38].").complete([])
    'GQA shares keys [Q38].'
    """

    name = "echo"

    def __init__(self, reply: str = ""):
        self.reply = reply

    def stream(self, messages, *, max_tokens=256, temperature=0.0):
        words = self.reply.split(" ")
        for i, word in enumerate(words):
            yield word if i == 0 else " " + word
