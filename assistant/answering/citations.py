"""Citations checked in code, not hoped for.

A model's answer is split into sentences. Each sentence's [Qn] markers are kept only if
question n was retrieved and actually supports the sentence (embedding similarity to the
source's own sentences, or a close paraphrase by shared terms); a supported sentence
without a valid marker is cited to the source that supports it best. Support is only
resemblance, so a supported sentence must also pass `statements.check_statement`
(nothing swapped, no unstated number, no flipped negation, no unnamed thing). A sentence
that fails any check, or talks about the prompt (`leaks`), is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.core.statements import check_statement
from assistant.core.citations import parse_citations, strip_markers
from assistant.core.sentences import split_sentences
from assistant.core.wording import REFUSAL_OPENING
from assistant.core.text import content_terms, stem
from assistant.core.types import Chunk, Hit

_LIST_ITEM = re.compile(r"(?:[-*•>|]|\d+[.)])\s")


def _stems(text: str) -> set[str]:
    return {stem(t) for t in content_terms(text)}


class SupportChecker:
    """Scores how well a source supports a sentence; source sentences are embedded once."""

    def __init__(self, embed_model, threshold: float = 0.55, lexical_threshold: float = 0.7):
        self.embed_model = embed_model
        self.threshold = threshold
        self.lexical_threshold = lexical_threshold
        self._cache: dict[str, tuple[np.ndarray, set[str]]] = {}

    def _source(self, chunk: Chunk) -> tuple[np.ndarray, set[str]]:
        if chunk.id not in self._cache:
            units = [chunk.title] + [strip_markers(s) for s in split_sentences(chunk.text)]
            vectors = np.array(self.embed_model.get_text_embedding_batch(units), dtype=np.float32)
            self._cache[chunk.id] = (vectors, _stems(f"{chunk.title} {chunk.text}"))
        return self._cache[chunk.id]

    def scores(self, sentences: Sequence[str], chunks: Sequence[Chunk]) -> np.ndarray:
        """support[i, j] in [0, 1] of sentence i by chunk j: the better of the best cosine
        to one of the chunk's sentences and the share of the sentence's terms it contains."""
        if not sentences or not chunks:
            return np.zeros((len(sentences), len(chunks)), dtype=np.float32)
        vecs = np.array(self.embed_model.get_text_embedding_batch(list(sentences)), dtype=np.float32)
        sentence_terms = [_stems(s) for s in sentences]
        out = np.zeros((len(sentences), len(chunks)), dtype=np.float32)
        for j, chunk in enumerate(chunks):
            src_vecs, src_stems = self._source(chunk)
            cosine = (vecs @ src_vecs.T).max(axis=1)
            for i, terms in enumerate(sentence_terms):
                lexical = len(terms & src_stems) / len(terms) if len(terms) >= 4 else 0.0
                # Rescaled so both signals meet the same bar (`threshold`).
                out[i, j] = max(cosine[i], lexical * self.threshold / self.lexical_threshold)
        return out

    def supported(self, score: float) -> bool:
        return score >= self.threshold


def _checkable(sentence: str) -> bool:
    # "Sure!", "In short:" and bullets with two words state nothing to check.
    return len(content_terms(sentence)) >= 3


class SentenceGate:
    """Shows a model's sentence only once it is finished, says something about the topic,
    is supported by a retrieved question, and contradicts nothing in that question.

    Feed it the whole answer so far; it returns the pieces that may be shown now, each
    with its citation. What it holds back is kept in `removed` with the reason.
    """

    def __init__(self, sources: Sequence[Hit], checker: SupportChecker, leaks, question: str = ""):
        self.question = question
        self.chunks = [h.chunk for h in sources]
        self.index = {c.number: j for j, c in enumerate(self.chunks)}
        self.checker = checker
        self.leaks = leaks
        self.accepted: list[str] = []
        self.citations: list[int] = []
        self.unsupported: list[str] = []
        self.removed: list[dict] = []
        self.model_refused = False
        self._decided = 0

    def feed(self, text: str) -> list[str]:
        """Pieces to show now: the finished sentences of `text` not yet decided."""
        return self._decide(split_sentences(text)[:-1])  # the last one may still grow

    def finish(self, text: str) -> list[str]:
        return self._decide(split_sentences(text))

    def says_something(self) -> bool:
        """False when what was shown is empty or near-empty (fewer than four topic terms)."""
        return sum(len([t for t in content_terms(strip_markers(s)) if t.isalpha()]) for s in self.accepted) >= 4

    def _decide(self, sentences: list[str]) -> list[str]:
        out = []
        for sentence in sentences[self._decided :]:
            self._decided += 1
            piece = self._check(sentence)
            if piece:
                sep = "" if not self.accepted else ("\n" if _LIST_ITEM.match(piece) else " ")
                self.accepted.append(piece)
                out.append(sep + piece)
        return out

    def _remove(self, sentence: str, reason: str) -> None:
        self.removed.append({"sentence": sentence, "reason": reason})

    def _check(self, sentence: str) -> str | None:
        plain = strip_markers(sentence)
        if not content_terms(plain):
            return None  # "Sure!", a stray marker: nothing to show or report
        if plain.startswith(REFUSAL_OPENING) and not self.accepted and self._decided == 1:
            self.model_refused = True
            return None
        if reason := self.leaks.reason(plain) or ("refuses mid-answer" if REFUSAL_OPENING in plain else None):
            self._remove(plain, reason)
            return None
        if not _checkable(plain) or not self.chunks:
            self._remove(plain, "too short to check against the guide")
            return None
        scores = self.checker.scores([plain], self.chunks)[0]
        cited = [n for n in parse_citations(sentence) if n in self.index]
        keep = [n for n in cited if self.checker.supported(scores[self.index[n]])]
        if not keep:
            best = int(np.argmax(scores))
            keep = [self.chunks[best].number] if self.checker.supported(scores[best]) else []
        if not keep:
            self.unsupported.append(plain)
            self._remove(plain, "no retrieved question supports it")
            return None
        if any(_same(plain, strip_markers(a)) for a in self.accepted):
            return None  # tiny models loop: a sentence already shown is not shown twice
        problems = check_statement(plain, [self.chunks[self.index[n]] for n in keep], self.question)
        if problems:
            self._remove(plain, "; ".join(str(p) for p in problems))
            return None
        self.citations += [n for n in keep if n not in self.citations]
        return _with_markers(plain, keep)


def _same(a: str, b: str) -> bool:
    return content_terms(a) == content_terms(b)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    if not numbers:
        return sentence
    return f"{sentence} [{', '.join(f'Q{n}' for n in numbers)}]"
