"""Pure text helpers for lexical retrieval: tokenising, stemming, edit distance."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

# Function words and question boilerplate: they carry no topic, and learners type
# "explain", "what is", "difference between" around every topic.
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has have
    how i if in into is it its itself me my of on or our so than that the their them then there
    these they this those to too us was we were what when where which while who whom why will
    with would you your yours about above after again against all am any because before below
    between both during each few further here just more most no nor not now only other out over
    own same should some such through under until up very also vs versus v explain describe
    define tell give difference differences differ compare comparison mean means meaning work
    works working use used using q question questions answer guide please example examples
    thing things way ways one ones like know need want get make good best""".split()
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; hyphenated words also yield their parts.

    >>> tokens("Multi-Query attention (MQA)")
    ['multi-query', 'multi', 'query', 'attention', 'mqa']
    """
    out: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        out.append(tok)
        if "-" in tok:
            out.extend(part for part in tok.split("-") if part)
    return out


def stem(word: str) -> str:
    """A light English suffix stripper: enough to meet "embeddings"/"embedding".

    >>> [stem(w) for w in ["embeddings", "caching", "cached", "queries", "models"]]
    ['embed', 'cach', 'cach', 'query', 'model']
    """
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("ings", ""), ("ing", ""), ("edly", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if word.endswith("ss"):
        return word
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouslz":
        word = word[:-1]  # "embedd" -> "embed", "runn" -> "run"
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """Stemmed tokens without stopwords: the terms BM25 scores.

    >>> content_terms("What are the embeddings used for?")
    ['embed']
    """
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


def akin(term: str, known: set[str]) -> bool:
    """Whether `term` is one of `known` up to what the light stemmer leaves apart.

    >>> akin("see", {"sees"}), akin("random", {"randomnes"}), akin("slow", {"fast"})
    (True, True, False)
    """
    if term in known:
        return True
    for k in known:
        short, long = sorted((term, k), key=len)
        if (len(short) >= 3 and long.startswith(short)) or (len(short) >= 5 and short[:5] == long[:5]):
            return True
    return False


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), capped at limit + 1.

    >>> edit_distance("atention", "attention"), edit_distance("qeury", "query")
    (1, 1)
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


# Words that ask *about* an aspect without naming a topic: "which is cheaper?", "pros and cons".
ASPECT_WORDS = frozenset(
    stem(w)
    for w in """which whose better worse less lower higher fewer faster slower cheaper bigger smaller
    pros cons advantage advantages disadvantage disadvantages benefit benefits purpose
    important matter matters role main key downside downsides drawback drawbacks limitation
    limitations weakness weaknesses pitfall pitfalls shortcoming shortcomings step steps stage stages
    phase phases""".split()
)
