"""Okapi BM25 over a few hundred short documents: small enough to keep in pure numpy."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class BM25:
    """Scores every document for a bag of query terms.

    >>> bm = BM25([["gqa", "attention"], ["lora", "rank"]])
    >>> [round(float(s), 2) for s in bm.scores(["lora"])]
    [0.0, 0.69]
    """

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avg_len = float(self.lengths.mean()) if self.n else 0.0
        self.tf = [Counter(d) for d in docs]
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        self.idf = {t: math.log(1 + (self.n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        # term -> (doc indices, term frequencies), so a query touches only its postings
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term in df:
            idx = [i for i, tf in enumerate(self.tf) if term in tf]
            self.postings[term] = (np.array(idx), np.array([self.tf[i][term] for i in idx], dtype=np.float32))

    def scores(self, query_terms: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        if not self.n:
            return out
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg_len, 1e-9))
        for term in set(query_terms):
            if term not in self.postings:
                continue
            idx, tf = self.postings[term]
            out[idx] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm[idx])
        return out
