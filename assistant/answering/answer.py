"""Answer a question: check it, retrieve, decide scope, then compose from the guide or
generate and check each sentence before it is shown.

`Assistant.ask_stream` yields text as it becomes showable, then one `Answer`.
`Chat` keeps the turns of one conversation; a turn is kept even when the backend fails
part-way, with the partial answer marked incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from assistant.answering.citations import SentenceGate, SupportChecker
from assistant.answering.grounded import Composer
from assistant.answering.leaks import LeakDetector
from assistant.answering.prompt import HYBRID_SYSTEM, SYSTEM, build_prompt, neutralise, source_block
from assistant.answering.scope import ScopeGate, refusal_text
from assistant.core.errors import StudyError
from assistant.core.sanitize import sanitize_markdown, strip_control
from assistant.core.types import Hit
from assistant.llm.base import LLM, BackendError
from assistant.llm.completion import COMPLETION_EXAMPLE
from assistant.retrieval.followup import looks_like_followup
from assistant.retrieval.hybrid import HybridRetriever

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
    mode: str = "grounded"  # "grounded" | "hybrid" | "generative" | "generative, fell back to grounded"
    #: sentences the model wrote that were not shown: {"sentence", "reason"}
    removed_sentences: list[dict] = field(default_factory=list)

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
            "mode": self.mode,
            "unsupported_sentences": self.unsupported_sentences,
            "removed_sentences": self.removed_sentences,
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


MODES = ("grounded", "hybrid", "generative")


class Assistant:
    """Stateless answering over one retriever and one LLM; share it across sessions.

    `mode` decides who writes the answer (README "Answering"):
    - "grounded": the guide's own lines for this question, chosen in code, each cited;
      no model call, so no fact can be corrupted (the default on the embedded model);
    - "hybrid": the grounded lines, then one summary sentence from the model, shown only
      if it passes every check;
    - "generative": the model writes; each sentence is shown only once it is supported by
      a retrieved question and contradicts nothing in it; if nothing survives, the grounded
      answer is shown instead (the default on Ollama / OpenAI-compatible servers).
    """

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
        mode: str = "grounded",
    ):
        if mode not in MODES:
            raise StudyError(f"answer mode {mode!r} is unknown", f"use one of {', '.join(MODES)} (STUDY_ANSWER_MODE)")
        self.retriever = retriever
        self.llm = llm
        self.top_k = top_k
        self.max_sources = max_sources
        self.answer_tokens = answer_tokens
        self.checker = checker or SupportChecker(retriever.embed_model)
        self.scope = scope
        self.mode = mode
        # Sources scoring far below the best one confuse small models more than they help:
        # the prompt gets those within `source_margin` of the top (None: all top sources).
        self.source_margin = source_margin
        self.composer = Composer(retriever.chunks, retriever.embed_model, retriever.lexicon)
        titles_and_text = [f"{c.title}\n{c.text}" for c in retriever.chunks]
        self.leaks = LeakDetector([SYSTEM, COMPLETION_EXAMPLE, HYBRID_SYSTEM], allowed=titles_and_text)

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
        # first_token_ms: when the learner first sees text (the first checked sentence).
        timings = {"retrieval_ms": ms(), "first_token_ms": 0, "total_ms": 0}

        verdict = self.scope.judge(query, asked, hits)
        if not verdict.in_scope:
            text = refusal_text(question, verdict)
            yield text
            timings["first_token_ms"] = timings["total_ms"] = ms()
            yield Answer(question, text, [], verdict.nearest, refused=True, timings=timings, mode=self.mode)
            return
        # The composer judges runner-ups itself (by what the query names), so it sees them all.
        grounded = self.composer.compose(query, hits, followup=bool(asked) and looks_like_followup(query))
        if self.source_margin is not None and hits:
            hits = [h for h in hits if h.score >= hits[0].score - self.source_margin]
        if self.mode == "generative":
            yield from self._generate(question, query, history, hits, grounded, verdict, timings, ms)
            return
        yield grounded.text
        timings["first_token_ms"] = ms()
        answer = Answer(question, grounded.text, grounded.citations, grounded.sources, timings=timings, mode=self.mode)
        if self.mode == "hybrid":
            yield from self._summarise(question, grounded, answer)
        timings["total_ms"] = ms()
        yield answer

    def _generate(self, question, query, history, hits, grounded, verdict, timings, ms):
        """The model writes; each finished sentence is checked before it is shown."""
        answer_budget = min(self.answer_tokens, self.llm.context_window // 4)
        turns = [(t.question, t.answer.answer) for t in history if t.answer.answer and not t.answer.refused]
        prompt = build_prompt(
            question, hits, self.llm.count_tokens, self.llm.context_window, answer_budget, turns, self.max_sources
        )
        gate = SentenceGate(prompt.sources, self.checker, self.leaks, question)
        raw, shown, error = "", "", None
        try:
            for delta in self.llm.stream(prompt.messages, max_tokens=answer_budget, temperature=0.0):
                raw += delta
                cut = repeats_itself(raw) if "\n" in delta else None
                if cut is not None:
                    raw = raw[:cut]  # the model started looping: keep what came before
                    break
                for piece in gate.feed(sanitize_markdown(raw)):
                    if not shown:
                        timings["first_token_ms"] = ms()
                    shown += piece
                    yield piece
                if gate.model_refused:
                    break
        except BackendError as err:
            error = str(err)
        for piece in gate.finish(sanitize_markdown(raw)):
            if not shown:
                timings["first_token_ms"] = ms()
            shown += piece
            yield piece
        mode, sources, citations = self.mode, prompt.sources, gate.citations
        refused = gate.model_refused and not shown
        if refused:
            shown = refusal_text(question, verdict)
            sources, citations = verdict.nearest, []
            yield shown
        elif not gate.says_something():
            # Nothing checkable survived (empty, all prompt talk, all contradicted): the
            # learner gets the guide's own lines rather than nothing.
            lead = "\n\n" if shown else ""
            shown += lead + grounded.text
            yield lead + grounded.text
            mode, sources, citations = "generative, fell back to grounded", grounded.sources, grounded.citations
        if not timings["first_token_ms"]:
            timings["first_token_ms"] = ms()
        timings["total_ms"] = ms()
        yield Answer(
            question, shown.strip(), citations, sources, refused=refused,
            unsupported_sentences=gate.unsupported, timings=timings, complete=error is None, error=error,
            mode=mode, removed_sentences=gate.removed,
        )

    def _summarise(self, question: str, grounded, answer: Answer) -> Iterator[str]:
        """Hybrid: one sentence from the model after the guide's lines, shown only if checked."""
        body = "\n\n".join(source_block(h, "\n".join(b.text for b in grounded.blocks if b.number == h.chunk.number))
                           for h in grounded.sources)
        messages = [
            {"role": "system", "content": HYBRID_SYSTEM},
            {"role": "user", "content": f"{body}\n\nQuestion: {neutralise(question)}"},
        ]
        gate = SentenceGate(grounded.sources, self.checker, self.leaks, question)
        raw = ""
        try:
            for delta in self.llm.stream(messages, max_tokens=60, temperature=0.0):
                raw += delta
                if gate.feed(sanitize_markdown(raw)):
                    break  # one sentence is all it may add
        except BackendError as err:
            answer.error = str(err)
        pieces = gate.accepted or gate.finish(sanitize_markdown(raw))
        answer.removed_sentences = gate.removed
        if pieces and gate.says_something():
            summary = "\n\n*In short:* " + pieces[0].strip()
            answer.answer += summary
            yield summary


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
