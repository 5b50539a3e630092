"""Citations checked in code, not hoped for.

The model's answer is split into sentences. Each sentence's [Qn] markers are kept only
if question n was retrieved and actually supports the sentence (embedding similarity to
the source's own sentences, or a close paraphrase by shared terms); a supported sentence
without a valid marker is cited to the source that supports it best; a sentence no
source supports is flagged. An answer that ends up citing nothing is cited to its
best-supported source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.retrieval import Hit
from assistant.store import Chunk
from assistant.text import content_terms, stem

# Only Q-numbered markers count: "(1)" and "[3]" are the text's own numbering.
_MARKER = re.compile(r"\s*[\[(]\s*Q\s*\d{1,3}(?:\s*[,;&]\s*(?:and\s+)?Q?\s*\d{1,3})*\s*[\])]", re.I)
_NUMBER = re.compile(r"\d{1,3}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])|\n+")
_LIST_ITEM = re.compile(r"(?:[-*•]|\d+[.)])\s")
REFUSAL = "The guide does not cover"


def parse_citations(text: str) -> list[int]:
    """Question numbers cited with [Q38], [Q38, Q12] or (Q7) markers, in order.

    >>> parse_citations("GQA groups heads [Q38]. See also [Q37, 36] and (Q7), not step (1).")
    [38, 37, 36, 7]
    """
    out: list[int] = []
    for marker in _MARKER.finditer(text):
        for n in _NUMBER.findall(marker.group(0)):
            if int(n) not in out:
                out.append(int(n))
    return out


def strip_markers(text: str) -> str:
    """
    >>> strip_markers("GQA groups heads [Q38].")
    'GQA groups heads.'
    """
    return _MARKER.sub("", text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing citation markers kept attached.

    >>> split_sentences("GQA groups heads. [Q38] MQA shares one.\\n- KV cache")
    ['GQA groups heads. [Q38]', 'MQA shares one.', '- KV cache']
    """
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    out: list[str] = []
    for part in parts:
        lead = _MARKER.match(part)
        if out and lead and lead.start() == 0:
            out[-1] += " " + lead.group(0).strip()
            part = part[lead.end() :].strip()
            if not part:
                continue
        out.append(part)
    return out


def _stems(text: str) -> set[str]:
    return {stem(t) for t in content_terms(text)}


@dataclass(frozen=True)
class Verified:
    text: str
    citations: list[int]
    unsupported_sentences: list[str]
    model_refused: bool = False


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


def verify(answer: str, sources: Sequence[Hit], checker: SupportChecker) -> Verified:
    """Rewrite `answer`'s citations to those the sources support; flag the rest.

    Only `sources` (what was retrieved and shown to the model) can be cited.
    """
    chunks = [h.chunk for h in sources]
    by_number = {c.number: j for j, c in enumerate(chunks)}
    sentences = split_sentences(answer)
    plain = [strip_markers(s) for s in sentences]
    cited = [[n for n in parse_citations(s) if n in by_number] for s in sentences]
    if sentences and plain[0].startswith(REFUSAL):
        return Verified(plain[0], [], [], model_refused=True)
    checkable = [i for i, p in enumerate(plain) if _checkable(p)]
    support = checker.scores([plain[i] for i in checkable], chunks)

    final_cites: list[list[int]] = [[] for _ in sentences]
    unsupported: list[str] = []
    for row, i in enumerate(checkable):
        scores = support[row]
        keep = [n for n in cited[i] if checker.supported(scores[by_number[n]])]
        if not keep and chunks:
            best = int(np.argmax(scores))
            if checker.supported(scores[best]):
                keep = [chunks[best].number]
        if not keep:
            unsupported.append(plain[i])
            keep = cited[i]  # what the model pointed at, so the learner can check it there
        final_cites[i] = keep
    for i in set(range(len(plain))) - set(checkable):
        final_cites[i] = cited[i]  # too short to check: keep the model's (valid) citations

    citations: list[int] = []
    for cites in final_cites:
        citations += [n for n in cites if n not in citations]
    if not citations and chunks and any(plain):
        # Nothing cited: attach the source that supports the answer best overall.
        best = int(np.argmax(support.max(axis=0))) if len(checkable) else 0
        citations = [chunks[best].number]
        if sentences:
            final_cites[-1] = citations
    text = ""
    kept = [(s, c) for s, c in zip(plain, final_cites) if s]
    for i, (sentence, cites) in enumerate(kept):
        # Keep list items on their own lines; prose sentences flow.
        sep = "\n" if _LIST_ITEM.match(sentence) else " "
        following = kept[i + 1] if i + 1 < len(kept) else None
        # A run of sentences from the same source is cited once, at its end.
        same_run = following is not None and following[1] == cites and not _LIST_ITEM.match(following[0])
        text = f"{text}{sep if text else ''}{_with_markers(sentence, [] if same_run else cites)}"
    return Verified(text, citations, unsupported)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    if not numbers:
        return sentence
    return f"{sentence} [{', '.join(f'Q{n}' for n in numbers)}]"
