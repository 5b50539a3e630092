"""Grade a learner's answer against the guide's reference answer, in code.

The reference answer's lines are its key points (bullets, statements). A key point is
covered when one of the learner's sentences says the same thing (MiniLM cosine) or uses
most of its terms, abbreviations expanded on both sides ("K/V" vs "key/value", "MQA" vs
"multi-query attention"). The score mixes coverage of key points with the similarity of
the whole answer to the reference, so an on-topic answer that is vague scores low but
not zero, and an off-topic one scores near zero. No LLM is needed; a stronger backend can
phrase the feedback, but the numbers never depend on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.core.errors import StudyError
from assistant.core.sentences import split_sentences
from assistant.core.text import content_terms

MAX_ANSWER_CHARS = 5000
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_HEADING = re.compile(r"^Q\d+\.\s")  # the chunk's own "Q38. <title>" line
_MARKUP = re.compile(r"\*\*|__|`|\$+|\\[a-zA-Z]+|[{}^_]")


def key_points(text: str) -> list[str]:
    """The reference answer's lines worth checking, in order, without Markdown.

    >>> key_points("**Answer:**\\nTrade-off:\\n- **MQA**: one K/V head (fast).\\n- **GQA**: groups of K/V heads.")
    ['MQA: one K/V head (fast).', 'GQA: groups of K/V heads.']
    """
    points = []
    for line in text.splitlines():
        line = _MARKUP.sub("", _BULLET.sub("", line)).strip()
        words = re.findall(r"[A-Za-z0-9]+", line)
        if line.lower().startswith("answer:") or len(words) < 3 or _HEADING.match(line):
            continue
        if line.endswith(":") and len(words) < 6:  # an intro to a list, not a point
            continue
        if line.startswith(">"):  # Markdown notes/tips: asides, not the answer
            continue
        points.append(line)
    return points


@dataclass
class Grade:
    question: int
    title: str
    score: int
    covered: list[str]
    missed: list[str]
    reference: str
    similarity: float = 0.0
    feedback: str = field(default="")

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "title": self.title,
            "score": self.score,
            "covered": self.covered,
            "missed": self.missed,
            "reference": self.reference,
            "feedback": self.feedback,
        }


def check_answer(answer: str) -> str:
    a = (answer or "").strip()
    if not a:
        raise StudyError("the answer is empty", "write what you would say in the interview, then grade it")
    if len(a) > MAX_ANSWER_CHARS:
        raise StudyError(
            f"the answer is {len(a):,} characters long (the limit is {MAX_ANSWER_CHARS:,})", "answer in a few sentences"
        )
    return a


class Grader:
    """Built on the retriever: its chunks are the references, its lexicon expands terms."""

    COVER_COSINE = 0.6
    COVER_TERMS = 0.6

    def __init__(self, retriever):
        self.retriever = retriever
        self._points: dict[int, tuple[list[str], np.ndarray]] = {}

    def chunk(self, number: int):
        index = self.retriever.by_number.get(number)
        if index is None:
            known = sorted(self.retriever.by_number)
            raise StudyError(
                f"the guide has no question {number}", f"pick a question number from {known[0]} to {known[-1]}"
            )
        return self.retriever.chunks[index]

    def terms(self, text: str) -> set[str]:
        """Content terms with the guide's abbreviations expanded ("K/V" and "key/value" meet)."""
        lex = self.retriever.lexicon
        return set(content_terms(f"{text} {lex.normalise(text)} {lex.expand_document(text)}"))

    def _reference(self, number: int) -> tuple[list[str], np.ndarray]:
        if number not in self._points:
            points = key_points(self.chunk(number).text) or [self.chunk(number).title]
            vectors = np.array(self.retriever.embed_model.get_text_embedding_batch(points), dtype=np.float32)
            self._points[number] = (points, vectors)
        return self._points[number]

    def grade(self, number: int, answer: str) -> Grade:
        chunk = self.chunk(number)
        answer = check_answer(answer)
        points, point_vecs = self._reference(number)
        # Clauses as well as sentences: learners chain several points in one sentence.
        sentences = split_sentences(answer)
        clauses = [u.strip() for s in sentences for u in re.split(r"[;,]|\bwhile\b|\bwhereas\b", s)]
        units = list(dict.fromkeys(sentences + [c for c in clauses if len(c.split()) >= 3]))
        embed = self.retriever.embed_model
        unit_vecs = np.array(embed.get_text_embedding_batch(units + [answer]), dtype=np.float32)
        cosine = point_vecs @ unit_vecs.T  # points x (units + whole answer)
        answer_terms = self.terms(answer)
        covered, missed = [], []
        for i, point in enumerate(points):
            terms = self.terms(point)
            term_share = len(terms & answer_terms) / len(terms) if terms else 0.0
            if cosine[i].max() >= self.COVER_COSINE or term_share >= self.COVER_TERMS:
                covered.append(point)
            else:
                missed.append(point)
        reference_vec = np.array(embed.get_text_embedding(f"{chunk.title}\n{chunk.text}"), dtype=np.float32)
        similarity = float(unit_vecs[-1] @ reference_vec)
        # Similarity below 0.2 is what unrelated text scores; 0.8 is a near-restatement.
        closeness = min(1.0, max(0.0, (similarity - 0.2) / 0.6))
        score = round(100 * (0.6 * len(covered) / len(points) + 0.4 * closeness))
        reference = "\n".join(line for line in chunk.text.splitlines() if not _HEADING.match(line)).strip()
        grade = Grade(number, chunk.title, score, covered, missed, reference, similarity)
        grade.feedback = feedback(grade)
        return grade


def feedback(grade: Grade) -> str:
    """Plain feedback a learner can act on, written in code so it never invents facts.

    >>> feedback(Grade(38, "GQA?", 40, ["MQA: one K/V head."], ["GQA: groups of K/V heads."], ""))
    'Partly there (40/100). You covered: MQA: one K/V head. Still missing: GQA: groups of K/V heads.'
    """
    verdict = "Strong answer" if grade.score >= 80 else "Partly there" if grade.score >= 40 else "Not yet"
    parts = [f"{verdict} ({grade.score}/100)."]
    if grade.covered:
        parts.append("You covered: " + " ".join(grade.covered))
    if grade.missed:
        parts.append("Still missing: " + " ".join(grade.missed))
    return " ".join(parts)


COACH_SYSTEM = (
    "You are an interview coach. In two or three short sentences, tell the learner what their answer "
    "got right and what to add next time. Use only the key points given; do not add facts."
)


def coaching_prompt(grade: Grade) -> list[dict]:
    """Messages asking an LLM to phrase the grade as feedback. The score and the points come
    from the code above; the model only words them, so a weak model cannot change a grade.

    >>> coaching_prompt(Grade(38, "GQA?", 40, ["MQA: one K/V head."], ["GQA: groups."], ""))[1]["content"][:34]
    'Question: GQA?\\nScore: 40/100\\nCover'
    """
    covered = "; ".join(grade.covered) or "none"
    missed = "; ".join(grade.missed) or "none"
    user = f"Question: {grade.title}\nScore: {grade.score}/100\nCovered: {covered}\nMissed: {missed}"
    return [{"role": "system", "content": COACH_SYSTEM}, {"role": "user", "content": user}]
