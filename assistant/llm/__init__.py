"""LLM backends behind one tiny interface (`LLM.stream`), picked by `get_llm(settings)`."""

from assistant.core.types import Message
from assistant.llm.base import LLM, BackendError
from assistant.llm.factory import get_llm

__all__ = ["LLM", "BackendError", "Message", "get_llm"]
