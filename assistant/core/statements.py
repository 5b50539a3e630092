"""Does a sentence say what its source says? Checks for contradictions, not similarity.

A sentence can share most of its words with a source and still be false: "GQA: Multi-Head
(High VRAM) and 1 K/V head" resembles Q38 closely while pairing GQA with MHA's and MQA's
attributes. The checks, each on the source questions' text, serve a model's sentences and
a learner's answer alike:
- swapped: an attribute said of one thing that the source says only of another thing it
  names, or one thing called by another's name ("MQA: Grouped Query");
- negation: an attribute whose opposite the source gives the same thing ("high temperature
  is deterministic" where High is "Random, creative"), or a negation the closest source
  line lacks, or the reverse, or two opposite actions with their objects exchanged
  ("freeze the adapters, retrain the main weights");
- number: a number the source never states, or states only of something else ("2 K/V
  heads" where the only "2" is in "Llama 2/3");
- order: two steps in the order opposite to the source's ("execute, then validate" where
  it validates before executing);
- unnamed: a name (acronym, CamelCase, model name, Title Case term) the source never uses;
- unstated: mostly words that neither the source nor the learner's question uses.
The things a source is about are the guide's own bold leads ("**MQA (Multi-Query)**:"),
so the checks need no model and no entity list of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.attributes import (CLAUSE, GENERIC, GENERIC_HEADS, OTHER_SIDE, SIDE, Problem, attached, subjects_of,
                                       swaps, terms)
from assistant.core.blocks import Block, blocks_of
from assistant.core.citations import CITATION
from assistant.core.counts import NUMBER_WORDS, misplaced, numbers, own_counts
from assistant.core.exchange import exchanged
from assistant.core.names import named_in, names_in, spelled_out, unknown_title_terms
from assistant.core.order import reversed_orders
from assistant.core.polarity import flipped
from assistant.core.text import STOPWORDS, akin, content_terms, stem
from assistant.core.types import Chunk

__all__ = ["CONTRADICTIONS", "Problem", "check_statement"]

# Words that deny, including those that deny by meaning ("order-agnostic": knows no order).
_NEGATION = frozenset("not no never without cannot cant dont doesnt isnt arent wont neither nor none nobody nothing"
                      " agnostic unaware lack lacks lacking".split())
_NEGATING_PAIRS = {("rather", "than"), ("instead", "of")}  # "rather than math" denies math
_NUMBER_TERMS = frozenset(stem(w) for w in NUMBER_WORDS)
# Words that frame a statement without adding a fact ("an important aspect of").
_FRAMING = GENERIC | frozenset(
    content_terms(
        """important key crucial essential fundamental aspect concept idea approach method technique way
        helps allows lets ensures basically simply generally typically usually often commonly process step
        note refers called known means kind type types various different overall main primary several
        plus around about roughly just also"""
    )
)
_URL = re.compile(r"https?://[^\s)\]]+")
CONTRADICTIONS = frozenset({"swapped", "negation", "order"})  # the kinds that say the opposite of the source


def _negated(text: str) -> bool:
    return bool(_negations(text))


def _compared_only(sentence: str, line: str) -> bool:
    """Whether what a negated line denies, a plain sentence names only after "than": "way
    cheaper than training from scratch" beside "we don't train LLMs from scratch" compares
    with it, and asserts nothing against it.
    A line that denies by contrast ("follow commands rather than just continuing text") is
    still read against a plain sentence: "a chat model that follows commands, taught to just
    continue text" reverses it with the same words as a right answer uses."""
    if _negated(sentence) or not _negated(line):
        return False
    compared = set().union(*(terms(m.group(1)) for m in re.finditer(r"\bthan\b([^,.;:!?]*)", sentence, re.I)))
    named = _denied(line) & terms(sentence)
    return bool(named) and named <= compared


