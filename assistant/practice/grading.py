"""Grade a learner's answer against the guide's reference answer, in code.

The reference answer's facts (`core.facts`: one plain sentence per bullet, table row or
statement) are its key points, and each earns credit on its own (`matching`): in full when
the learner says it, in part when they come close or only name what it is about. Each
sentence is also checked the way a model's sentence is (`mistakes`): a contradicted clause
earns nothing, is quoted beside the guide's fact, costs points and keeps the grade below
Good; a sentence the guide does not back earns nothing, costs a little and keeps the grade
below Easy. No LLM is needed; a stronger backend can phrase the feedback, but the numbers
never depend on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.errors import StudyError
from assistant.core.facts import key_facts
from assistant.core.names import named_in
from assistant.core.sentences import split_sentences
from assistant.core.text import stem
from assistant.practice.matching import Matcher
from assistant.practice.mistakes import Contradiction, find_mistakes, without

MAX_ANSWER_CHARS = 5000
_HEADING = re.compile(r"^Q(\d+)\.\s")  # the chunk's own "Q38. <title>" line


def key_points(text: str) -> list[str]:
    """The reference answer's facts, in order, as plain sentences (notes and tips left out).

    >>> key_points("Q38. T\\n\\nTrade-off:\\n- **MQA**: one K/V head (fast).\\n- **GQA**: groups of K/V heads.")
    ['MQA: one K/V head (fast).', 'GQA: groups of K/V heads.']
    """
    heading = _HEADING.match(text)
    return key_facts(int(heading.group(1)) if heading else 0, text)


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
    contradictions: list[Contradiction] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # key points only named, not what the guide says of them

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "title": self.title,
            "score": self.score,
            "covered": self.covered,
            "named": self.named,
            "missed": self.missed,
            "contradictions": [c.as_dict() for c in self.contradictions],
            "unsupported": self.unsupported,
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
    """Built on the guide's index: its chunks are the references, its lexicon expands terms."""

    CONTRADICTION_COST, UNSUPPORTED_COST = 15, 5
    BELOW_GOOD, BELOW_EASY = 59, 84  # the caps: schedule.RATING_FLOORS rates 60 Good, 85 Easy

    def __init__(self, index):
        self.index = index
        self.matcher = Matcher(index)
        guide = "\n".join(c.text for c in index.chunks).lower()
        words = set(re.findall(r"[a-z0-9]+", guide))
        words |= {stem(w) for w in words}
        self.known_name = lambda name: named_in(name, guide, words)  # anywhere in the guide

    def chunk(self, number: int):
        chunk = self.index.chunk(number)
        if chunk is None:
            known = sorted(self.index.by_number)
            raise StudyError(
                f"the guide has no question {number}", f"pick a question number from {known[0]} to {known[-1]}"
            )
        return chunk

    def terms(self, text: str) -> set[str]:
        return self.matcher.terms(text)

    def grade(self, number: int, answer: str) -> Grade:
        chunk = self.chunk(number)
        answer = check_answer(answer)
        ref = self.matcher.reference(chunk)
        sentences = split_sentences(answer)
        contradictions, claims, figures = find_mistakes(sentences, chunk, self.known_name)
        clean, units = _creditable(sentences, contradictions, figures)
        clean_answer = ". ".join(clean)
        credit = self.matcher.credits(ref, units, clean_answer) if clean else [0.0] * len(ref.points)
        similarity = self.closeness(chunk, clean_answer) if clean else 0.0
        # Similarity below 0.2 is what unrelated text scores; 0.8 is a near-restatement.
        closeness = min(1.0, max(0.0, (similarity - 0.2) / 0.6))
        kept = [s for s in sentences if s.strip(" ,;.") in clean]
        unsupported = list(dict.fromkeys(claims + self.matcher.unbacked(ref, kept)))
        score = self.score(sum(credit) / len(credit), closeness, len(contradictions), len(unsupported))
        reference = "\n".join(line for line in chunk.text.splitlines() if not _HEADING.match(line)).strip()
        # Naming what a point is about earns part of its credit, but is not having covered it.
        named = [p for p, c in zip(ref.points, credit) if c == self.matcher.NAMED_CREDIT]
        grade = Grade(number, chunk.title, score, [p for p, c in zip(ref.points, credit) if c >= 0.5 and p not in named],
                      [p for p, c in zip(ref.points, credit) if c < 0.5], reference, similarity,
                      contradictions=contradictions, unsupported=unsupported, named=named)
        grade.feedback = feedback(grade)
        return grade

    def closeness(self, chunk, text: str) -> float:
        vectors = self.matcher.embed([text, f"{chunk.title}\n{chunk.text}"])
        return float(vectors[0] @ vectors[1])

    @classmethod
    def score(cls, coverage: float, closeness: float, contradictions: int, unsupported: int) -> int:
        """60% facts stated, 40% closeness to the guide's answer, less what is wrong or unbacked.
        Closeness counts only as far as facts back it (in full from half the facts): an answer
        in the guide's words that states none of its facts is not partly right.

        >>> g = Grader
        >>> g.score(1.0, 1.0, 0, 0), g.score(1.0, 1.0, 1, 0), g.score(1.0, 1.0, 0, 1), g.score(0.0, 1.0, 0, 0)
        (100, 59, 84, 0)
        """
        score = round(100 * (0.6 * coverage + 0.4 * closeness * min(1.0, coverage / 0.5)))
        score -= cls.CONTRADICTION_COST * contradictions + cls.UNSUPPORTED_COST * min(unsupported, 3)
        if contradictions:
            score = min(score, cls.BELOW_GOOD)
        if unsupported:
            score = min(score, cls.BELOW_EASY)
        return max(0, score)


