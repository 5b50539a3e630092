"""One learner turn, read once and passed to retrieval, scope, composition and coverage
(llama-index's `QueryBundle` plays the same part there).

Reading a turn decides two things every later step depends on:
- is it a follow-up? Only when it leans on the conversation (`leans_on_conversation`), not
  because it says "the" or "one"; a standalone question mid-chat is read on its own;
- which of the guide's questions does it name? "Q38" and "question 38" do; "Apple's Q3
  earnings" and "#1 pizza" do not: a number names a guide question only when the rest of
  the turn is about that question (shares its words) or about nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.text import STOPWORDS, content_terms
from assistant.core.types import Chunk
from assistant.retrieval.followup import leans_on_conversation, named_questions, without_numbers

# Words that only say "tell me about that question": "what does Q38 say?", "summarise question 12".
_REFERENCE_TERMS = frozenset(
    content_terms("say says said cover covers covered summarize summarise summary according read show number mention")
)


@dataclass(frozen=True)
class GuideQuery:
    """A turn as every layer sees it."""

    text: str  # the learner's words, markup removed
    history: tuple[str, ...] = ()  # the earlier questions of the conversation, oldest first
    section: str | None = None
    followup: bool = False  # leans on the earlier turns
    numbers: tuple[int, ...] = ()  # guide questions it names, in order (may be out of range)

    @property
    def searchable(self) -> str:
        """The words retrieval scores: a number that names no guide question ("Apple's Q3
        earnings") would pull that question up by its "Q3", so it is left out."""
        return self.text if self.numbers or not named_questions(self.text) else without_numbers(self.text)

    @property
    def context(self) -> str:
        """What a follow-up leans on: the last two questions ("" for a standalone turn)."""
        return " ".join(self.history[-2:]) if self.followup else ""

    @property
    def probe(self) -> str:
        """The turn with what it leans on, for judging scope: "explain GQA vs MQA and which
        one uses less VRAM?"."""
        return f"{self.history[-1]} {self.text}" if self.followup else self.text


class QueryReader:
    """Reads turns against one guide (its question numbers and their words)."""

    def __init__(self, chunks: Sequence[Chunk]):
        self._terms = {c.number: set(content_terms(f"{c.title} {c.text}")) for c in chunks}

    def read(self, text: str, history: Sequence[str] = (), section: str | None = None) -> GuideQuery:
        """>>> from assistant.core.types import Chunk
        >>> reader = QueryReader([Chunk("Q3", 3, "Components of a generative AI system?", "S", "Training data.")])
        >>> reader.read("what were Apple's Q3 earnings?").numbers, reader.read("what's in question 3").numbers
        ((), (3,))
        >>> reader.read("and the training data?", ["what does Q3 say?"]).followup
        True
        """
        history = tuple(h for h in history if h.strip())
        return GuideQuery(
            text=text,
            history=history,
            section=section,
            followup=bool(history) and leans_on_conversation(text),
            numbers=tuple(self.guide_numbers(text)),
        )

    def guide_numbers(self, text: str) -> list[int]:
        """The numbers in `text` that name the guide's questions.

        A number names one when the rest of the turn is only about it ("explain Q38", "what
        does question 101 say?") or shares a word with that question ("what does Q38 say
        about MQA?"); otherwise it is something else's ("Q3 earnings", "#1 pizza").
        """
        numbers = named_questions(text)
        if not numbers:
            return []
        # "what's" is "what": a contraction of a function word names nothing
        rest = {t for t in content_terms(without_numbers(text)) if t.split("'")[0] not in STOPWORDS}
        rest -= _REFERENCE_TERMS
        if not rest:
            return numbers
        return [n for n in numbers if rest & self._terms.get(n, set())]
