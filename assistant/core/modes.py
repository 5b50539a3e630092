"""The two choices every layer shares, as `str` enums: which backend runs the model, and
who writes the answer. `answer_mode_for` is the one place "auto" is decided.
"""

from __future__ import annotations

from enum import Enum


class Backend(str, Enum):
    """Where the model runs: in this process (llama.cpp), on Ollama, or on any
    OpenAI-compatible server."""

    EMBEDDED = "embedded"
    OLLAMA = "ollama"
    OPENAI = "openai"

    def __str__(self) -> str:
        return self.value


class AnswerMode(str, Enum):
    """Who writes the answer: the guide's own lines chosen in code (grounded), those plus one
    checked model sentence (hybrid), or the model with every sentence checked (generative);
    auto picks by backend."""

    AUTO = "auto"
    GROUNDED = "grounded"
    HYBRID = "hybrid"
    GENERATIVE = "generative"

    def __str__(self) -> str:
        return self.value


def answer_mode_for(mode: AnswerMode | str, backend: Backend | str | None) -> AnswerMode:
    """`mode` with auto decided: the tiny embedded models swap and invent facts
    (docs/answering.md), so on them the guide's own lines answer; on servers the model writes.

    >>> answer_mode_for("auto", "embedded"), answer_mode_for("auto", "ollama"), answer_mode_for("hybrid", "embedded")
    (<AnswerMode.GROUNDED: 'grounded'>, <AnswerMode.GENERATIVE: 'generative'>, <AnswerMode.HYBRID: 'hybrid'>)
    """
    mode = AnswerMode(mode)
    if mode is not AnswerMode.AUTO:
        return mode
    return AnswerMode.GROUNDED if backend == Backend.EMBEDDED else AnswerMode.GENERATIVE
