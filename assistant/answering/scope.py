"""Does the guide cover a question? Decided from retrieval evidence, before any model call.

A tiny model asked about something the guide lacks will answer anyway, so refusing is
retrieval's job. The evidence, per query:
- how close the best question is (dense cosine to the chunk and to its title, BM25),
- how much of the query's vocabulary the guide uses at all,
- a terse query naming something the guide names in a few of its questions only,
- the names it uses that the guide never does, found in no English word list ("ROCm",
  "SynthID", "GPT-5"): a query about a named thing the guide never names is likely
  about something else. The word list is the embedding model's word-piece vocabulary,
  so no download; a word one typo from a listed word is a typo, not a name.
- the contrast: closeness to the guide (its chunks, titles and learner phrasings,
  assistant/retrieval/phrasings.py) minus closeness to the nearest question of the off-topic bank
  (assistant/store/vector_cache.py). Closeness to the guide alone cannot tell a
  neighbouring topic ("fine-tune Whisper") from an oddly worded in-scope question; which
  side the query is nearer to can, and it carries the most weight.
A logistic model combines the evidence; its weights come from `python -m eval.tune_scope`,
with the threshold set to refuse at most 4% of the in-scope dev questions. Refusal rates
per set are in docs/answering.md.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.core.text import STOPWORDS, edit_distance, stem, tokens
from assistant.core.types import Hit
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.query import GuideQuery

FEATURES = ("dense", "title", "bm25", "coverage", "unlisted", "contrast", "named")


@dataclass(frozen=True)
class ScopeModel:
    """Logistic weights over FEATURES; in scope when the probability >= threshold."""

    weights: tuple[float, ...] = (3.296, 1.359, 1.274, 3.055, -0.957, 8.579, 1.395)
    bias: float = -3.976
    threshold: float = 0.618


@dataclass(frozen=True)
class Verdict:
    in_scope: bool
    reason: str  # "covered", "not_covered", "no_such_question"
    nearest: list[Hit]
    probability: float = 1.0
    missing_number: int | None = None


class ScopeGate:
    def __init__(
        self,
        retriever: HybridRetriever,
        background: np.ndarray,
        english_words: frozenset[str] = frozenset(),
        model=ScopeModel(),
    ):
        if background.ndim != 2 or not len(background):
            raise ValueError("the scope gate needs the vectors of at least one off-topic question")
        if len(model.weights) != len(FEATURES):
            raise ValueError(f"ScopeModel has {len(model.weights)} weights for {len(FEATURES)} features")
        self.retriever = retriever
        self.background = background
        self.model = model
        self.english = english_words
        self._guide_stems = {stem(w) for w in retriever.index.lexicon.guide_words}
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        for w in self.english:
            self._by_shape.setdefault((w[0], len(w)), []).append(w)

    def _is_typo(self, word: str) -> bool:
        """One edit from a listed English word. Short words never count ("cuda" is one
        edit from "cuba" and is a name), nor do two edits ("controlnet" is two from
        "controller")."""
        if len(word) < 5:
            return False
        limit = 1
        for n in range(len(word) - limit, len(word) + limit + 1):
            for cand in self._by_shape.get((word[0], n), ()):
                if edit_distance(word, cand, limit) <= limit:
                    return True
        return False

    def foreign_words(self, query: str) -> tuple[list[str], list[str]]:
        """Topic words of the query as typed (misspellings repaired), and those the guide
        never uses.

        Abbreviations count as covered only when the guide uses or spells them out, and
        a hyphenated name as a whole ("q-learning" is not "learning"). Possessives and
        contractions count by their stem ("google's" -> "google").
        """
        lex = self.retriever.index.lexicon
        words = []
        skip: Counter[str] = Counter()
        # "naïve" is "naive", not the fragments "na" and "ve"
        ascii_query = unicodedata.normalize("NFKD", query).encode("ascii", "ignore").decode("ascii")
        for w in tokens(ascii_query):
            w = w.split("'")[0]
            if skip[w]:
                skip[w] -= 1
                continue
            if w in STOPWORDS or len(w) < 2 or w.isdigit():
                continue
            if "-" in w and w.replace("-", "").isalpha():
                skip.update(p for p in w.split("-") if p)  # its parts follow as tokens
            elif w.isalpha() and w not in lex.abbreviations:
                w = lex.correct_word(w)
            words.append(w)
        foreign = [w for w in words if not lex.covers(w) and stem(w) not in self._guide_stems]
        return words, foreign

    def _unlisted(self, word: str) -> bool:
        """A name: in no English word list and no typo of one ("rocm", "synthid"), or a
        versioned name ("gpt-5", "4k") whose letters are not an English word ("top-50" is)."""
        if word.isalpha():
            return word not in self.english and not self._is_typo(word)
        letters = "".join(ch for ch in word if ch.isalpha())
        return bool(letters) and letters not in self.english

    def features(self, query: str) -> dict[str, float]:
        sig = self.retriever.signals(query)
        words, foreign = self.foreign_words(query)
        unlisted = [w for w in foreign if self._unlisted(w)]
        lex = self.retriever.index.lexicon
        named = [w for w in words if w not in foreign and w not in self.english and 0 < lex.doc_freq.get(w, 0) <= 3]
        bm25 = float(sig["bm25"].max())
        # The query as typed: the spelling repairs and concept names that help retrieval
        # pull every query toward the guide, which is the wrong bias for this comparison.
        vector = self.retriever.embed(query)
        return {
            "dense": float(sig["dense"].max()),
            "title": float(sig["dense_title"].max()),
            "bm25": bm25 / (bm25 + 5.0),  # saturating: raw BM25 grows with query length
            "coverage": 1.0 - len(foreign) / len(words) if words else 1.0,
            "unlisted": float(len(unlisted)),
            # Nearer to the guide (> 0) or to a question it does not answer (< 0)?
            "contrast": self.retriever.closeness(vector) - float((self.background @ vector).max()),
            # A terse lookup of a name the guide itself uses ("PagedAttention", "SwiGLU
            # GELU") asks what the guide says about it, even when the bank holds deeper
            # questions on the same name.
            "named": float(len(words) <= 3 and bool(named)),
        }

    def probability(self, feats: dict[str, float]) -> float:
        m = self.model
        z = m.bias + sum(w * feats[name] for w, name in zip(m.weights, FEATURES))
        return 1.0 / (1.0 + math.exp(-z))

    def by_number(self, query: GuideQuery, hits: Sequence[Hit] = (), nearest: int = 3) -> Verdict | None:
        """A turn that names guide questions ("Q38", "question 101") is decided by the
        numbers alone; None for any other turn."""
        bad = [n for n in query.numbers if n not in self.retriever.index.by_number]
        if bad:
            return Verdict(False, "no_such_question", list(hits[:nearest]), 0.0, missing_number=bad[0])
        return Verdict(True, "covered", list(hits), 1.0) if query.numbers else None

    def judge(self, query: GuideQuery, hits: Sequence[Hit], nearest: int = 3) -> Verdict:
        """In scope or not; a follow-up is judged together with the turn it leans on."""
        verdict = self.by_number(query, hits, nearest)
        if verdict is not None:
            return verdict
        p = self.probability(self.features(query.probe))
        if p >= self.model.threshold:
            return Verdict(True, "covered", list(hits), p)
        return Verdict(False, "not_covered", list(hits[:nearest]), p)
