"""Does a sentence say what its cited source says? Checks for contradictions, not similarity.

A sentence can share most of its words with a source and still be false: "GQA: Multi-Head
(High VRAM) and 1 K/V head" resembles Q38 closely while pairing GQA with MHA's and MQA's
attributes. Four checks, each on the cited questions' text:
- swapped: an attribute said of one thing that the source says only of another thing it
  names, or one thing called by another's name ("MQA: Grouped Query");
- number: a number (or number word) the source never states;
- negation: negated where the closest source line is not, or the reverse, or an
  antonym of the source's word ("slow" where the source says "fast");
- unnamed: a name (acronym, CamelCase, model name) the source never mentions;
- unstated: mostly words that neither the source nor the learner's question uses
  ("... other factors such as noise, context and difficulty").
The things a source is about are the guide's own bold leads ("**MQA (Multi-Query)**:"),
so the check needs no model and no entity list of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.blocks import Block, blocks_of
from assistant.core.text import STOPWORDS, content_terms, stem, tokens
from assistant.core.types import Chunk
from assistant.retrieval.glossary import ABBREVIATIONS

_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "single": "1", "twice": "2", "half": "0.5",
    "hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000",
}
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])|(?<=[A-Za-z-])\d+(?:\.\d+)?")
_NEGATION = frozenset("not no never without cannot cant dont doesnt isnt arent wont neither nor none".split())
_ANTONYMS = {
    "fast": "slow", "high": "low", "higher": "lower", "more": "less", "increase": "decrease",
    "better": "worse", "cheap": "expensive", "cheaper": "expensive", "large": "small", "larger": "smaller",
    "bidirectional": "unidirectional", "static": "dynamic", "dense": "sparse", "supervised": "unsupervised",
    "deterministic": "random", "past": "future", "reduce": "increase", "reduces": "increases",
}
_ANTONYMS.update({b: a for a, b in list(_ANTONYMS.items())})
# A name: an acronym (GQA, BM25), CamelCase (LoRA, PagedAttention), a word with digits
# (GPT-4), or, inside a sentence, a capitalised word and its version ("the Llama 2 model"):
# seen in a real Gemma answer that tied LoRA to Llama 2, which Q63 never names.
_NAME = re.compile(
    r"\b(?:(?:[A-Z]{2,}[A-Za-z0-9]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*)(?:-\d[\w.]*)?|[A-Za-z]+-?\d[\w.]*)\b"
    r"|(?<=[a-z,] )(?!(?:Step|Stage|Phase|Part|Type|Level|Layer|Table|Figure|Section|Version|Option|Method) )"
    r"[A-Z][a-z]+ \d(?:[\w.]*\w)?\b"
)
# Joining words that make "X: Y", "X (Y)", "X is Y" a claim that X is Y.
_ALIAS_LINK = re.compile(r"^\s*(?:[:=(\-\u2013\u2014]|is|aka|also called|or)?\s*(?:an?|the)?\s*$", re.I)
_MARKER = re.compile(r"\[Q\d{1,3}(?:,\s*Q\d{1,3})*\]")
# Words that frame a statement without adding a fact ("an important aspect of").
_FRAMING = frozenset(
    content_terms(
        """important key crucial essential fundamental aspect concept idea approach method technique way
        helps allows lets ensures basically simply generally typically usually often commonly process step
        note refers called known means kind type types various different overall main primary model models"""
    )
)


@dataclass(frozen=True)
class Problem:
    kind: str  # "swapped" | "number" | "negation" | "unnamed"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def numbers(text: str) -> set[str]:
    """Numbers a text states, number words as digits; "1,000" and "1000" alike.

    >>> sorted(numbers("MQA has **1** K/V head; GPT-4 has one of two, 0.1% or 1,000"))
    ['0.1', '1', '1000', '2', '4']
    """
    found = {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in found}


def _negated(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower().replace("n't", "nt").replace("'", "")))
    return bool(words & _NEGATION)


def _terms(text: str) -> set[str]:
    return set(content_terms(text))


def names_in(text: str) -> list[str]:
    """Names in a sentence: acronyms, CamelCase, words with digits.

    >>> names_in("GQA groups heads like PagedAttention in GPT-4, not 4 heads")
    ['GQA', 'PagedAttention', 'GPT-4']
    >>> names_in("LoRA adapts the traditional Llama 2 model, as in Step 2 of tuning")
    ['LoRA', 'Llama 2']
    """
    return [m.group(0) for m in _NAME.finditer(text) if not m.group(0).isdigit()]


def _named_in_source(name: str, source: str, source_words: set[str]) -> bool:
    low = name.lower()
    if low in source or low.rstrip("s") in source_words:
        return True
    if " " in low:  # "Llama 3" where the source says "Llama 2/3"
        word, version = low.split(" ", 1)
        listed = re.findall(rf"\b{re.escape(word)} (\w+(?:\.\w+)*(?:/\w+(?:\.\w+)*)*)", source)
        return any(version in m.split("/") for m in listed)
    long_form = ABBREVIATIONS.get(low)
    if long_form and all(t in source_words for t in tokens(long_form) if t not in STOPWORDS):
        return True  # "RLHF" where the source spells out "reinforcement learning from human feedback"
    parts = [p for p in re.split(r"[-_/]", low) if p]
    return len(parts) > 1 and all(p in source_words or p.rstrip("s") in source_words for p in parts)


@dataclass(frozen=True)
class _Subject:
    names: tuple[str, ...]
    block: Block


def _subjects(chunks: Sequence[Chunk]) -> list[_Subject]:
    out = []
    for chunk in chunks:
        for block in blocks_of(chunk.number, chunk.text):
            if block.subjects:
                out.append(_Subject(block.subjects, block))
    return out


def _mentions(sentence: str, subjects: list[_Subject]) -> list[tuple[int, int, int]]:
    """(start, end, subject index) of each subject named in the sentence, in order."""
    found = []
    for i, subject in enumerate(subjects):
        for name in subject.names:
            if len(name) < 2:
                continue
            for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", sentence, re.I):
                found.append((m.start(), m.end(), i))
    found.sort()
    kept: list[tuple[int, int, int]] = []
    for start, end, i in found:
        if kept and start < kept[-1][1]:
            continue  # overlapping names: the first (longer at the same start) wins
        kept.append((start, end, i))
    return kept


# Where a sentence turns to another subject: "Unlike MHA, MQA ...", "GQA groups heads; MQA ...".
_CLAUSE = re.compile(r"[;,]|\b(?:while|whereas|but|unlike|compared to|than)\b", re.I)
# "X: Y (...)" or "X (Y)" with Y a bare name: a claim that X is Y.
_BARE_NAME_END = re.compile(r"^\s*(?:[().,;:]|$)")


def _swaps(sentence: str, chunks: Sequence[Chunk]) -> list[Problem]:
    """Attributes the sentence gives a subject that the source gives only to another.

    Each clause is about its first named subject ("QLoRA: LoRA on a 4-bit base" is about
    QLoRA); a clause naming none continues the previous clause's subject."""
    subjects = _subjects(chunks)
    mentions = _mentions(sentence, subjects)
    if not mentions:
        return []
    problems: list[Problem] = []
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(sentence)] + [len(sentence)]
    subject: int | None = None
    for a, b in zip(bounds, bounds[1:]):
        inside = [m for m in mentions if a <= m[0] < b]
        if inside:
            subject = inside[0][2]
            problems += _alias_claims(sentence, inside, subjects)
        if subject is None:
            continue
        clause = sentence[a:b]
        for start, end, _ in inside:  # names are not attributes
            clause = clause.replace(sentence[start:end], " ")
        problems += _misattributed(clause, subjects[subject], subjects, chunks)
    return list(dict.fromkeys(problems))


