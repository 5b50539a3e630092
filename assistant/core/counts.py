"""Numbers a sentence states, and whether its source states them of the same thing.

Presence is not enough: "2 K/V heads" is not backed by a source whose only "2" is in
"Llama 2/3". A number counts as stated when the source has it next to one of the words
next to it in the sentence ("2 K/V heads" needs a "2" near "K/V" or "heads").
"""

from __future__ import annotations

import re

from assistant.core.glossary import ABBREVIATIONS
from assistant.core.text import stem

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "single": "1", "twice": "2", "half": "0.5",
    "hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000",
}
_SCIENTIFIC = r"\d+(?:\.\d+)?[eE]-?\d+"  # "2e-5", a learning rate: one number
_NUMBER = re.compile(rf"(?<![\w.]){_SCIENTIFIC}(?![\w])|(?<![\w.])\d+(?:[.,]\d+)?(?![\w])|(?<=[A-Za-z-])\d+(?:\.\d+)?")
# "7B", "1M", "128k": counts with their magnitude; "14GB", "0ms", "4x": counts of a unit.
_MAGNITUDE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([kKMB])(?![A-Za-z])")
_UNIT = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?=(?:GB|MB|TB|ms|x)\b)")
_SCALE = {"k": 1_000, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
# "one of them", "the one that", "an earlier one.": a pronoun, not a count.
_NOT_AFTER_ONE = frozenset("of another by or and that which who is are at to".split())
_NOT_BEFORE_ONE = frozenset("the this that which each every any no an earlier later same other new only".split())
# Words and numbers in reading order; punctuation other than a decimal point is dropped.
_WORD_OR_NUMBER = re.compile(rf"{_SCIENTIFIC}|\d+(?:[.,]\d+)*|[A-Za-z]+")
# Words that sit next to any number and so say nothing about what it counts.
_FILLER = frozenset(
    """a an the of in on at to for by with and or is are be was were it its as from that this than
    e g eg ie about around roughly approximately only just up over under like such""".split()
)
WINDOW = 4  # words either side of a number that say what it counts


def _normal(n: str) -> str:
    n = n.replace(",", "")
    return n.rstrip("0").rstrip(".") if "." in n else n


_ORDINAL = re.compile(r"(?m)^\s*\d+\.(?:\s+|$)")


def without_ordinals(text: str) -> str:
    """The text without its list ordinals: "3.  **Value (V)**" counts nothing.

    >>> without_ordinals("3.  Value: what I pass on; top 5")
    ' Value: what I pass on; top 5'
    """
    return _ORDINAL.sub(" ", text)


def numbers(text: str) -> set[str]:
    """Numbers a text states, number words as digits; "1,000" and "1000" alike.

    >>> sorted(numbers("MQA has **1** K/V head; GPT-4 has one of two, 0.1% or 1,000"))
    ['0.1', '1', '1000', '2', '4']
    >>> sorted(numbers("1M reviews, a 7B model in 14GB; an earlier one.")), sorted(numbers("one K/V head"))
    (['1000000', '14', '7000000000'], ['1'])
    >>> numbers("a learning rate like 2e-5")
    {'2e-5'}
    """
    text = without_ordinals(text)
    found = {m.group(0) for m in _NUMBER.finditer(text)} | {m.group(0) for m in _UNIT.finditer(text)}
    found |= {str(round(float(m.group(1)) * _SCALE[m.group(2)])) for m in _MAGNITUDE.finditer(text)}
    words = re.findall(r"[a-z]+|[^\sa-z]", text.lower())
    found |= {NUMBER_WORDS[w] for i, w in enumerate(words) if w in NUMBER_WORDS and _counts(words, i)}
    return {_normal(n) for n in found}


def _counts(words: list[str], i: int) -> bool:
    """Whether a number word counts something: "one K/V head" does, "one of them" does not."""
    if words[i] != "one":
        return True
    after = words[i + 1] if i + 1 < len(words) else ""
    before = words[i - 1] if i else ""
    return after.isalpha() and after not in _NOT_AFTER_ONE and before not in _NOT_BEFORE_ONE


def _words(text: str) -> list[tuple[str, bool, str]]:
    """(term, is a number, as written) in order: numbers normalised, words stemmed, lower-cased."""
    out = []
    for raw in _WORD_OR_NUMBER.findall(text):
        low = raw.lower()
        if raw[0].isdigit():
            out.append((_normal(raw), True, raw))
        elif low in NUMBER_WORDS:
            out.append((NUMBER_WORDS[low], True, raw))
        else:
            out.append((stem(low), False, raw))
    return out


def contexts(text: str) -> dict[str, list[tuple[set[str], str]]]:
    """For each number a text states, each occurrence's nearby words (stemmed) and its
    phrase as written. "one of", "the one" are idioms, not counts, and are left out.

    >>> [(sorted(near), phrase) for near, phrase in contexts("Many Q heads, **1** K/V head. Used in Llama 2/3.")["2"]]
    [(['llama', 'used'], 'Used in Llama 2 3')]
    >>> _meets({"key", "valu"}, {"k", "v", "head"}), _meets({"llama"}, {"k", "v", "head"})
    (True, False)
    """
    out: dict[str, list[tuple[set[str], str]]] = {}
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", without_ordinals(text)):
        words = _words(sentence)
        for i, (term, is_number, _) in enumerate(words):
            if not is_number or not _counts([w[2].lower() for w in words], i):
                continue
            near = words[max(0, i - WINDOW) : i] + words[i + 1 : i + 1 + WINDOW]
            phrase = " ".join(raw for _, _, raw in words[max(0, i - WINDOW) : i + 1 + WINDOW])
            out.setdefault(term, []).append((_expanded({w for w, num, _ in near if not num}), phrase))
    return out


def _expanded(near: set[str]) -> set[str]:
    """Nearby words, abbreviations with their long forms ("vram" -> "gpu", "memory")."""
    near = near - _FILLER
    return near | {stem(w) for t in near for w in ABBREVIATIONS.get(t, "").split()}


def _meets(mine: set[str], theirs: set[str]) -> bool:
    """Shared words, or a one-letter word and a word it abbreviates ("K/V" heads, "key" heads)."""
    return bool(mine & theirs) or _initials(mine, theirs) or _initials(theirs, mine)


def _initials(letters: set[str], words: set[str]) -> bool:
    initials = {w for w in letters if len(w) == 1 and w.isalpha()}
    return any(len(w) > 1 and w[0] in initials for w in words)


def misplaced(sentence: str, source: str) -> list[tuple[str, str]]:
    """(number, where the source states it) for each number of `sentence` that `source`
    states only next to other words; "" when the source never states it.

    >>> src = "Many Q heads, **1** K/V head (Fast). Groups of K/V heads. Used in Llama 2/3."
    >>> misplaced("Many Q heads, 2 K/V heads (Middle ground).", src)
    [('2', 'Used in Llama 2 3')]
    >>> misplaced("MQA uses one K/V head, Llama 3 uses groups.", src), misplaced("It has 8 heads.", src)
    ([], [('8', '')])
    """
    mine, theirs = contexts(sentence), contexts(source)
    out = []
    for number, places in mine.items():
        where = theirs.get(number, [])
        for near, _ in places:
            if near and not any(_meets(near, other) for other, _ in where):
                out.append((number, where[0][1] if where else ""))
                break
    return out


def own_counts(sentence: str, source: str) -> set[str]:
    """Numbers the sentence only spells out, each counting what the source never counts: a
    learner's own framing ("three stages", "a single character"), not a figure to check.

    >>> own_counts("Mitigation works in three stages.", "Run benchmarks. Use 2 filters.")
    {'3'}
    >>> own_counts("MQA has two K/V heads.", "MQA has **1** K/V head."), own_counts("MQA has 2 heads.", "")
    (set(), set())
    """
    counted = [near for places in contexts(source).values() for near, _ in places]
    words = _words(sentence)
    framing, figures = set(), set()
    for i, (term, is_number, raw) in enumerate(words):
        if not is_number:
            continue
        after = _expanded({w for w, num, _ in words[i + 1 : i + 1 + WINDOW] if not num})
        if raw[0].isdigit() or any(_meets(after, near) for near in counted):
            figures.add(term)
        else:
            framing.add(term)
    return framing - figures