def _negations(text: str) -> list[int]:
    words = re.findall(r"[a-z]+", text.lower().replace("n't", "nt").replace("'", ""))
    return [i for i, w in enumerate(words) if w in _NEGATION or (i and (words[i - 1], w) in _NEGATING_PAIRS)]


def _opposed(sentence: str, chunks: Sequence[Chunk]) -> list[Problem]:
    """A source line the sentence says the opposite of, read by meaning rather than by
    attribute words: an action the source does that the sentence denies, or the reverse ("it
    doesn't backtrack" where the source "backtracks if necessary": `assistant.core.polarity`);
    else two opposite actions with their objects exchanged ("freeze the adapters, train the
    main weights": `assistant.core.exchange`)."""
    finders = (lambda lines, title: flipped(sentence, lines, title), lambda lines, title: exchanged(sentence, lines))
    per_chunk = [(chunk, _lines([chunk])) for chunk in chunks]
    for find in finders:
        for chunk, units in per_chunk:
            if (hit := find([line for _, line in units], chunk.title)) is None:
                continue
            block = next(b for b, line in units if line == hit[1])
            if not _about_another(sentence, block, [chunk]):
                return [Problem("negation", f"Q{chunk.number} says the opposite: {hit[1].strip()[:80]}", "", block)]
    return []


def _about_another(sentence: str, block: Block, chunks: Sequence[Chunk]) -> bool:
    """Whether the sentence names another of the things compared and not the block's own:
    "Discriminative models don't create new content" is not measured against "Generative AI:
    Creates new content"."""
    said, names = terms(sentence), {s.block: terms(" ".join(s.names)) for s in subjects_of(chunks)}
    return not said & names.get(block, set()) and any(said & n for b, n in names.items() if b != block)


def _denied(text: str) -> set[str]:
    """The terms a negation applies to: the two content words after it ("do not recompute
    them" denies "recompute"; "rather than math or logic" denies "math", "logic").

    >>> sorted(_denied("KV caching saves keys so you do not recompute them")), sorted(_denied("for lookups rather than math or logic"))
    (['recomput'], ['logic', 'math'])
    """
    words = re.findall(r"[a-z]+", text.lower().replace("n't", "nt").replace("'", ""))
    out: set[str] = set()
    for i in _negations(text):
        out |= set(content_terms(" ".join(words[i + 1 : i + 4]))[:2])
    return out


def _lines(chunks: Sequence[Chunk]) -> list[tuple[Block, str]]:
    """The sources' statements: a block may hold a negated line beside a plain one."""
    return [(b, part) for c in chunks for b in blocks_of(c.number, c.text)
            for line in b.lines for part in re.split(r"(?<=[.!?])\s+", line)]


def _clauses(units: list[tuple[Block, str]]) -> list[tuple[Block, str, str]]:
    return [(b, c, line) for b, line in units for c in CLAUSE.split(line) if len(terms(c)) >= 3]


def _flips(sentence: str, chunks: Sequence[Chunk]) -> list[Problem]:
    """Negated where the closest source line is not, or the reverse; or an attribute word the
    sources never use whose opposite a closely related line does ("slow" where it says "Fast")."""
    units = _lines(chunks)
    if not units or len(terms(sentence)) < 2:
        return []
    return _denials(sentence, units, chunks) + _opposites(sentence, chunks, units)


