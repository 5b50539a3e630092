"""The study assistant as llama-index pieces, to drop into a llama-index app.

- `GuideRetriever`: the hybrid retriever (itself a `BaseRetriever`) with a chosen top-k
  and section; each hit is a `NodeWithScore` whose TextNode id is the question ("Q38")
  with number/title/section.
- `GuideQueryEngine`: `Assistant.ask` as a query engine; the `Response` carries the
  answer text (cited like [Q38]) and the questions it drew on as `source_nodes`.
- `GuideChatEngine`: a `Chat` (follow-ups lean on earlier turns) as a chat engine.

They wrap the objects `assistant.runtime` opens (composition: retrieval and answering stay
as they are) and never touch llama-index's global `Settings`, so no OpenAI default
model is ever resolved: scoring, answering and checking stay this project's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.answering.answer import Answer, Assistant, Chat, Turn
from assistant.core.settings import Settings
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.nodes import node_of


def answer_metadata(answer: Answer) -> dict[str, Any]:
    """What `study ask --json` says about an answer besides its text and sources."""
    return {k: v for k, v in answer.as_dict().items() if k not in ("answer", "sources")}


class GuideRetriever(BaseRetriever):
    """The project's hybrid retriever (fused dense + BM25 + phrasings) as a BaseRetriever."""

    def __init__(self, retriever: HybridRetriever, top_k: int = 5, section: str | None = None, **kwargs):
        self.hybrid = retriever
        self.top_k = top_k
        self.section = section
        super().__init__(**kwargs)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> GuideRetriever:
        """Open the index as `study search` does (StudyError if it is missing or unusable)."""
        from assistant.runtime import open_retriever

        settings = settings or Settings()
        return cls(open_retriever(settings), top_k=kwargs.pop("top_k", settings.top_k), **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [node_of(h) for h in self.hybrid.search(query_bundle.query_str, self.top_k, self.section)]


class GuideQueryEngine(CustomQueryEngine):
    """`Assistant.ask` as a query engine: scope gate, grounded or checked answer, citations."""

    assistant: Assistant
    section: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, llm=None, **kwargs) -> GuideQueryEngine:
        """The assistant `study ask` uses (backend from settings unless `llm` is given)."""
        from assistant.runtime import open_assistant

        return cls(assistant=open_assistant(settings or Settings(), llm=llm), **kwargs)

    @property
    def retriever(self) -> GuideRetriever:
        """The assistant's own retriever, as a BaseRetriever."""
        return GuideRetriever(self.assistant.retriever, self.assistant.top_k, self.section)

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.retriever.retrieve(query_bundle)

    def custom_query(self, query_str: str) -> Response:
        answer = self.assistant.ask(query_str, section=self.section)
        return Response(
            response=answer.answer,
            source_nodes=[node_of(h) for h in answer.sources],
            metadata=answer_metadata(answer),
        )

    async def acustom_query(self, query_str: str) -> Response:
        # Answering is CPU-bound (and the embedded model answers one at a time): keep
        # the caller's event loop free while it runs.
        return await asyncio.to_thread(self.custom_query, query_str)


def turns_of(messages: Sequence[ChatMessage]) -> list[Turn]:
    """Earlier turns from llama-index chat messages: each user message, with the
    assistant message that follows it as its answer.

    >>> [(t.question, t.answer.answer) for t in turns_of([ChatMessage(role="user", content="what is GQA?"),
    ...                                                   ChatMessage(role="assistant", content="K/V groups [Q38]")])]
    [('what is GQA?', 'K/V groups [Q38]')]
    """
    turns: list[Turn] = []
    for i, m in enumerate(messages):
        if m.role != MessageRole.USER:
            continue
        question = m.content or ""
        after = messages[i + 1] if i + 1 < len(messages) else None
        said = (after.content or "") if after is not None and after.role == MessageRole.ASSISTANT else ""
        turns.append(Turn(question, Answer(question, said, [], [])))
    return turns


class GuideChatEngine(BaseChatEngine):
    """A conversation with the assistant: a follow-up ("and which uses less VRAM?")
    is retrieved and answered with the earlier turns, as in `study chat`."""

    def __init__(self, assistant: Assistant, section: str | None = None):
        self.session = Chat(assistant)
        self.section = section

    @classmethod
    def from_settings(cls, settings: Settings | None = None, llm=None, **kwargs) -> GuideChatEngine:
        from assistant.runtime import open_assistant

        return cls(open_assistant(settings or Settings(), llm=llm), **kwargs)

    @property
    def chat_history(self) -> list[ChatMessage]:
        out = []
        for t in self.session.turns:
            out.append(ChatMessage(role=MessageRole.USER, content=t.question))
            out.append(ChatMessage(role=MessageRole.ASSISTANT, content=t.answer.answer))
        return out

    def reset(self) -> None:
        self.session.reset()

    def _use_history(self, chat_history: list[ChatMessage] | None) -> None:
        if chat_history is not None:  # llama-index's contract: a given history replaces ours
            self.session.turns = turns_of(chat_history)

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        self._use_history(chat_history)
        answer = self.session.ask(message, self.section)
        return AgentChatResponse(
            response=answer.answer, source_nodes=[node_of(h) for h in answer.sources], metadata=answer_metadata(answer)
        )

    def _deltas(self, message: str, sources: list[NodeWithScore]) -> Iterator[ChatResponse]:
        """Showable text as it comes; the sources are filled in when the answer is done."""
        text = ""
        for item in self.session.ask_stream(message, self.section):
            if isinstance(item, Answer):
                sources.extend(node_of(h) for h in item.sources)
                continue
            text += item
            yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=item)

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> StreamingAgentChatResponse:
        self._use_history(chat_history)
        sources: list[NodeWithScore] = []
        # The Chat records the turn itself, so llama-index writes no memory of its own.
        return StreamingAgentChatResponse(
            chat_stream=self._deltas(message, sources), source_nodes=sources, is_writing_to_memory=False
        )

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        return await asyncio.to_thread(self.chat, message, chat_history)

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> StreamingAgentChatResponse:
        self._use_history(chat_history)
        sources: list[NodeWithScore] = []
        deltas = self._deltas(message, sources)

        async def in_thread() -> AsyncIterator[ChatResponse]:
            while (item := await asyncio.to_thread(next, deltas, None)) is not None:
                yield item

        return StreamingAgentChatResponse(achat_stream=in_thread(), source_nodes=sources, is_writing_to_memory=False)