def _alias_claims(sentence: str, inside: list[tuple[int, int, int]], subjects: list[_Subject]) -> list[Problem]:
    out = []
    for (_, end, i), (start2, end2, j) in zip(inside, inside[1:]):
        me, other = subjects[i], subjects[j]
        if i == j or me.block == other.block or not _ALIAS_LINK.match(sentence[end:start2]):
            continue
        if not _BARE_NAME_END.match(sentence[end2:]):
            continue  # "QLoRA: LoRA on a 4-bit base" describes QLoRA, it does not rename it
        if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", me.block.text, re.I) for n in other.names):
            continue  # the source itself relates the two in that line
        out.append(Problem("swapped", f"{me.names[0]} is called {other.names[-1]}, which is {other.names[0]}"))
    return out


def _misattributed(clause: str, me: _Subject, subjects: list[_Subject], chunks: Sequence[Chunk]) -> list[Problem]:
    siblings = [s for s in subjects if s.block.number == me.block.number and s.block != me.block]
    neutral = [b for b in blocks_of(me.block.number, _chunk_text(chunks, me.block.number)) if not b.subjects]
    mine = _terms(me.block.text) | numbers(me.block.text)
    out = []
    for term in sorted((_terms(clause) | numbers(clause)) - mine):
        if any(term in _terms(b.text) or term in numbers(b.text) for b in neutral):
            continue  # said of the whole topic, not of one subject
        owners = [s for s in siblings if term in _terms(s.block.text) or term in numbers(s.block.text)]
        if owners:
            out.append(Problem("swapped", f"'{term}' is said of {me.names[0]}, but Q{me.block.number} says it of {owners[0].names[0]}"))
    return out


