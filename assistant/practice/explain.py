""""Explain it back": the learner picks a question and explains it as if teaching it.

The explanation is graded like an interview answer (facts stated, closeness to the guide's
answer, contradictions named), and its unsupported sentences, the ones nothing in the
guide's answer backs, are listed for the learner to check, because explaining is where
misconceptions show. Like grading, this is all code and MiniLM: no LLM, nothing invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.practice.grading import Grade, Grader


@dataclass
class Explanation:
    grade: Grade
    unbacked: list[str] = field(default_factory=list)  # the learner's sentences the guide does not back

    def as_dict(self) -> dict:
        return {**self.grade.as_dict(), "mode": "explain", "not_in_guide": self.unbacked}

    @property
    def feedback(self) -> str:
        """The grade's feedback, which already lists the sentences to check."""
        return self.grade.feedback


class Explainer:
    def __init__(self, grader: Grader):
        self.grader = grader

    def explain(self, number: int, text: str) -> Explanation:
        grade = self.grader.grade(number, text)  # checks the number and the text first
        return Explanation(grade, grade.unsupported)
