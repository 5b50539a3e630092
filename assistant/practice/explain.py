""""Explain it back": the learner picks a question and explains it as if teaching it.

The explanation is graded like an interview answer (key points covered, closeness to the
guide's answer), and each of its sentences is also checked the other way round: a sentence
that nothing in the guide's answer backs is listed, because explaining is where
misconceptions show. Like grading, this is all code and MiniLM: no LLM, nothing invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.core.sentences import split_sentences
from assistant.practice.grading import Grade, Grader, key_points

# A sentence is backed by the guide when it is this close (MiniLM cosine) to one of the
# answer's key points or sentences, or when most of its terms are the answer's own.
BACKED_COSINE = 0.5
BACKED_TERMS = 0.6


@dataclass
class Explanation:
    grade: Grade
    unbacked: list[str] = field(default_factory=list)  # the learner's sentences the guide does not back

    def as_dict(self) -> dict:
        return {**self.grade.as_dict(), "mode": "explain", "not_in_guide": self.unbacked}

    @property
    def feedback(self) -> str:
        """The grade's feedback, then the sentences to check.

        >>> grade = Grade(1, "T", 90, ["a b c"], [], "", feedback="Strong (90/100).")
        >>> print(Explanation(grade, ["Cats fly."]).feedback)
        Strong (90/100). Not in the guide's answer, check these: Cats fly.
        """
        if not self.unbacked:
            return self.grade.feedback
        return f"{self.grade.feedback} Not in the guide's answer, check these: " + " ".join(self.unbacked)


class Explainer:
    def __init__(self, grader: Grader):
        self.grader = grader
        self._units: dict[int, tuple[set[str], np.ndarray]] = {}

    def _guide(self, number: int) -> tuple[set[str], np.ndarray]:
        """The guide's answer for one question: its terms, and its key points' and sentences' vectors."""
        if number not in self._units:
            chunk = self.grader.chunk(number)
            units = list(dict.fromkeys([chunk.title, *key_points(chunk.text), *split_sentences(chunk.text)]))
            vectors = self.grader.retriever.embed_model.get_text_embedding_batch(units)
            self._units[number] = (self.grader.terms(chunk.text), np.array(vectors, dtype=np.float32))
        return self._units[number]

    def explain(self, number: int, text: str) -> Explanation:
        grade = self.grader.grade(number, text)  # checks the number and the text first
        guide_terms, guide_vecs = self._guide(number)
        sentences = split_sentences(text.strip())
        vectors = np.array(self.grader.retriever.embed_model.get_text_embedding_batch(sentences), dtype=np.float32)
        closest = (vectors @ guide_vecs.T).max(axis=1)
        unbacked = []
        for sentence, cosine in zip(sentences, closest):
            terms = self.grader.terms(sentence)
            share = len(terms & guide_terms) / len(terms) if terms else 1.0
            if cosine < BACKED_COSINE and share < BACKED_TERMS:
                unbacked.append(sentence)
        return Explanation(grade, unbacked)