def _creditable(sentences: list[str], contradictions: list[Contradiction], claims: list[str]):
    """What may earn credit: the sentences without their contradicted clauses and without
    those stating a figure the guide does not (`claims`), and their clauses too, since
    learners chain several points in one.

    >>> _creditable(["MQA is fast, GQA groups K/V heads", "It has 8 heads."], [], ["It has 8 heads."])[1]
    ['MQA is fast, GQA groups K/V heads', 'MQA is fast', 'GQA groups K/V heads']
    """
    kept = [without(s, contradictions).strip(" ,;.") for s in sentences if s not in claims]
    clean = [s for s in kept if len(s.split()) >= 2]
    clauses = [u.strip() for s in clean for u in re.split(r"[;,]|\bwhile\b|\bwhereas\b", s)]
    return clean, list(dict.fromkeys(clean + [c for c in clauses if len(c.split()) >= 3]))


def feedback(grade: Grade) -> str:
    """Plain feedback a learner can act on, written in code so it never invents facts.

    The verdict words follow the FSRS rating the score gets (schedule.RATING_FLOORS).

    >>> feedback(Grade(38, "GQA?", 40, ["MQA: one K/V head."], ["GQA: groups of K/V heads."], "", named=["MHA"]))
    'Partly there (40/100). You covered: MQA: one K/V head. You named, without what the guide says of it: MHA. Still missing: GQA: groups of K/V heads.'
    """
    verdict = ("Strong answer" if grade.score >= 85 else "Good answer" if grade.score >= 60
               else "Partly there" if grade.score >= 40 else "Not yet")
    parts = [f"{verdict} ({grade.score}/100)."]
    if grade.contradictions:
        parts.append("Contradicts the guide: " + " ".join(f"{c}." for c in grade.contradictions))
    for label, points in (("You covered", grade.covered),
                          ("You named, without what the guide says of it", grade.named),
                          ("Still missing", grade.missed),
                          ("Not backed by the guide's answer, check", grade.unsupported)):
        if points:
            parts.append(f"{label}: " + "; ".join(p.rstrip(" .;") for p in points) + ".")
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
    wrong = "; ".join(str(c) for c in grade.contradictions) or "none"
    user = f"Question: {grade.title}\nScore: {grade.score}/100\nCovered: {covered}\nMissed: {missed}\nWrong: {wrong}"
    return [{"role": "system", "content": COACH_SYSTEM}, {"role": "user", "content": user}]
