"""Names a sentence uses, and whether its source names them.

A name is an acronym (GQA, BM25), CamelCase (LoRA, PagedAttention), a word with digits
(GPT-4), a capitalised word and its version inside a sentence ("the Llama 2 model"), or a
Title Case term of two or more words ("Medium Rank Adaptation"). A statement naming what
its source never names is unsupported, however close its wording: a real Gemma answer tied
LoRA to Llama 2, which Q63 never names, and another invented "Medium Rank Adaptation".
"""

from __future__ import annotations

import re

from assistant.core.glossary import ABBREVIATIONS
from assistant.core.text import STOPWORDS, tokens

_NAME = re.compile(
    r"\b(?:(?:[A-Z]{2,}[A-Za-z0-9]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*)(?:-\d[\w.]*)?|[A-Za-z]+-?\d[\w.]*)\b"
    r"|(?<=[a-z,] )(?!(?:Step|Stage|Phase|Part|Type|Level|Layer|Table|Figure|Section|Version|Option|Method) )"
    r"[A-Z][a-z]+ \d(?:[\w.]*\w)?\b"
)
# Runs of Title Case words ("Low-Rank Adaptation", "Greedy Decoding"), hyphenated parts included.
_TITLE_WORD = r"[A-Z][a-z]+(?:-[A-Za-z]+)*"
_TITLE_RUN = re.compile(rf"(?<![\w-]){_TITLE_WORD}(?:\s+{_TITLE_WORD})+(?![\w-])")


def names_in(text: str) -> list[str]:
    """Names in a sentence: acronyms, CamelCase, words with digits.

    >>> names_in("GQA groups heads like PagedAttention in GPT-4, not 4 heads")
    ['GQA', 'PagedAttention', 'GPT-4']
    >>> names_in("LoRA adapts the traditional Llama 2 model, as in Step 2 of tuning")
    ['LoRA', 'Llama 2']
    """
    return [m.group(0) for m in _NAME.finditer(text) if not m.group(0).isdigit()]


def title_terms(text: str) -> list[str]:
    """Terms of two or more Title Case words, without a sentence's capitalised opening word.

    >>> title_terms("The Greedy Decoding step; Medium Rank Adaptation: A is a matrix. In Practice, no.")
    ['Greedy Decoding', 'Medium Rank Adaptation']
    """
    out = []
    for match in _TITLE_RUN.finditer(text):
        words = match.group(0).split()
        while words and words[0].lower() in STOPWORDS | _OPENERS:
            words = words[1:]  # "The Greedy Decoding", "In Practice": the sentence's capital
        if len(words) >= 2:
            out.append(" ".join(words))
    return out


# Capitalised words that open sentences or headings rather than name anything.
_OPENERS = frozenset("many most in practice overall first second finally key summary note tip".split())


def spelled_out(text: str) -> str:
    """The long forms of the abbreviations a text uses, "K/V" included.

    >>> spelled_out("Many Q heads, 1 K/V head (low VRAM)")
    'key value gpu memory'
    """
    joined = re.sub(r"\b([A-Za-z])/([A-Za-z])\b", r"\1\2", text)
    return " ".join(ABBREVIATIONS[t] for t in dict.fromkeys(tokens(joined)) if t in ABBREVIATIONS)


def _squash(text: str) -> str:
    """Lower case, words only, each without a plural "s", space-padded for whole-word search."""
    return " " + " ".join(w.rstrip("s") for w in re.findall(r"[a-z0-9]+", text.lower())) + " "


def unknown_title_terms(sentence: str, source: str, question: str = "") -> list[str]:
    """Title Case terms of `sentence` that neither `source` (abbreviations spelled out) nor
    the learner's `question` uses.

    >>> unknown_title_terms("Medium Rank Adaptation: A is a matrix.", "LoRA (Low-Rank Adaptation) trains A and B.")
    ['Medium Rank Adaptation']
    >>> unknown_title_terms("Low Rank Adaptation and Greedy Decoding.", "LoRA freezes W; T=0 forces **Greedy Decoding**.")
    []
    """
    known = _squash(f"{source} {spelled_out(source)} {question} {spelled_out(question)}")
    return [t for t in dict.fromkeys(title_terms(sentence)) if _squash(t) not in known]


def named_in(name: str, source: str, source_words: set[str]) -> bool:
    """Whether the lower-cased `source` (with its words and their stems) names `name`."""
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
