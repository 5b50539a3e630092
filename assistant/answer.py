"""Answer a question: check it, retrieve, decide scope, prompt, stream, verify citations.

`Assistant.ask_stream` yields text deltas as the model writes them, then one `Answer`.
`Chat` keeps the turns of one conversation; a turn is kept even when the backend fails
part-way, with the partial answer marked incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from assistant.citations import SupportChecker, verify
from assistant.errors import StudyError
from assistant.llm.base import LLM, BackendError
from assistant.prompt import build_prompt
from assistant.retrieval import Hit, HybridRetriever
from assistant.sanitize import sanitize_markdown, strip_control
from assistant.scope import ScopeGate, refusal_text

MAX_QUESTION_CHARS = 2000


def repeats_itself(text: str, min_words: int = 5, overlap: float = 0.7) -> int | None:
    """Where the last finished line nearly repeats an earlier one (tiny models loop),
    as the index to cut at; else None. "Nearly": most of its words are the same.

    >>> repeats_itself("- MQA: one K/V head, fast.\\n- GQA: K/V per group.\\n- MQA: one K/V head, so fast.\\n")
    49
    """
    lines = text.split("\n")
    done, last = lines[:-2], lines[-2] if len(lines) >= 2 else ""
    words = set(last.lower().split())
    if len(words) < min_words:
        return None
    for line in done:
        earlier = set(line.lower().split())
        if earlier and len(words & earlier) / len(words | earlier) >= overlap:
            return len(text) - len(lines[-1]) - len(last) - 1
    return None


def check_question(question: str) -> str:
    """The question, stripped; StudyError before any model call when it cannot be asked.

    >>> check_question("  what is GQA? ")
    'what is GQA?'
    """
    q = strip_control(question or "").strip()
    if not q:
        raise StudyError("the question is empty", "type a question about the guide, e.g. `explain GQA vs MQA`")
    if len(q) > MAX_QUESTION_CHARS:
        raise StudyError(
            f"the question is {len(q):,} characters long (the limit is {MAX_QUESTION_CHARS:,})",
            "ask the question itself, without pasted documents",
        )
    return q


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[int]
    sources: list[Hit]
    refused: bool = False
    unsupported_sentences: list[str] = field(default_factory=list)
    timings: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    error: str | None = None

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": self.citations,
            "sources": [
                {"id": h.chunk.id, "title": h.chunk.title, "section": h.chunk.section, "score": round(h.score, 4)}
                for h in self.sources
            ],
            "refused": self.refused,
            "unsupported_sentences": self.unsupported_sentences,
            "timings": self.timings,
            "complete": self.complete,
            "error": self.error,
        }


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer

    @classmethod
    def asked(cls, question: str) -> Turn:
        """An earlier question known without its answer (batch input, datasets)."""
        return cls(question, Answer(question, "", [], []))


class Assistant:
    """Stateless answering over one retriever and one LLM; share it across sessions."""

    def __init__(
        self,
        retriever: HybridRetriever,
        llm: LLM,
        *,
        scope: ScopeGate,
        top_k: int = 5,
        max_sources: int = 3,
        answer_tokens: int = 256,
        checker: SupportChecker | None = None,
        source_margin: float | None = 0.15,
    ):
        self.retriever = retriever
        self.llm = llm
        self.top_k = top_k
        self.max_sources = max_sources
        self.answer_tokens = answer_tokens
        self.checker = checker or SupportChecker(retriever.embed_model)
        self.scope = scope
        # Sources scoring far below the best one confuse small models more than they help:
        # the prompt gets those within `source_margin` of the top (None: all top sources).
        self.source_margin = source_margin

    def ask(self, question: str, history: Sequence[Turn] = (), section: str | None = None) -> Answer:
        for item in self.ask_stream(question, history, section):
            if isinstance(item, Answer):
                return item
        raise AssertionError("ask_stream ends with an Answer")

    def ask_stream(
        self, question: str, history: Sequence[Turn] = (), section: str | None = None
    ) -> Iterator[str | Answer]:
        question = check_question(question)
        start = time.perf_counter()
        ms = lambda: int((time.perf_counter() - start) * 1000)  # noqa: E731
        asked = [t.question for t in history]
        # Markup and URLs say nothing about the topic; retrieval and scope see the words only.
        query = sanitize_markdown(question).strip() or question
        hits = self.retriever.search(query, self.top_k, section, history=asked)
        timings = {"retrieval_ms": ms(), "first_token_ms": 0, "total_ms": 0}

        verdict = self.scope.judge(query, asked, hits)
        if not verdict.in_scope:
            text = refusal_text(question, verdict)
            yield text
            timings["first_token_ms"] = timings["total_ms"] = ms()
            yield Answer(question, text, [], verdict.nearest, refused=True, timings=timings)
            return

        answer_budget = min(self.answer_tokens, self.llm.context_window // 4)
        turns = [(t.question, t.answer.answer) for t in history if t.answer.answer and not t.answer.refused]
        if self.source_margin is not None and hits:
            hits = [h for h in hits if h.score >= hits[0].score - self.source_margin]
        prompt = build_prompt(
            question, hits, self.llm.count_tokens, self.llm.context_window, answer_budget, turns, self.max_sources
        )
        raw, error = "", None
        try:
            for delta in self.llm.stream(prompt.messages, max_tokens=answer_budget, temperature=0.0):
                if not raw:
                    timings["first_token_ms"] = ms()
                raw += delta
                cut = repeats_itself(raw) if "\n" in delta else None
                if cut is not None:
                    raw = raw[:cut]  # the model started looping: keep what came before
                    break
                yield strip_control(delta)
        except BackendError as err:
            error = str(err)
        timings["total_ms"] = ms()

        checked = verify(sanitize_markdown(raw), prompt.sources, self.checker)
        if checked.model_refused:
            text = refusal_text(question, verdict)
            return_sources = verdict.nearest
        else:
            text, return_sources = checked.text, prompt.sources
        yield Answer(
            question,
            text,
            [] if checked.model_refused else checked.citations,
            return_sources,
            refused=checked.model_refused,
            unsupported_sentences=checked.unsupported_sentences,
            timings=timings,
            complete=error is None,
            error=error,
        )


class Chat:
    """One conversation: the assistant plus the turns so far."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.turns: list[Turn] = []

    def ask_stream(self, question: str, section: str | None = None) -> Iterator[str | Answer]:
        for item in self.assistant.ask_stream(question, self.turns, section):
            if isinstance(item, Answer):
                # Failed or partial answers stay too: the learner's question is never lost.
                self.turns.append(Turn(item.question, item))
            yield item

    def ask(self, question: str, section: str | None = None) -> Answer:
        *_, answer = self.ask_stream(question, section)
        return answer

    def reset(self) -> None:
        self.turns.clear()
