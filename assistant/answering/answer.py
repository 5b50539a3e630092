"""Answer a question: check it, retrieve, decide scope, then compose from the guide or
generate and check each sentence before it is shown.

`Assistant.ask_stream` yields text as it becomes showable, then one `Answer`.
`Chat` keeps the turns of one conversation; a turn is kept even when the backend fails
part-way, with the partial answer marked incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from assistant.answering.citations import SentenceGate, SupportChecker
from assistant.answering.coverage import Coverage, CoverageVerdict
from assistant.answering.decide import Decider
from assistant.answering.grounded import key_blocks, render
from assistant.answering.leaks import LeakDetector
from assistant.answering.prompt import HYBRID_SYSTEM, SYSTEM, build_prompt, neutralise, source_block
from assistant.answering.scope import ScopeGate
from assistant.answering.turn import Answer, Turn, check_question, repeats_itself
from assistant.core.errors import StudyError
from assistant.core.modes import AnswerMode
from assistant.core.wording import COMPLETED_LEAD, refusal
from assistant.core.sanitize import sanitize_markdown
from assistant.llm.base import LLM, BackendError
from assistant.llm.completion import COMPLETION_EXAMPLE
from assistant.retrieval.hybrid import HybridRetriever



class Assistant:
    """Stateless answering over one retriever and one LLM; share it across sessions.

    `mode` decides who writes the answer (docs/answering.md):
    - grounded: the guide's own lines for this question, chosen in code, each cited;
      no model call, so no fact can be corrupted (the default on the embedded model);
    - hybrid: the grounded lines, then one summary sentence from the model, shown only
      if it passes every check;
    - generative: the model writes; each sentence is shown only once it is supported by
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
        mode: AnswerMode | str = AnswerMode.GROUNDED,
    ):
        written = [m.value for m in AnswerMode if m is not AnswerMode.AUTO]
        if mode not in written:
            raise StudyError(f"answer mode {mode!r} is unknown here",
                             f"use one of {', '.join(written)}, or decide auto with core.modes.answer_mode_for")
        self.retriever = retriever
        self.llm = llm
        self.max_sources = max_sources
        self.answer_tokens = answer_tokens
        index = retriever.index
        self.checker = checker or SupportChecker(index.embed_model)
        self.scope = scope
        self.mode = AnswerMode(mode)
        # Sources scoring far below the best one confuse small models more than they help:
        # the prompt gets those within `source_margin` of the top (None: all top sources).
        self.source_margin = source_margin
        self.decider = Decider(scope, top_k)
        self.composer = self.decider.composer
        titles_and_text = [f"{c.title}\n{c.text}" for c in index.chunks]
        self.leaks = LeakDetector([SYSTEM, COMPLETION_EXAMPLE, HYBRID_SYSTEM], allowed=titles_and_text)

    @property
    def top_k(self) -> int:
        """How many questions each turn retrieves (the decider's)."""
        return self.decider.top_k

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
        decision = self.decider.decide(question, [t.question for t in history], section)
        query, hits, verdict, grounded, cover = (decision.query, decision.hits, decision.scope, decision.grounded,
                                                 decision.cover)
        # first_token_ms: when the learner first sees text (the first checked sentence).
        timings = {"retrieval_ms": ms(), "first_token_ms": 0, "total_ms": 0}
        if decision.refused:
            text = refusal(question, verdict.nearest, verdict.missing_number)
            yield text
            timings["first_token_ms"] = timings["total_ms"] = ms()
            yield Answer(question, text, [], verdict.nearest, refused=True, timings=timings, mode=self.mode,
                         coverage=cover.coverage.value)
            return
        lead = cover.lead
        if self.source_margin is not None and hits:
            hits = [h for h in hits if h.score >= hits[0].score - self.source_margin]
        if self.mode is AnswerMode.GENERATIVE:
            yield from self._generate(question, query, history, hits, grounded, cover, timings, ms)
            return
        yield lead + grounded.text
        timings["first_token_ms"] = ms()
        answer = Answer(question, lead + grounded.text, grounded.citations, grounded.sources, timings=timings,
                        mode=self.mode, coverage=cover.coverage.value, not_covered=list(cover.missing))
        if self.mode is AnswerMode.HYBRID:
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
        sources, citations = prompt.sources, gate.citations
        fell_back = completed = False
        refused = gate.model_refused and not shown and not lead
        if refused:
            shown = refusal(question, cover.scope.nearest, cover.scope.missing_number)
            sources, citations = cover.scope.nearest, []
            yield shown
        elif not gate.says_something():
            # Nothing checkable survived (empty, all prompt talk, all contradicted): the
            # learner gets the guide's own lines rather than nothing.
            sep = "\n\n" if shown else ""
            shown += sep + grounded.text
            yield sep + grounded.text
            fell_back, sources, citations = True, grounded.sources, grounded.citations
        elif missing := self._unstated(shown, grounded):
            # What survived the checks is true but no longer answers: a fragment, or a
            # sentence beside the point. The guide's own lines for the missing points follow.
            extra = f"\n\n{COMPLETED_LEAD}\n\n{missing}"
            shown += extra
            yield extra
            completed = True
            citations = list(dict.fromkeys([*citations, *grounded.citations]))
            sources = list({h.chunk.id: h for h in [*sources, *grounded.sources]}.values())
        if not timings["first_token_ms"]:
            timings["first_token_ms"] = ms()
        timings["total_ms"] = ms()
        yield Answer(
            question, (lead + shown).strip(), citations, sources, refused=refused,
            unsupported_sentences=gate.unsupported, timings=timings, complete=error is None, error=error,
            mode=self.mode, fell_back=fell_back, completed_from_guide=completed, removed_sentences=gate.removed,
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
        # A sentence cut off by the token limit is not shown: only a finished one may close the answer.
        pieces = gate.accepted or [p for p in gate.finish(sanitize_markdown(raw)) if _finished(p)]
        answer.removed_sentences = gate.removed
        if pieces and gate.says_something():
            summary = "\n\n*In short:* " + pieces[0].strip()
            answer.answer += summary
            yield summary


def _finished(sentence: str) -> bool:
    """
    >>> _finished("GQA groups heads [Q38]."), _finished("Many Q heads, fast, low quality [Q38")
    (True, False)
    """
    return sentence.rstrip().endswith((".", "!", "?", "]", ")"))


class Chat:
    """One conversation: the assistant plus every turn so far, however it ended.
    `on_turn(turn, history)` runs for each turn kept (e.g. to save it)."""

    def __init__(self, assistant: Assistant, on_turn: Callable[[Turn, list[str]], None] | None = None):
        self.assistant = assistant
        self.turns: list[Turn] = []
        self.on_turn = on_turn

    def _keep(self, turn: Turn) -> None:
        history = [t.question for t in self.turns]
        self.turns.append(turn)
        if self.on_turn is not None:
            self.on_turn(turn, history)

    def ask_stream(self, question: str, section: str | None = None) -> Iterator[str | Answer]:
        """The assistant's stream, keeping the turn whatever happens: answered, failed with
        a StudyError (kept with the error, then raised), or interrupted part-way because the
        learner stopped it (kept with the text shown so far, then raised). A question that cannot be
        asked at all (empty, too long) raises before it becomes a turn."""
        question = check_question(question)
        shown = ""
        try:
            for item in self.assistant.ask_stream(question, self.turns, section):
                if isinstance(item, Answer):
                    self._keep(Turn(item.question, item))
                else:
                    shown += item
                yield item
        except Exception as err:  # a StudyError, or a fault: the question and the text shown stay
            error = str(err) if isinstance(err, StudyError) else f"{type(err).__name__}: {err}"
            self._keep(Turn(question, Answer(question, shown, [], [], complete=False, error=error)))
            raise
        except BaseException:
            # Interrupted before its Answer: closed by the caller, or a Stop / Ctrl-C raised
            # from inside the model's stream (Streamlit raises its rerun there, a BaseException).
            self._keep(Turn(question, Answer(question, shown, [], [], complete=False, stopped=True)))
            raise

    def ask(self, question: str, section: str | None = None) -> Answer:
        *_, answer = self.ask_stream(question, section)
        return answer

    def reset(self) -> None:
        self.turns.clear()
