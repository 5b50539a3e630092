"""Does the guide cover a question? Decided from retrieval evidence, before any model call.

A tiny model asked about something the guide lacks will answer anyway, so refusing is
retrieval's job. The evidence, per query:
- how close the best question is (dense cosine to the chunk and to its title, BM25),
- how much of the query's vocabulary the guide uses at all,
- how many specific words it has that the guide never uses ("Whisper", "ROCm",
  "Bellman"): a query about a named thing the guide never names is about something else.
The words' specificity comes from the embedding model's word-piece vocabulary, which is
ordered by corpus frequency: a rank tells common English from a rare term, no download.
A logistic model combines the evidence; its weights come from `python -m eval.tune_scope`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


from assistant.sanitize import sanitize_markdown
from assistant.retrieval import Hit, HybridRetriever, looks_like_followup, named_questions
from assistant.text import STOPWORDS, stem, tokens

# Words ranked beyond this in the word-piece vocabulary count as specific terms.
COMMON_RANK = 6000
FEATURES = ("dense", "title", "bm25", "coverage", "foreign_specific")


@dataclass(frozen=True)
class ScopeModel:
    """Logistic weights over FEATURES; in scope when the probability >= threshold."""

    weights: tuple[float, ...] = (9.0, 4.0, 0.5, 3.0, -1.5)
    bias: float = -7.0
    threshold: float = 0.5


@dataclass(frozen=True)
class Verdict:
    in_scope: bool
    reason: str  # "covered", "not_covered", "no_such_question"
    nearest: list[Hit]
    probability: float = 1.0
    missing_number: int | None = None


def refusal_text(question: str, verdict: Verdict) -> str:
    """What the learner reads instead of an invented answer.

    >>> refusal_text("Q101?", Verdict(False, "no_such_question", [], missing_number=101))
    'The guide does not cover Q101: its questions are numbered Q1 to Q100.'
    """
    if verdict.reason == "no_such_question":
        return f"The guide does not cover Q{verdict.missing_number}: its questions are numbered Q1 to Q100."
    topic = " ".join(sanitize_markdown(question).replace('"', "'").split()) or "this question"
    topic = topic if len(topic) <= 80 else topic[:77] + "..."
    text = f'The guide does not cover "{topic}".'
    if verdict.nearest:
        near = "; ".join(f"[{h.chunk.id}] {h.chunk.title}" for h in verdict.nearest)
        text += f" The nearest questions it has: {near}"
    return text


class ScopeGate:
    def __init__(self, retriever: HybridRetriever, word_ranks: dict[str, int] | None = None, model=ScopeModel()):
        self.retriever = retriever
        self.model = model
        self.word_ranks = word_ranks or {}
        self._guide_stems = {stem(w) for w in retriever.lexicon.vocab}

    def features(self, query: str) -> dict[str, float]:
        sig = self.retriever.signals(query)
        words = [w for w in tokens(self.retriever.lexicon.normalise(query) or query) if w not in STOPWORDS]
        words = [w for w in words if w.isalpha() and len(w) > 1]
        known = [w in self.retriever.lexicon.vocab or stem(w) in self._guide_stems for w in words]
        foreign = [w for w, k in zip(words, known) if not k]
        specific = sum(1 for w in foreign if self.word_ranks.get(w, math.inf) > COMMON_RANK)
        bm25 = float(sig["bm25"].max())
        return {
            "dense": float(sig["dense"].max()),
            "title": float(sig["dense_title"].max()),
            "bm25": bm25 / (bm25 + 5.0),  # saturating: raw BM25 grows with query length
            "coverage": sum(known) / len(words) if words else 1.0,
            "foreign_specific": float(specific),
        }

    def probability(self, feats: dict[str, float]) -> float:
        m = self.model
        z = m.bias + sum(w * feats[name] for w, name in zip(m.weights, FEATURES))
        return 1.0 / (1.0 + math.exp(-z))

    def judge(self, query: str, history: Sequence[str], hits: Sequence[Hit], nearest: int = 3) -> Verdict:
        numbers = named_questions(query)
        bad = [n for n in numbers if n not in self.retriever.by_number]
        if bad:
            return Verdict(False, "no_such_question", list(hits[:nearest]), 0.0, missing_number=bad[0])
        if numbers:
            return Verdict(True, "covered", list(hits), 1.0)
        # A follow-up ("and which uses less VRAM?") is judged with the turn it follows.
        probe = f"{history[-1]} {query}" if history and looks_like_followup(query) else query
        p = self.probability(self.features(probe))
        if p >= self.model.threshold:
            return Verdict(True, "covered", list(hits), p)
        return Verdict(False, "not_covered", list(hits[:nearest]), p)


def word_ranks_from_vocab(words: Sequence[str]) -> dict[str, int]:
    """Frequency rank of whole words in a word-piece vocabulary listed in frequency order.

    >>> word_ranks_from_vocab(["[PAD]", "!", "the", "of", "##s", "whisper"])
    {'the': 0, 'of': 1, 'whisper': 2}
    """
    whole = [w for w in words if w.isalpha() and w.islower() and len(w) > 1]
    return {w: i for i, w in enumerate(whole)}