def _denials(sentence: str, units: list[tuple[Block, str]], chunks: Sequence[Chunk]) -> list[Problem]:
    """A negation the closest source line lacks, or the reverse; clause by clause too, where
    the closest source clause and its whole line must both disagree ("Without caching, we'd
    re-compute ..." is negated as a line, plain in its second clause). The negation must
    bear on what the two share: "you do not recompute them" denies nothing of "We save the
    Key and Value vectors"."""
    whole = [(b, line, line) for b, line in units]
    parts = [(sentence, whole), *((c, _clauses(units) or whole) for c in CLAUSE.split(sentence) if len(terms(c)) >= 3)]
    for part, against in parts:
        said, at = terms(part), "" if part == sentence else part.strip(" ,;.")
        block, best, line = max(against, key=lambda u: len(said & terms(u[1])))
        denied = _denied(part) or _denied(best)
        if (len(said & terms(best)) / len(said) >= 0.6 and _negated(part) not in (_negated(best), _negated(line))
                and any(akin(t, terms(best) & said) for t in denied) and not _compared_only(sentence, best)):
            return [Problem("negation", f"Q{block.number} says the opposite: {best.strip()[:80]}", at, block)]
        # "it matters for lookups rather than math or logic" where a plain line says "crucial for math, logic"
        mine = _denied(part)
        if len(mine) >= 2 and (plain := [u for u in units if not _negated(u[1]) and mine <= terms(u[1])
                                         and not _about_another(part, u[0], chunks)]):
            return [Problem("negation", f"Q{plain[0][0].number} says: {plain[0][1].strip()[:80]}", at, plain[0][0])]
    return []


def _opposites(sentence: str, chunks: Sequence[Chunk], units: list[tuple[Block, str]]) -> list[Problem]:
    """An attribute word no source line uses, whose opposite a related line does: one that
    has the word it qualifies ("increases hallucinations" where a line says "Reduces
    hallucinations"), or, for a word qualifying nothing, one sharing two of the sentence's
    terms ("MQA is slow" where its line says "Fast"). "a small loss in accuracy" says
    nothing against "massive reduction in VRAM": the two qualify different things."""
    source_words = {w.lower() for c in chunks for w in re.findall(r"[A-Za-z]+", c.text)}
    said, qualified, problems = terms(sentence), attached(sentence), []
    denied = _denial_span(sentence)  # "not an approximation", "instead of updating all the weights": agreeing
    for word in sorted({w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}):
        if word not in SIDE or SIDE[word] & source_words or stem(word) in denied:
            continue
        # "more expensive because ...": a function word after it is not what it qualifies
        near = {w for w in qualified.get(word, set()) if w and w not in _FUNCTION_STEMS} - GENERIC_HEADS
        if not near and word in _QUANTIFIERS:
            continue  # "all of this" qualifies no attribute
        related = sorted((u for u in units if (near & terms(u[1]) if near else len(said & terms(u[1])) >= 2)),
                         key=lambda u: -len(said & terms(u[1])))
        for block, line in related:
            theirs = attached(line)
            # "a big model" says nothing against "a tiny subset": the two qualify different
            # things; "a subset (5%) of users" qualifies nothing the parse sees, so it may be users.
            # A word qualifying nothing ("as big as a 70B model") meets one qualifying something
            # only in a line about much the same ("a weak way to improve performance" against
            # "the most powerful low-effort ways to improve performance").
            close = len(said & terms(line)) >= 3
            # An opposite the sentence itself denies ("instead of updating all the weights, keep
            # it frozen") is the contrast it draws, not the line's.
            if opposite := sorted(o for o in OTHER_SIDE[word] & theirs.keys() if stem(o) not in denied
                                  and ((near & theirs[o]) or theirs[o] <= {""} or (not near and close))):
                problems.append(Problem("negation", f"'{word}' where Q{block.number} says '{opposite[0]}'", "", block))
                break
    return problems


_QUANTIFIERS = frozenset("all every entire more less fewer".split())


def _denial_span(text: str) -> set[str]:
    """The words a negation reaches, stemmed, function words included ("instead of updating
    all the weights" reaches "all"); a superset of `_denied`, which keeps content words only.

    >>> sorted(_denial_span("train adapters instead of updating all the weights"))
    ['all', 'the', 'updat', 'weight']
    """
    words = re.findall(r"[a-z]+", text.lower().replace("n't", "nt").replace("'", ""))
    return {stem(w) for i in _negations(text) for w in words[i + 1 : i + 5]}


