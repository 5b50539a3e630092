"""What one turn of a conversation is: the question as checked, and the answer it got.

`Answer` is what every front end renders and `study ask --json` prints; `Turn` is a
question with its answer, as a conversation keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answering.coverage import Coverage
from assistant.core.errors import StudyError
from assistant.core.modes import AnswerMode
from assistant.core.sanitize import strip_control
from assistant.core.types import Hit

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


class Question(str):
    """A question that passed `check_question`: every layer after the first takes it as is."""


def check_question(question: str) -> Question:
    """The question, stripped; StudyError before any model call when it cannot be asked.
    Checked once: a `Question` passes straight through.

    >>> check_question("  what is GQA? ")
    'what is GQA?'
    """
    if isinstance(question, Question):
        return question
    q = strip_control(question or "").strip()
    if not q:
        raise StudyError("the question is empty", "type a question about the guide, e.g. `explain GQA vs MQA`")
    if len(q) > MAX_QUESTION_CHARS:
        raise StudyError(
            f"the question is {len(q):,} characters long (the limit is {MAX_QUESTION_CHARS:,})",
            "ask the question itself, without pasted documents",
        )
    return Question(q)


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
    #: who wrote it (never auto: that is decided before answering)
    mode: AnswerMode = AnswerMode.GROUNDED
    #: generative: nothing the model wrote held up, so the text is the guide's own lines
    fell_back: bool = False
    #: generative: the model's checked sentences left out key points; the guide's lines follow
    completed_from_guide: bool = False
    #: the learner stopped it part-way: the text is what was shown until then
    stopped: bool = False
    #: sentences the model wrote that were not shown: {"sentence", "reason"}
    removed_sentences: list[dict] = field(default_factory=list)
    #: does the guide answer what was asked: "answered" | "partial" | "not_covered"
    coverage: str = Coverage.ANSWERED.value
    #: what the guide does not cover of the question, in the learner's words
    not_covered: list[str] = field(default_factory=list)

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
            "coverage": self.coverage,
            "not_covered": self.not_covered,
            "mode": str(self.mode),
            "fell_back": self.fell_back,
            "completed_from_guide": self.completed_from_guide,
            "stopped": self.stopped,
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
