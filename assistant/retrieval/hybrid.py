"""Hybrid retrieval over one chunk per question.

Five signals, each cheap on 100 chunks, fused by a weighted sum of scores (the title's
own weight is 0 while phrasings exist, since the phrasing signal includes the title):
- dense similarity of the query to the whole chunk (vectors read from Chroma once and
  scored exhaustively: exact search over 100 vectors is faster than any ANN round-trip),
- dense similarity of the query to the question title alone (questions match questions),
- BM25 over title, answer and section, with the guide's abbreviations spelled out,
- dense similarity to the closest way learners ask each question (assistant/retrieval/phrasings.py;
  the title counts as one of them, so a guide without phrasings still has this signal),
- the probability a linear classifier fitted on those phrasings gives each question: it
  learns which words of a described situation point to a question and which ("my
  chatbot", "our model") are mere setting. Left out of follow-ups, which lean on the
  earlier turns instead of naming a topic.
Queries are normalised first (spelling repaired toward the guide's terms, abbreviations
expanded, described symptoms named as concepts); a query that names a question ("Q38",
"question 38") routes to it, and an abbreviation only one title carries ("GQA") lifts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.core.text import content_terms, tokens
from assistant.core.types import Chunk, Hit
from assistant.retrieval.bm25 import BM25
from assistant.retrieval.concepts import concepts_for
from assistant.retrieval.guide_index import GuideIndex
from assistant.retrieval.nodes import node_of
from assistant.retrieval.phrasings import QuestionClassifier, best_per_question, load_or_fit_classifier
from assistant.retrieval.query import GuideQuery, QueryReader


@dataclass(frozen=True)
class Weights:
    """How much each signal counts: a grid search on the dev set (`python -m eval.tune_retrieval`)."""

    dense: float = 1.0
    dense_title: float = 0.0  # the phrasing signal includes the title
    bm25: float = 0.35
    phrasing: float = 1.0
    classifier: float = 0.6  # the phrasing classifier's probability
    history: float = 0.6  # weight of the earlier turns' scores for a follow-up
    title_term: float = 0.1  # bonus when the query names a term only one title has


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


class HybridRetriever(BaseRetriever):
    """Built once per process from the stored chunks; `search` is the hot path, and
    llama-index's `retrieve(query)` runs the same search (top `retrieve_top_k`) as nodes."""

    def __init__(
        self,
        index: GuideIndex,
        weights=Weights(),
        expand_concepts=True,
        phrasings: tuple[np.ndarray, np.ndarray] | None = None,
        phrasing_texts: Sequence[str] = (),
        cache_dir: Path | None = None,
        retrieve_top_k: int = 5,
    ):
        """`phrasings`: (chunk index of each phrasing, its unit vector), or None;
        `phrasing_texts`: their words, to fit the classifier on (none without them);
        `cache_dir`: where the fitted classifier is cached."""
        super().__init__()
        self.index = index
        self.retrieve_top_k = retrieve_top_k
        self.weights = weights
        self.expand_concepts = expand_concepts
        chunks, embed_model = index.chunks, index.embed_model
        self.reader = QueryReader(chunks)
        self._last_signals: tuple[str, dict[str, np.ndarray]] | None = None
        self._bm25 = BM25([self._doc_terms(c) for c in chunks])
        self._dense = np.array([c.embedding for c in chunks], dtype=np.float32)
        self._title_terms = self._index_title_terms()
        titles = [c.title for c in chunks]
        self._dense_title = np.array(embed_model.get_text_embedding_batch(titles), dtype=np.float32)
        self._phrasing_owners, self._phrasings = phrasings if phrasings is not None else (None, None)
        self.classifier: QuestionClassifier | None = None
        if phrasings is not None and len(phrasing_texts) == len(self._phrasing_owners):
            self.classifier = self._fit_classifier(phrasing_texts, cache_dir)

    def _fit_classifier(self, phrasing_texts: Sequence[str], cache_dir: Path | None) -> QuestionClassifier:
        # Trained on what queries look like when they reach it: spelling repaired,
        # abbreviations spelled out, concepts named. Fitted on the raw phrasings instead,
        # it mistook expanded abbreviation queries (holdout abbreviations 2 -> 5 misses of 12).
        texts = [self.prepare(t) for t in phrasing_texts] + [self.prepare(c.title) for c in self.index.chunks]
        labels = [int(i) for i in self._phrasing_owners] + list(range(len(self.index.chunks)))
        return load_or_fit_classifier(
            texts,
            labels,
            len(self.index.chunks),
            lambda batch: np.asarray(self.index.embed_model.get_text_embedding_batch(batch), dtype=np.float32),
            fingerprint=self._dense_title.tobytes(),  # title vectors identify the embedding model
            cache_dir=cache_dir,
        )

    def _index_title_terms(self) -> dict[str, int]:
        """Abbreviations that exactly one title names, by itself or spelled out."""
        owners: dict[str, set[int]] = {}
        for i, c in enumerate(self.index.chunks):
            words = tokens(c.title)
            title = " ".join(words)
            for acr, long in self.index.lexicon.abbreviations.items():
                if acr in words or (" " in long and long in title):
                    owners.setdefault(acr, set()).add(i)
        return {acr: next(iter(idx)) for acr, idx in owners.items() if len(idx) == 1}

    def title_routes(self, query: str) -> list[int]:
        """Chunks whose title alone names an abbreviation in the query ("GQA" -> Q38).

        Only the learner's own abbreviations count, not words that merely match.
        """
        return sorted({self._title_terms[t] for t in tokens(query) if t in self._title_terms})

    def _doc_terms(self, c: Chunk) -> list[str]:
        # Title terms count twice: the title states what the chunk is about.
        expanded = self.index.lexicon.expand_document(c.text)
        return content_terms(f"{c.title} {c.text} {c.section} {expanded}")

    # -- signals -----------------------------------------------------------
    def prepare(self, query: str) -> str:
        """The query as retrieval sees it: spelling repaired, abbreviations spelled out,
        described symptoms named."""
        normalised = self.index.lexicon.normalise(query) or query
        if self.expand_concepts:
            extra = concepts_for(query)
            if extra:
                normalised = f"{normalised} ({'; '.join(extra)})"
        return normalised

    def signals(self, query: str) -> dict[str, np.ndarray]:
        """Each signal's raw score for every chunk, for fusion and for tuning.

        One turn asks for the same text's signals three times (search, the scope gate, the
        coverage verdict), so the last result is kept; its arrays are read-only, so no
        caller can change what the next one reads."""
        last = self._last_signals  # one read: another session may replace it meanwhile
        if last is not None and last[0] == query:
            return last[1]
        sig = self._compute_signals(query)
        for array in sig.values():
            array.setflags(write=False)
        self._last_signals = (query, sig)
        return sig

    def _compute_signals(self, query: str) -> dict[str, np.ndarray]:
        normalised = self.prepare(query)
        vector = self.embed(normalised)
        terms = content_terms(normalised)
        title = self._dense_title @ vector
        sig = {
            "dense": self._dense @ vector,
            "dense_title": title,
            "bm25": self._bm25.scores(terms),
            "phrasing": np.maximum(title, self._closest_phrasings(vector)),
        }
        if self.classifier is not None:
            sig["classifier"] = self.classifier.probabilities(vector)
        return sig

    def _closest_phrasings(self, vector: np.ndarray) -> np.ndarray:
        if self._phrasings is None:
            return np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        return best_per_question(self._phrasings @ vector, self._phrasing_owners, len(self.index.chunks))

    @property
    def phrasing_vectors(self) -> np.ndarray | None:
        """The learner phrasings' unit vectors (None without phrasings)."""
        return self._phrasings

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self.index.embed_model.get_query_embedding(text), dtype=np.float32)

    def closeness(self, vector: np.ndarray) -> float:
        """The highest cosine of a unit vector to any chunk, title or phrasing of the guide."""
        return float(
            max((self._dense @ vector).max(), (self._dense_title @ vector).max(), self._closest_phrasings(vector).max())
        )

    def fuse(self, sig: dict[str, np.ndarray], classifier: bool = True) -> np.ndarray:
        w = self.weights
        # Dense cosines are comparable across queries as they are; BM25 is not, so it
        # is scaled to [0, 1] per query; the classifier's probabilities already are.
        fused = (
            w.dense * sig["dense"]
            + w.dense_title * sig["dense_title"]
            + w.bm25 * _minmax(sig["bm25"])
            + w.phrasing * sig["phrasing"]
        )
        total = w.dense + w.dense_title + w.bm25 + w.phrasing
        if classifier and "classifier" in sig and w.classifier:
            fused = fused + w.classifier * sig["classifier"]
            total += w.classifier
        return fused / total

    # -- search ------------------------------------------------------------
    def read(self, text: str, history: Sequence[str] = (), section: str | None = None) -> GuideQuery:
        """The turn as every layer sees it (follow-up or not, the questions it names)."""
        return self.reader.read(text, history, section)

    def scores(self, query: GuideQuery) -> np.ndarray:
        # A follow-up ("how does it compare?") names no topic for the classifier to read,
        # and it confidently picks a wrong one (conversations hit@1 0.833 -> 0.800 with it).
        fused = self.fuse(self.signals(query.searchable), classifier=not query.followup)
        for i in self.title_routes(query.searchable):
            fused[i] += self.weights.title_term
        if query.followup:
            fused = fused + self.weights.history * self.fuse(self.signals(query.context), classifier=False)
        return fused

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [node_of(h) for h in self.search(query_bundle.query_str, self.retrieve_top_k)]

    def search(
        self,
        query: GuideQuery | str,
        top_k: int = 5,
        section: str | None = None,
        history: Sequence[str] = (),
    ) -> list[Hit]:
        """The `top_k` best questions for a turn (a `GuideQuery`, or text read with `history`)."""
        if isinstance(query, str):
            query = self.read(query, history, section)
        section = section or query.section
        scores = self.scores(query)
        for rank, number in enumerate(query.numbers):
            if number in self.index.by_number:
                scores[self.index.by_number[number]] = 10.0 - rank  # named questions first, in order
        order = np.argsort(-scores)
        hits = []
        for i in order:
            chunk = self.index.chunks[i]
            if section and chunk.section.lower() != section.lower():
                continue
            hits.append(Hit(chunk, float(scores[i])))
            if len(hits) == top_k:
                break
        return hits
