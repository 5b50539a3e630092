"""Mistakes in a learner's answer, found and named with the checks that guard a model's answer.

Each sentence of the answer goes through `check_statement` against the question's guide
answer. A reversed attribute ("MQA uses high VRAM"), a name or a number the guide gives
another thing ("GQA has 1 K/V head"), or two attributes it gives another thing ("low
temperature is random and creative", which the guide says of High) is a contradiction,
quoted beside the guide's fact it contradicts. One shared word alone is not: a learner's
paraphrase borrows words ("input", "query") that the guide happens to use elsewhere. A
number the guide does not state of that thing, or a name it never uses, makes the sentence
unsupported.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.core.facts import Fact, facts_of, quote
from assistant.core.statements import CONTRADICTIONS, Problem, check_statement
from assistant.core.text import content_terms
from assistant.core.types import Chunk


@dataclass(frozen=True)
class Contradiction:
    """What the learner said, and the guide's fact it contradicts."""

    sentence: str
    guide_line: str
    question: int

    def as_dict(self) -> dict:
        return {"sentence": self.sentence, "guide_line": self.guide_line}

    def __str__(self) -> str:
        """
        >>> str(Contradiction("high temperature is deterministic", "Low (0.1 - 0.5): Deterministic.", 11))
        'You said "high temperature is deterministic"; the guide: "Low (0.1 - 0.5): Deterministic." [Q11]'
        """
        return f'You said "{self.sentence}"; the guide: "{self.guide_line}" [Q{self.question}]'


def _guide_line(problem: Problem, chunk: Chunk, said: str) -> str:
    """The fact of the problem's guide block closest in words to what was said."""
    facts = [f for f in facts_of(chunk.number, chunk.text) if problem.source is None or f.block == problem.source]
    if not facts:
        return problem.detail
    terms = set(content_terms(said))
    best: Fact = max(facts, key=lambda f: len(terms & set(content_terms(f.text))))
    return quote(best)


def find_mistakes(sentences: list[str], chunk: Chunk, known_name=lambda name: False
                  ) -> tuple[list[Contradiction], list[str], list[str]]:
    """The contradictions in the learner's sentences (one per clause at fault), the
    sentences the checks find unsupported (numbers or names the guide does not state), and
    of those the ones with a figure the guide does not state: a changed figure is likely a
    wrong fact, where a name the guide never uses ("gRPC") is likely what the learner knows
    besides. A name `known_name` knows (one the guide uses in another question: "GPUs") is
    the learner's general knowledge, not an invention.

    >>> q38 = Chunk("Q38", 38, "Explain GQA.", "T", "Q38. Explain GQA.\\n\\n- **MQA (Multi-Query)**: Many Q heads, **1** K/V head (Fast, low VRAM).\\n- **GQA (Grouped Query)**: Groups of K/V heads. Used in Llama 2/3.")
    >>> wrong, unsupported, figures = find_mistakes(["MQA is slow.", "GQA has 2 K/V heads.", "GQA pairs well with PagedAttention."], q38)
    >>> [str(c) for c in wrong], unsupported, figures
    (['You said "MQA is slow"; the guide: "MQA (Multi-Query): Many Q heads, 1 K/V head (Fast, low VRAM)." [Q38]'], ['GQA has 2 K/V heads.', 'GQA pairs well with PagedAttention.'], ['GQA has 2 K/V heads.'])
    """
    found: dict[str, Contradiction] = {}
    unsupported, figures = [], []
    for sentence in sentences:
        problems = [p for p in check_statement(sentence, [chunk], chunk.title)
                    if not (p.kind == "unnamed" and known_name(p.term))]
        wrong = _contradicting(problems)
        mine = [c for c in found.values() if c.sentence in sentence]
        for p in wrong:
            said = (p.said or sentence).strip().rstrip(".!?")
            if said in found or (not p.said and mine):
                continue  # one quote per clause: the first problem found names it best
            found[said] = Contradiction(said, _guide_line(p, chunk, said), chunk.number)
            mine.append(found[said])
        if not wrong and any(p.kind in _UNBACKED for p in problems):
            unsupported.append(sentence)
            if any(p.kind == "number" for p in problems):
                figures.append(sentence)
    return list(found.values()), unsupported, figures


# A number or a name the guide does not give: the sentence claims what the guide does not
# back. Words the guide does not use ("unstated") are left to the grader's similarity check:
# a learner's paraphrase is in their own words.
_UNBACKED = frozenset({"number", "unnamed"})


def _contradicting(problems: list[Problem]) -> list[Problem]:
    """The problems that show a contradiction: all but a swap of a single word, unless the
    same clause gives a second word of that same other thing ("low temperature is random and
    creative": both High's) or also reverses an attribute ("high temperature is
    deterministic": the guide says "deterministic" of Low and "random" of High; the quote is
    then Low's line). Two words of two different things ("acts by calling a tool such as a
    weather API", where "tool" is in one step's line and "API" in another's) are a learner's
    own way of putting it."""
    words = Counter((p.said, p.source) for p in problems if p.kind == "swapped" and p.term)
    reversed_ = {p.said for p in problems if p.kind == "negation"}
    return [p for p in problems if p.kind in CONTRADICTIONS and (
        p.kind != "swapped" or not p.term or p.term.isdigit() or words[(p.said, p.source)] >= 2
        or p.said in reversed_)]


def without(text: str, contradictions: list[Contradiction]) -> str:
    """The text with the contradicted clauses taken out: what may still earn credit.

    >>> without("low is random, high is deterministic. Medium is balanced.", [Contradiction("high is deterministic", "", 11)])
    'low is random, . Medium is balanced.'
    """
    for c in contradictions:
        text = re.sub(re.escape(c.sentence), "", text)
    return text
