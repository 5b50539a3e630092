"""LLM backends behind one tiny interface (`LLM.stream`), picked by `get_llm(settings)`.
Applications open them through `assistant.runtime.open_llm`, which hands the embedded
backend the process's shared llama.cpp models and gate."""

from assistant.llm.base import LLM, BackendError
from assistant.llm.factory import get_llm

__all__ = ["LLM", "BackendError", "get_llm"]
