"""The guide's vocabulary: abbreviations it defines, and spelling repair toward its terms.

Learners type "GQA" where the guide says "Grouped Query", and "atention" where it says
"attention". Both hurt a 22M-parameter embedding model and exact-match BM25 alike, so
queries (and chunks, for abbreviations) are normalised here before either sees them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from assistant.core.text import STOPWORDS, edit_distance, stem, tokens
from assistant.core.glossary import ABBREVIATIONS

_ACR_THEN_LONG = re.compile(r"\b([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)\s*\(([A-Za-z][^()]{3,60})\)")
_LONG_THEN_ACR = re.compile(r"([A-Za-z][A-Za-z\- ]{3,80}?)\s*\(([A-Z][A-Za-z]*[A-Z][a-z]?)\)")
_MINOR = {"of", "from", "the", "and", "with", "for", "to", "in", "a", "an"}
_ENDINGS = ("ings", "ing", "ers", "er", "ed", "es", "s", "ly")


def _initials_match(acronym: str, words: list[str]) -> bool:
    parts = [p for w in words for p in w.split("-") if p and p.lower() not in _MINOR]
    letters = [p[0].lower() for p in parts]
    caps = [c.lower() for c in acronym if c.isupper() or c.isdigit()]
    return bool(letters) and letters[0] == caps[0] and len(caps) - 1 <= len(letters) <= len(caps) + 1


def mine_acronyms(text: str) -> dict[str, str]:
    """Abbreviation -> long form pairs the text defines itself.

    >>> mine_acronyms("**MQA (Multi-Query)** and Reinforcement Learning from Human Feedback (RLHF)")
    {'mqa': 'multi-query', 'rlhf': 'reinforcement learning from human feedback'}
    """
    found: dict[str, str] = {}
    for acr, long in _ACR_THEN_LONG.findall(text):
        words = re.findall(r"[A-Za-z][A-Za-z\-]*", long)
        if words and _initials_match(acr, words) and not long.isupper():
            found.setdefault(acr.lower(), " ".join(words).lower())
    for before, acr in _LONG_THEN_ACR.findall(text):
        words = re.findall(r"[A-Za-z][A-Za-z\-]*", before)
        caps = sum(1 for c in acr if c.isupper())
        for n in range(1, min(len(words), caps + 3) + 1):
            tail = words[-n:]
            if _initials_match(acr, tail) and tail[0][0].lower() == acr[0].lower():
                found.setdefault(acr.lower(), " ".join(tail).lower())
                break
    return found


def _max_distance(word: str) -> int:
    """Edits we tolerate: one in short words, two in long ones."""
    return 1 if len(word) <= 5 else 2


def _deletions(word: str, depth: int) -> set[str]:
    """The word and every string made by deleting up to `depth` characters.

    >>> sorted(_deletions("abc", 1))
    ['ab', 'abc', 'ac', 'bc']
    """
    out, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


class Lexicon:
    """Built once from the chunk texts; expands abbreviations and repairs spelling."""

    def __init__(self, texts: Iterable[str], known_words: Iterable[str] = ()):
        texts = list(texts)
        self.doc_freq: Counter[str] = Counter()
        for text in texts:
            self.doc_freq.update(set(tokens(text)))
        self.abbreviations = dict(ABBREVIATIONS)
        for acr, long in mine_acronyms("\n".join(texts)).items():
            base = self.abbreviations.get(acr)
            self.abbreviations[acr] = long if base is None or long in base else f"{long} {base}"
        vocab = set(self.doc_freq)
        for acr, long in self.abbreviations.items():
            vocab.add(acr)
            vocab.update(tokens(long))
        self.vocab = frozenset(vocab)
        # What the guide itself says. The glossary's other abbreviations ("DPO") help
        # retrieval match spellings, but say nothing about whether the guide covers them.
        phrases = " " + " ".join(tokens("\n".join(texts))) + " "
        self.guide_words = frozenset(self.doc_freq)
        self.guide_abbreviations = frozenset(
            a
            for a, long in self.abbreviations.items()
            if a in self.doc_freq or f" {' '.join(tokens(long))} " in phrases
        )
        self._phrases = phrases
        # Words we must never "correct": the guide's own and ordinary English words
        # (the embedding model's word-piece vocabulary is a free English word list).
        self.known = self.vocab | frozenset(w.lower() for w in known_words)
        # Symmetric-delete index (as in SymSpell): a word and a misspelling within
        # distance d share a string reachable by at most d deletions from each, so
        # lookups touch a handful of candidates instead of the whole vocabulary.
        self._deletes: dict[str, set[str]] = {}
        for word in self.vocab:
            if word.isalpha() and len(word) >= 3:
                for variant in _deletions(word, _max_distance(word)):
                    self._deletes.setdefault(variant, set()).add(word)

    def _base(self, word: str, words: frozenset[str]) -> str:
        """The word of `words` that `word` inflects, or "".

        >>> [Lexicon([])._base(w, frozenset(["pool", "cache", "run"])) for w in ("pooling", "caching", "running")]
        ['pool', 'cache', 'run']
        """
        for suffix in _ENDINGS:
            if not word.endswith(suffix) or len(word) - len(suffix) < 3:
                continue
            base = word[: len(word) - len(suffix)]
            if suffix == "es" and not base.endswith(("s", "x", "z", "ch", "sh")):
                continue  # "transformes" is no plural
            doubled = base[-1] == base[-2] and base[-1] not in "aeiou"
            for cand in (base, base + "e", base[:-1] if doubled else ""):
                if cand and cand in words:
                    return cand
        return ""

    def covers(self, word: str) -> bool:
        """Does the guide itself use this word, its plural or singular, an inflection of
        it, a word it shortens ("enc" -> "encoder"), or a hyphenated compound's parts?

        >>> lex = Lexicon(["RNN self attention, multi-query attention: encode only. VAEs"])
        >>> [lex.covers(w) for w in ("self-attention", "rnns", "vae", "enc-only", "encoding", "q-learning", "dpo")]
        [True, True, True, True, True, False, False]
        """
        if word in self.guide_words or word in self.guide_abbreviations:
            return True
        singular = word[:-1] if len(word) >= 4 and word.endswith("s") else ""
        if singular and (singular in self.guide_words or singular in self.guide_abbreviations):
            return True  # "rnns", "llms"
        if word + "s" in self.guide_words or word + "es" in self.guide_words:
            return True  # the guide says "VAEs" only
        if word.isalpha() and self._base(word, self.guide_words):
            return True
        parts = [p for p in word.split("-") if p]
        if len(parts) > 1:
            if "".join(parts) in self.guide_words or f" {' '.join(parts)} " in self._phrases:
                return True
            # "enc-only" is two covered parts; "q-learning" is not "learning"
            return all(len(p) >= 2 and self.covers(p) for p in parts)
        return self._shortens(word)

    def _shortens(self, word: str) -> bool:
        """A learner's truncation of a guide word ("enc", "dec"), not a word of its own."""
        if not (3 <= len(word) <= 5 and word.isalpha()) or word in self.known or word in self.abbreviations:
            return False
        return any(w.startswith(word) and len(w) >= len(word) + 2 for w in self.guide_words)

    def correct_word(self, word: str) -> str:
        """The guide term a misspelt word most likely meant, else the word itself.

        >>> Lexicon(["grouped query attention"]).correct_word("atention")
        'attention'
        """
        if word in self.known or len(word) < 4 or not word.isalpha():
            return word
        limit = _max_distance(word)
        candidates: set[str] = set()
        for variant in _deletions(word, limit):
            candidates |= self._deletes.get(variant, set())
        best, best_key = word, None
        for cand in candidates:
            d = edit_distance(word, cand, limit)
            if d > limit:
                continue
            # Closest first; then a shared first letter (typos rarely hit it);
            # then the more common guide term.
            key = (d, cand[0] != word[0], -self.doc_freq.get(cand, 0), cand)
            if best_key is None or key < best_key:
                best, best_key = cand, key
        if best_key is not None:
            # A real word is not a typo: "pooling" ("pool" + "ing") is not "looking", two
            # edits away, nor "castling" ("castle" + "ing") one edit from "casting". Short
            # bases are word-piece fragments as often as words, so "traning" ("tran" +
            # "ing") still becomes "training".
            # A repair within the word's own family ("embeding" -> "embedding") is kept.
            base = self._base(word, self.known)
            if base and stem(best) != stem(word) and (best_key[0] >= 2 or len(base) >= 5):
                return word
        return best

    def normalise(self, query: str) -> str:
        """Query with spelling repaired and abbreviations followed by their long forms.

        >>> Lexicon(["Grouped Query Attention (GQA) uses groups"]).normalise("explain gqa atention")
        'explain gqa (grouped query attention) attention'
        """
        out: list[str] = []
        for raw in re.findall(r"\S+", query):
            core = re.sub(r"^\W+|\W+$", "", raw.lower())
            if not core:
                continue
            if core in self.abbreviations:
                out.append(f"{core} ({self.abbreviations[core]})")
            elif core in STOPWORDS:
                out.append(core)
            else:
                out.append(self.correct_word(core))
        return " ".join(out)

    def expand_document(self, text: str) -> str:
        """Long forms of the abbreviations a chunk uses, appended so both spellings match."""
        present = {t for t in tokens(text) if t in self.abbreviations}
        return " ".join(self.abbreviations[a] for a in sorted(present))