def _chunk_text(chunks: Sequence[Chunk], number: int) -> str:
    return next(c.text for c in chunks if c.number == number)


def _flips(sentence: str, chunks: Sequence[Chunk]) -> list[Problem]:
    terms = _terms(sentence)
    if len(terms) < 2:
        return []
    # Compared line by line: a block may hold a negated line beside a plain one.
    units = [
        (c.number, part)
        for c in chunks
        for b in blocks_of(c.number, c.text)
        for line in b.lines
        for part in re.split(r"(?<=[.!?])\s+", line)
    ]
    if not units:
        return []
    number, best = max(units, key=lambda u: len(terms & _terms(u[1])))
    overlap = len(terms & _terms(best)) / len(terms)
    problems = []
    if overlap >= 0.6 and _negated(sentence) != _negated(best):
        problems.append(Problem("negation", f"Q{number} says the opposite: {best.strip()[:80]}"))
    source_words = {w.lower() for c in chunks for w in re.findall(r"[A-Za-z]+", c.text)}
    best_words = {w.lower() for w in re.findall(r"[A-Za-z]+", best)}
    for word in sorted({w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}):
        opposite = _ANTONYMS.get(word)
        if opposite and word not in source_words and opposite in best_words:
            problems.append(Problem("negation", f"'{word}' where Q{number} says '{opposite}'"))
    return problems


def _spelled_out(text: str) -> str:
    """The long forms of the abbreviations a text uses, "K/V" included.

    >>> _spelled_out("Many Q heads, 1 K/V head (low VRAM)")
    'key value gpu memory'
    """
    joined = re.sub(r"\b([A-Za-z])/([A-Za-z])\b", r"\1\2", text)
    return " ".join(ABBREVIATIONS[t] for t in dict.fromkeys(tokens(joined)) if t in ABBREVIATIONS)


def _unstated(sentence: str, source: str, question: str) -> list[Problem]:
    terms = [t for t in dict.fromkeys(content_terms(sentence)) if t not in _FRAMING]
    known = _terms(f"{source} {_spelled_out(source)}") | _terms(f"{question} {_spelled_out(question)}")

    def is_known(term: str) -> bool:
        parts = term.split("-")  # "grouped-query" is known when "grouped" and "query" are
        return term in known or (len(parts) > 1 and all(stem(p) in known or p in known for p in parts))

    novel = [t for t in terms if not is_known(t) and not t.isdigit()]
    if len(novel) >= 3 and len(novel) > len(terms) / 2:
        return [Problem("unstated", f"the cited question says nothing of {', '.join(novel[:4])}")]
    return []


def check_statement(sentence: str, chunks: Sequence[Chunk], question: str = "") -> list[Problem]:
    """What in `sentence` its cited `chunks` contradict or never state; [] when none.

    >>> q38 = Chunk("Q38", 38, "Explain group query attention (GQA).", "T", "Q38. Explain group query attention (GQA).\\n\\n- **MHA (Multi-Head)**: Many Q, K, V heads (High VRAM usage).\\n- **MQA (Multi-Query)**: Many Q heads, **1** K/V head (Fast, low VRAM, lower quality).\\n- **GQA (Grouped Query)**: Middle ground. Many Q heads, **Groups** of K/V heads. Used in Llama 2/3.")
    >>> [str(p) for p in check_statement("GQA: Multi-Head (High VRAM) and 1 K/V head.", [q38])][:2]
    ['swapped: GQA is called Multi-Head, which is MHA', "swapped: '1' is said of GQA, but Q38 says it of MQA"]
    >>> check_statement("MQA uses one K/V head, while GQA shares K/V heads per group.", [q38])
    []
    >>> [str(p) for p in check_statement("GQA was introduced with 8 groups in PagedAttention.", [q38])]
    ["number: '8' is not in the cited question", "unnamed: 'PagedAttention' is not named in the cited question"]
    >>> [p.kind for p in check_statement("GQA also depends on noise, context and difficulty.", [q38])]
    ['unstated']
    """
    plain = _MARKER.sub("", sentence)
    if not chunks:
        return []
    source = " ".join(f"{c.title}\n{c.text}" for c in chunks)
    problems = _swaps(plain, chunks)
    for n in sorted(numbers(plain) - numbers(source)):
        problems.append(Problem("number", f"'{n}' is not in the cited question"))
    low = source.lower()
    words = {w for w in re.findall(r"[a-z0-9]+", low)} | {stem(w) for w in re.findall(r"[a-z]+", low)}
    for name in names_in(plain):
        if not _named_in_source(name, low, words):
            problems.append(Problem("unnamed", f"'{name}' is not named in the cited question"))
    problems += _flips(plain, chunks)
    problems += _unstated(plain, source, question)
    return problems
