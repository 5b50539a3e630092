"""Attributes a sentence gives the things its source compares: swapped or reversed.

The things a source compares are its list items led by a bold name ("**MQA
(Multi-Query)**: Many Q heads, **1** K/V head (Fast, low VRAM)"), its table rows and its
table columns ("| Feature | Pre-training | Fine-tuning |"). A sentence
clause about one of them (the first it names; a clause naming none continues the one
before) may not give it what the source gives only a sibling ("GQA ... 1 K/V head":
swapped), call it by a sibling's name ("MQA: Grouped Query"), or give it the opposite of
what the source gives it ("MQA uses high VRAM": reversed). Paragraphs with a bold lead
("**Temperature** controls ...") describe the whole topic and are no one's sibling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.blocks import Block, blocks_of
from assistant.core.counts import numbers, without_ordinals
from assistant.core.glossary import OPPOSITES
from assistant.core.text import akin, content_terms, stem
from assistant.core.subjects import Subject, subjects_of, terms
from assistant.core.types import Chunk


@dataclass(frozen=True)
class Problem:
    kind: str  # "swapped" | "negation" (reversed) | "order" | "number" | "unnamed" | "unstated"
    detail: str
    said: str = ""  # the part of the sentence at fault, when narrower than the sentence
    source: Block | None = None  # the guide's block it contradicts
    term: str = ""  # the attribute at fault, for a swap

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


# Each attribute word and the words of its own and of its opposite side ("fast" -> "slow", ...).
SIDE: dict[str, frozenset[str]] = {}  # a word may have opposites in two pairs ("exact"): both count
OTHER_SIDE: dict[str, frozenset[str]] = {}
for _i, _pair, _side in [(i, pair, side) for pair in OPPOSITES for i, side in enumerate(pair)]:
    for _w in _side.split():
        SIDE[_w] = SIDE.get(_w, frozenset()) | frozenset(_side.split())
        OTHER_SIDE[_w] = OTHER_SIDE.get(_w, frozenset()) | frozenset(_pair[1 - _i].split())
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_FILLER = frozenset("a an the and or but of to in is are be it its as very much far so".split())
# Words too common to be anyone's attribute ("model", "use").
GENERIC = frozenset(content_terms("model models use uses well new good way make makes give gives thing"))
_PRONOUN = re.compile(r"\b(?:it|its|they|their|this|these)\b", re.I)
# A clause opening on a subject of its own: "and a network is trained", "so each step", "you run".
_OWN_SUBJECT = re.compile(r"^\W*(?:(?:and|or|so|then|while|but|whereas|thus|hence)\s+)*"
                          r"(?:a|an|the|each|every|some|any|no|you|we|i)\b", re.I)
# Where a sentence turns to another subject: "Unlike MHA, MQA ...", "GQA groups heads; MQA ...".
CLAUSE = re.compile(r"[;,]|\b(?:while|whereas|but|unlike|compared to|than)\b", re.I)
_LEAD_IN = re.compile(r"^\s*(?:(?:and|then|in|for|with|during)\s+)?(?:the\s+)?$", re.I)
# A name after these is compared with ("faster than MHA") or placed in time ("... after
# tokenization"), not what the clause is about.
_OBJECT = re.compile(r"\b(?:between|than|unlike|vs\.?|versus|compared (?:to|with)|like|from|over"
                     r"|after|before|during|until|following|prior to)\s+(?:the\s+)?$", re.I)
# A name followed by ":" leads a description of it ("**MQA (Multi-Query)**: ...").
_DEFINES = re.compile(r"[*_\s]*(?:\([^()]*\))?[*_\s]*:")
# Joining words that make "X: Y", "X (Y)", "X is Y" a claim that X is Y.
_ALIAS_LINK = re.compile(r"^\s*(?:[:=(\-\u2013\u2014]|is|aka|also called|or)?\s*(?:an?|the)?\s*$", re.I)
# "X: Y (...)" or "X (Y)" with Y a bare name: a claim that X is Y.
_BARE_NAME_END = re.compile(r"^\s*(?:[().,;:]|$)")


def _loose(name: str) -> str:
    """A name as a pattern that spacing does not break: "0.1 - 0.5" also matches "0.1-0.5"."""
    return r"\s*-\s*".join(r"\s+".join(re.escape(w) for w in part.split()) for part in name.split("-"))


def mentions(sentence: str, subjects: list[Subject]) -> list[tuple[int, int, int]]:
    """(start, end, subject index) of each subject named in the sentence, in order."""
    found = []
    for i, subject in enumerate(subjects):
        for name in subject.names:
            if len(name) >= 2:
                found += [(m.start(), m.end(), i)
                          for m in re.finditer(rf"(?<![\w-]){_loose(name)}(?![\w-])", sentence, re.I)]
    # A table column is named as what a clause is about ("Pre-training uses ..."), not in passing
    # ("causal attention", where Attention is a column of Q9's table).
    found = [m for m in found if subjects[m[2]].block.kind != "column" or _leads(sentence, m[0])]
    found.sort()
    kept: list[tuple[int, int, int]] = []
    for start, end, i in found:
        if not kept or start >= kept[-1][1]:  # overlapping names: the first (longer at the same start) wins
            kept.append((start, end, i))
    return kept


def _leads(sentence: str, start: int) -> bool:
    bound = max([m.end() for m in CLAUSE.finditer(sentence, 0, start)], default=0)
    return bool(_LEAD_IN.match(sentence[bound:start]))


def swaps(sentence: str, chunks: Sequence[Chunk]) -> list[Problem]:
    """Attributes each clause gives its subject that the source gives only a sibling, or
    whose opposite the source gives the subject itself."""
    subjects = subjects_of(chunks)
    found = mentions(sentence, subjects)
    if not found:
        return []
    problems: list[Problem] = []
    bounds = _bounds(sentence, found)
    subject: int | None = None
    defined = False  # "MHA: Many Q heads, 1 K/V head (Fast, low VRAM)" describes MHA to its end
    for a, b in zip(bounds, bounds[1:]):
        inside = [m for m in found if a <= m[0] < b]
        leading = [m for m in inside if not _OBJECT.search(sentence[a:m[0]])]
        if leading:
            subject = leading[0][2]
            defined = bool(_DEFINES.match(sentence, leading[0][1]))
            problems += _alias_claims(sentence, inside, subjects)
        elif subject is None or not (defined or _continues(sentence[a:b], subjects[subject], subjects)):
            subject = None  # a clause about something else ends the subject: later ones do not go back to it
            continue
        clause = sentence[a:b]
        for start, end, _ in inside:  # names are not attributes
            clause = clause.replace(sentence[start:end], " ")
        said = sentence[a:b].strip(" ,;.")
        problems += _misattributed(clause, said, subjects[subject], subjects, chunks)
        problems += _reversed(clause, said, subjects[subject])
    return list(dict.fromkeys(problems))


def _bounds(sentence: str, found: list[tuple[int, int, int]]) -> list[int]:
    """Where clauses start: after ",", ";", "while", "but" ...; and after "and" when what
    follows names another subject ("BERT is encoder-only and GPT is decoder-only")."""
    cuts = {m.end() for m in CLAUSE.finditer(sentence)}
    for m in re.finditer(r"\band\b", sentence):
        upto = min([c for c in cuts if c > m.end()], default=len(sentence))
        if any(m.end() <= f[0] < upto for f in found):
            cuts.add(m.end())
    return [0, *sorted(cuts), len(sentence)]


def _siblings(me: Subject, subjects: list[Subject]) -> list[Subject]:
    return [s for s in subjects if s.block.number == me.block.number and s.block != me.block]


def _continues(clause: str, me: Subject, subjects: list[Subject]) -> bool:
    """Whether a clause naming no subject is still about the previous clause's: not when it
    says too little to be about anything ("then the slower"), uses a word of another's name
    ("..., and you run inference" after Model Architecture), or opens on a subject of its own
    that reads far more like another ("..., and a network is trained to remove the noise"
    after Forward Process). One going on without a subject of its own ("Generative AI creates
    content while classifying existing data") is still about it."""
    said = terms(clause)
    if len(said) < 2 and not _PRONOUN.search(clause):
        return False
    others = _siblings(me, subjects)
    if any((terms(" ".join(s.names)) - terms(" ".join(me.names))) & said for s in others):
        return False
    if not _OWN_SUBJECT.match(clause):
        return True
    mine = len(said & me.body)
    return not any(len(said & s.body) >= max(2, 2 * mine) for s in others)


def _alias_claims(sentence: str, inside: list[tuple[int, int, int]], subjects: list[Subject]) -> list[Problem]:
    out = []
    for (_, end, i), (start2, end2, j) in zip(inside, inside[1:]):
        me, other = subjects[i], subjects[j]
        if i == j or me.block == other.block or not _ALIAS_LINK.match(sentence[end:start2]):
            continue
        if "column" in (me.block.kind, other.block.kind) and me.block.kind != other.block.kind:
            continue  # "the fine-tuning data": a column and a row of one table cross, they are not one thing
        if not _BARE_NAME_END.match(sentence[end2:]):
            continue  # "QLoRA: LoRA on a 4-bit base" describes QLoRA, it does not rename it
        if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", me.block.text, re.I) for n in other.names):
            continue  # the source itself relates the two in that line
        detail = f"{me.names[0]} is called {other.names[-1]}, which is {other.names[0]}"
        out.append(Problem("swapped", detail, sentence[inside[0][0]:end2], other.block))
    return out


def _mine(me: Subject, siblings: list[Subject]) -> set[str]:
    """What the source says of `me`, with the names of the siblings its line refers to
    (PPO's "Use the RM to optimize" makes "reward model" PPO's too)."""
    own = terms(without_ordinals(me.block.text)) | numbers(me.block.text)
    for s in siblings:
        if any(len(n) >= 2 and re.search(rf"(?<![\w-]){_loose(n)}(?![\w-])", me.block.text, re.I) for n in s.names):
            own |= terms(" ".join(s.names))
    return own


_DENIED = re.compile(r"(?:\b(?:not|no|never|without|cannot)|n't)(?:\s+[\w-]+){1,3}", re.I)


def _misattributed(clause: str, said: str, me: Subject, subjects: list[Subject],
                   chunks: Sequence[Chunk]) -> list[Problem]:
    siblings = _siblings(me, subjects)
    clause = _DENIED.sub(" ", clause)  # "Discriminative models don't create new content" gives it nothing
    compared = {s.block for s in subjects}
    chunk = next(c for c in chunks if c.number == me.block.number)
    neutral = [b for b in blocks_of(chunk.number, chunk.text) if b not in compared]
    # The question's own words are about all of it ("text generation" in Q81), unless they
    # name one of the things compared ("group" in Q38's "group query attention").
    topic = terms(chunk.title) - {t for s in subjects for t in terms(" ".join(s.names))}
    mine = _mine(me, siblings) | topic
    # "each group shares one K/V head" counts per group, not in all: its numbers are no one's.
    counted = set() if re.search(r"\b(?:each|per)\b", clause, re.I) else numbers(clause)
    out = []
    for term in sorted((terms(clause) - GENERIC | counted) - mine):
        if not term.isdigit() and akin(term, mine):
            continue
        if any(term in terms(b.text) or term in numbers(b.text) for b in neutral):
            continue  # said of the whole topic, not of one subject
        if owners := [s for s in siblings if term in s.body]:
            detail = f"'{term}' is said of {me.names[0]}, but Q{me.block.number} says it of {owners[0].names[0]}"
            out.append(Problem("swapped", detail, said, owners[0].block, term))
    return out


def attached(text: str) -> dict[str, set[str]]:
    """Each word and the word it qualifies, if the next is one: "low VRAM" gives "low" ->
    {"vram"}, "high-quality" gives "high" -> {"quality"}; before punctuation or at the end,
    a word qualifies nothing ("")."""
    toks = [t for t in _WORD.findall(text.lower()) if t not in ("-", "a", "an", "the")]  # "raise the temperature"
    out: dict[str, set[str]] = {}
    for i, tok in enumerate(toks):
        if tok.isalnum():
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            out.setdefault(tok, set()).add(stem(nxt) if nxt.isalnum() and nxt not in _FILLER else "")
    return out


# Nouns that name no thing of their own: "the more expensive option" says "expensive" of the subject.
GENERIC_HEADS = frozenset({""}) | {stem(w) for w in "option choice approach way one thing solution method technique".split()}


def _reversed(clause: str, said: str, me: Subject) -> list[Problem]:
    """An attribute whose opposite the source gives the same subject, qualifying the same
    thing: "MQA uses high VRAM" against "MQA: ... low VRAM"; "MQA has high speed" is not.
    A word qualifying nothing ("the retriever is slow") meets the opposite wherever it is."""
    mine, out = attached(me.block.text), []
    for word, qualified in attached(clause).items():
        if word not in SIDE or SIDE[word] & mine.keys():
            continue
        for opposite in sorted(OTHER_SIDE[word] & mine.keys()):
            if (qualified & mine[opposite] or qualified == {""}
                    or (mine[opposite] == {""} and qualified <= GENERIC_HEADS)):
                detail = f"'{word}' where Q{me.block.number} says '{opposite}' of {me.names[0]}"
                out.append(Problem("negation", detail, said, me.block))
                break
    return out
