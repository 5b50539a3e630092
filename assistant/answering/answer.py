"""Answer a question: check it, retrieve, decide scope, then compose from the guide or
generate and check each sentence before it is shown.

`Assistant.ask_stream` yields text as it becomes showable, then one `Answer`.
`Chat` keeps the turns of one conversation; a turn is kept even when the backend fails
part-way, with the partial answer marked incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from assistant.answering.citations import SentenceGate, SupportChecker
from assistant.answering.coverage import Coverage, CoverageJudge, CoverageVerdict
from assistant.answering.grounded import Composer, key_blocks, render
from assistant.answering.leaks import LeakDetector
from assistant.answering.prompt import HYBRID_SYSTEM, SYSTEM, build_prompt, neutralise, source_block
from assistant.answering.scope import ScopeGate, refusal_text
from assistant.answering.turn import Answer, Turn, check_question, repeats_itself
from assistant.core.errors import StudyError
from assistant.core.sanitize import sanitize_markdown
from assistant.llm.base import LLM, BackendError
from assistant.llm.completion import COMPLETION_EXAMPLE
from assistant.retrieval.hybrid import HybridRetriever

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
        self.coverage = CoverageJudge(scope, self.composer.unknown_names)
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
        # Markup and URLs say nothing about the topic; retrieval and scope see the words only.
        query = self.retriever.read(
            sanitize_markdown(question).strip() or question, [t.question for t in history], section
        )
        hits = self.retriever.search(query, self.top_k)
        # first_token_ms: when the learner first sees text (the first checked sentence).
        timings = {"retrieval_ms": ms(), "first_token_ms": 0, "total_ms": 0}

        verdict = self.scope.judge(query, hits)
        # The composer judges runner-ups itself (by what the query names), so it sees them all.
        grounded = self.composer.compose(query, hits)
        cover = self.coverage.judge(query, grounded.sources, verdict)
        if cover.coverage is Coverage.NOT_COVERED:
            text = refusal_text(question, verdict)
            yield text
            timings["first_token_ms"] = timings["total_ms"] = ms()
            yield Answer(question, text, [], verdict.nearest, refused=True, timings=timings, mode=self.mode,
                         coverage=cover.coverage.value)
            return
        lead = cover.lead
        if self.source_margin is not None and hits:
            hits = [h for h in hits if h.score >= hits[0].score - self.source_margin]
        if self.mode == "generative":
            yield from self._generate(question, query, history, hits, grounded, cover, timings, ms)
            return
        yield lead + grounded.text
        timings["first_token_ms"] = ms()
        answer = Answer(question, lead + grounded.text, grounded.citations, grounded.sources, timings=timings,
                        mode=self.mode, coverage=cover.coverage.value, not_covered=list(cover.missing))
        if self.mode == "hybrid":
            yield from self._summarise(question, grounded, answer)
        timings["total_ms"] = ms()
        yield answer

    def _generate(self, question, query, history, hits, grounded, cover: CoverageVerdict, timings, ms):
        """The model writes; each finished sentence is checked before it is shown. A partial
        answer opens with what the guide does not cover, said in code, not left to the model."""
        answer_budget = min(self.answer_tokens, self.llm.context_window // 4)
        turns = [(t.question, t.answer.answer) for t in history if t.answer.answer and not t.answer.refused]
        prompt = build_prompt(
            question, hits, self.llm.count_tokens, self.llm.context_window, answer_budget, turns, self.max_sources,
            not_covered=cover.missing,
        )
        gate = SentenceGate(prompt.sources, self.checker, self.leaks, question)
        lead = cover.lead
        raw, shown, error = "", "", None
        if lead:
            yield lead
            timings["first_token_ms"] = ms()
        try:
            for delta in self.llm.stream(prompt.messages, max_tokens=answer_budget, temperature=0.0):
                raw += delta
                cut = repeats_itself(raw) if "\n" in delta else None
                if cut is not None:
                    raw = raw[:cut]  # the model started looping: keep what came before
                    break
                for piece in gate.feed(sanitize_markdown(raw)):
                    if not shown and not lead:
                        timings["first_token_ms"] = ms()
                    shown += piece
                    yield piece
                if gate.model_refused:
                    break
        except BackendError as err:
            error = str(err)
        for piece in gate.finish(sanitize_markdown(raw)):
            if not shown and not lead:
                timings["first_token_ms"] = ms()
            shown += piece
            yield piece
        mode, sources, citations = self.mode, prompt.sources, gate.citations
        refused = gate.model_refused and not shown and not lead
        if refused:
            shown = refusal_text(question, cover.scope)
            sources, citations = cover.scope.nearest, []
            yield shown
        elif not gate.says_something():
            # Nothing checkable survived (empty, all prompt talk, all contradicted): the
            # learner gets the guide's own lines rather than nothing.
            sep = "\n\n" if shown else ""
            shown += sep + grounded.text
            yield sep + grounded.text
            mode, sources, citations = "generative, fell back to grounded", grounded.sources, grounded.citations
        elif missing := self._unstated(shown, grounded):
            # What survived the checks is true but no longer answers: a fragment, or a
            # sentence beside the point. The guide's own lines for the missing points follow.
            extra = f"\n\n*From the guide:*\n\n{missing}"
            shown += extra
            yield extra
            mode = "generative, completed from the guide"
            citations = list(dict.fromkeys([*citations, *grounded.citations]))
            sources = list({h.chunk.id: h for h in [*sources, *grounded.sources]}.values())
        if not timings["first_token_ms"]:
            timings["first_token_ms"] = ms()
        timings["total_ms"] = ms()
        yield Answer(
            question, (lead + shown).strip(), citations, sources, refused=refused,
            unsupported_sentences=gate.unsupported, timings=timings, complete=error is None, error=error,
            mode=mode, removed_sentences=gate.removed,
            coverage=(Coverage.NOT_COVERED if refused else cover.coverage).value,
            not_covered=[] if refused else list(cover.missing),
        )

    def _unstated(self, shown: str, grounded) -> str:
        """The guide's lines for the key points `shown` leaves out, rendered and cited, when
        it leaves out more than half of them; "" when it states enough."""
        missing = self.composer.unstated(shown, grounded)
        if len(missing) * 2 <= len(key_blocks(grounded.blocks)):
            return ""
        parts = []
        for hit in grounded.sources:
            blocks = [b for b in missing if b.number == hit.chunk.number]
            if blocks:
                parts.append(render(blocks, hit.chunk.number))
        return "\n\n".join(parts)

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
            answer.error, answer.complete = str(err), False
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