def _unstated(sentence: str, source: str, question: str) -> list[Problem]:
    said = [t for t in dict.fromkeys(content_terms(sentence)) if t not in _FRAMING]
    known = terms(f"{source} {spelled_out(source)}") | terms(f"{question} {spelled_out(question)}")

    def is_known(term: str) -> bool:
        parts = term.split("-")  # "grouped-query" is known when "grouped" and "query" are
        return akin(term, known) or (len(parts) > 1 and all(stem(p) in known or p in known for p in parts))

    novel = [t for t in said if not is_known(t) and not t.isdigit() and t not in _NUMBER_TERMS]
    if len(novel) >= 3 and len(novel) > len(said) / 2:
        return [Problem("unstated", f"the cited question says nothing of {', '.join(novel[:4])}")]
    return []


_FUNCTION_STEMS = frozenset(stem(w) for w in STOPWORDS)
_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:-|\u2013|to)\s*(\d+(?:\.\d+)?)")


def in_stated_range(number: str, source: str) -> bool:
    """Whether a number falls inside a range the source states.

    >>> in_stated_range("0.3", "Low (0.1 - 0.5): Deterministic"), in_stated_range("0.7", "Low (0.1 - 0.5)")
    (True, False)
    """
    try:
        value = float(number)
    except ValueError:
        return False
    return any(float(a) <= value <= float(b) for a, b in _RANGE.findall(source) if float(a) < float(b))


def _numbers(sentence: str, source: str) -> list[Problem]:
    framing = own_counts(sentence, source)  # "three stages": the learner's own way of putting it
    unstated = sorted(n for n in numbers(sentence) - numbers(source) - framing if not in_stated_range(n, source))
    out = [Problem("number", f"'{n}' is not in the cited question") for n in unstated]
    unversioned = sentence
    for name in names_in(sentence):  # "Llama 2/3", "Llama 2 and 3" is a name; its numbers count nothing
        unversioned = re.sub(rf"{re.escape(name)}(?:(?:/|,\s*|\s+and\s+|\s+or\s+)\d[\w.]*)*", " ", unversioned)
    for n, where in misplaced(unversioned, source):
        if where and n not in framing:  # a number the source never states is reported above
            out.append(Problem("number", f"'{n}' is stated elsewhere in the cited question (\"{where}\"), not of this"))
    return out


def _unnamed(sentence: str, source: str, question: str) -> list[Problem]:
    low = source.lower()
    words = set(re.findall(r"[a-z0-9]+", low)) | {stem(w) for w in re.findall(r"[a-z]+", low)}
    missing = [n for n in names_in(sentence) if not named_in(n, low, words)]
    missing += [t for t in unknown_title_terms(sentence, source, question) if t not in missing]
    return [Problem("unnamed", f"'{name}' is not named in the cited question", term=name) for name in missing]


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
    >>> [p.kind for p in check_statement("Many Q heads, 2 K/V heads (Middle ground).", [q38])]
    ['number']
    >>> [str(p) for p in check_statement("MQA uses high VRAM.", [q38])][1:]
    ["negation: 'high' where Q38 says 'low' of MQA"]
    """
    plain = CITATION.sub("", sentence)
    if not chunks:
        return []
    # A link's digits count nothing ("resize:fit:1400/1*uHh..."): they are not the guide's figures.
    source = _URL.sub(" ", " ".join(f"{c.title}\n{c.text}" for c in chunks))
    problems = swaps(plain, chunks)
    problems += _numbers(plain, source)
    problems += _unnamed(plain, source, question)
    problems += [p for p in _flips(plain, chunks) if p not in problems]
    if not any(p.kind == "negation" for p in problems):
        problems += _opposed(plain, chunks)
    problems += [Problem("order", f"Q{c.number} puts '{b}' before '{a}'") for c in chunks
                 for a, b in reversed_orders(plain, f"{c.title}\n{c.text}")][:1]
    problems += _unstated(plain, source, question)
    return problems
