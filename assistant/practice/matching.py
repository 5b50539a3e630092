"""Which of a question's facts a learner's answer states, fact by fact, and how fully.

A fact earns credit in full when one of the learner's clauses says the same thing as the
fact and as what it says of its subject (MiniLM cosine), or uses most of its terms, in part when it
comes close, and half when the learner only names what the fact is about ("training
data" for "Training Data: Large-scale, high-quality datasets"). Terms are matched by stem
("coding" meets "code"), with the guide's abbreviations expanded on both sides ("K/V"
meets "key/value") and near-synonyms merged ("dataset" meets "data"); the question's own words ("pre-training"
in "fine-tuning vs pre-training?") show nothing and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.core.facts import facts_of
from assistant.core.glossary import SYNONYMS
from assistant.core.sentences import split_sentences
from assistant.core.text import akin, content_terms, stem

# Each near-synonym's stem -> the first of its group's.
_CANONICAL = {stem(w): stem(group.split()[0]) for group in SYNONYMS for w in group.split()}


def ramp(x: float, low: float, high: float) -> float:
    """0 below `low`, 1 from `high`, linear between: partial credit.

    >>> ramp(0.3, 0.4, 0.6), ramp(0.5, 0.4, 0.6), ramp(0.7, 0.4, 0.6)
    (0.0, 0.5, 1.0)
    """
    return float(min(1.0, max(0.0, (x - low) / (high - low))))


def name_like(subject: str) -> bool:
    """A subject worth credit for naming: several words, an acronym or CamelCase, not "Low".

    >>> name_like("Training Data"), name_like("GANs"), name_like("Low")
    (True, True, False)
    """
    return len(subject.split()) > 1 or bool(re.search(r".[A-Z0-9]", subject))


@dataclass
class Reference:
    """One question's facts as the matcher needs them, computed once per question. A fact
    of several sentences ("GQA: Middle ground. Many Q heads, Groups of K/V heads. Used in
    Llama 2/3.") is matched sentence by sentence: stating one of three earns a third."""

    points: list[str]  # the facts, as the learner reads them
    parts: list[int]  # for each sentence of a fact, the fact's index
    vectors: np.ndarray  # each sentence's vector, with its subject
    bodies: np.ndarray  # each sentence's vector, without its subject
    body_terms: list[set[str]]  # each sentence's terms, without its subject or table labels
    subjects: list[str]  # per fact: the subject whose naming earns credit, or ""
    backing: np.ndarray  # vectors of the title, facts and sentences: what backs a sentence
    guide_terms: set[str]


def _split(fact) -> tuple[str, str]:
    """A fact's subject lead and what it says of it: "GQA (Grouped Query)", "Middle ground. ..."."""
    if not fact.subject:
        return "", fact.text
    parts = re.split(r": | — ", fact.text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", fact.text)


def _sentences(text: str) -> list[str]:
    """A fact's sentences; a fragment of fewer than three words stays with the one before it.

    >>> _sentences("Middle ground. Many Q heads, Groups of K/V heads. Used in Llama 2/3.")
    ['Middle ground.', 'Many Q heads, Groups of K/V heads.', 'Used in Llama 2/3.']
    >>> _sentences("Lower is better. (Intrinsic).")
    ['Lower is better. (Intrinsic).']
    """
    out: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+(?=[A-Z(\"])", text):
        if out and len(re.findall(r"[A-Za-z0-9]+", piece)) < 2:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


class Matcher:
    # A clause this close (MiniLM cosine) to a fact, both as written and to what it says of its
    # subject, states it, or part of it. Calibrated with eval.grading_eval: topic words alone
    # bring a wrong answer to 0.6 ("Zero-shot ... how many times you retrain" vs "Zero-shot:
    # Just the instruction"), so full credit needs 0.7.
    COVER_COSINE, PART_COSINE = 0.7, 0.45
    COVER_TERMS, PART_TERMS = 0.6, 0.2  # the share of a fact's terms an answer must use
    NAMED_CREDIT = 0.5  # naming what a fact is about, without what the guide says of it
    BACKED_COSINE, BACKED_TERMS = 0.5, 0.6  # below both, the guide does not back a sentence

    def __init__(self, index):
        self.index = index
        self._refs: dict[int, Reference] = {}

    def terms(self, text: str) -> set[str]:
        """Content terms with the guide's abbreviations expanded and near-synonyms merged."""
        lex = self.index.lexicon
        raw = content_terms(f"{text} {lex.normalise(text)} {lex.expand_document(text)}")
        return {_CANONICAL.get(t, t) for t in raw}

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.array(self.index.embed_model.get_text_embedding_batch(texts), dtype=np.float32)

    def reference(self, chunk) -> Reference:
        if chunk.number not in self._refs:
            facts = [f for f in facts_of(chunk.number, chunk.text) if f.kind != "note"]
            points = [f.text for f in facts] or [chunk.title]
            parts, full, bodies, body_terms = [], [], [], []
            for i, fact in enumerate(facts or [None]):
                lead, body = _split(fact) if fact else ("", chunk.title)
                labels = self.terms(" ".join(fact.block.header[:1])) if fact and fact.kind == "row" else set()
                for sentence in _sentences(body):
                    parts.append(i)
                    full.append(f"{lead}: {sentence}" if lead else sentence)
                    bodies.append(sentence)
                    body_terms.append((self.terms(sentence) - labels) or self.terms(sentence))
            topic = self.terms(chunk.title)
            # Naming a subject earns credit on its first fact only: "Proprietary" is not three facts;
            # nor does naming one the question names ("Zero-shot" in "zero-shot vs few-shot?").
            subjects = [f.subject if name_like(f.subject) and f.subject not in [g.subject for g in facts[:i]]
                        and not self.terms(f.subject) <= topic else "" for i, f in enumerate(facts)] or [""]
            backing = list(dict.fromkeys([chunk.title, *points, *split_sentences(chunk.text)]))
            self._refs[chunk.number] = Reference(points, parts, self.embed(full), self.embed(bodies), body_terms,
                                                 subjects, self.embed(backing), self.terms(chunk.text))
        return self._refs[chunk.number]

    def named(self, ref: Reference, answer_terms: set[str]) -> list[bool]:
        """Whether the answer names each fact's subject by the words only it uses in this
        question ("Training Data" by "data": "training" also names "Training Process")."""
        stems = {s: self.terms(s) for s in ref.subjects if s}
        out = []
        for subject in ref.subjects:
            own = stems.get(subject, set()) - set().union(*(t for s, t in stems.items() if s != subject))
            out.append(bool(own) and len(own & answer_terms) * 2 >= len(own))
        return out

    def credits(self, ref: Reference, units: list[str], answer: str) -> list[float]:
        """Each fact's credit in [0, 1] from the learner's `units` (sentences and clauses)."""
        if not units:
            return [0.0] * len(ref.points)
        vectors = self.embed(units + [answer]).T
        cosine = np.minimum((ref.vectors @ vectors).max(axis=1), (ref.bodies @ vectors).max(axis=1))
        answer_terms = self.terms(answer)
        per_part: dict[int, list[float]] = {}
        for j, (fact, terms) in enumerate(zip(ref.parts, ref.body_terms)):
            share = sum(akin(t, answer_terms) for t in terms) / len(terms) if terms else 0.0
            # Closeness alone is not enough: a sentence that shares none of a fact's own words
            # only shares its topic ("Zero-shot ... retrain" is close to "Zero-shot: Just the instruction").
            close = ramp(cosine[j], self.PART_COSINE, self.COVER_COSINE) if share > 0 else 0.0
            per_part.setdefault(fact, []).append(max(close, ramp(share, self.PART_TERMS, self.COVER_TERMS)))
        named = self.named(ref, answer_terms)
        return [max(sum(c) / len(c), self.NAMED_CREDIT if named[i] else 0.0) for i, c in sorted(per_part.items())]

    def unbacked(self, ref: Reference, sentences: list[str]) -> list[str]:
        """Sentences nothing in the guide's answer backs: far from every fact and sentence of
        it (MiniLM) and mostly in words it does not use."""
        if not sentences:
            return []
        closest = (self.embed(sentences) @ ref.backing.T).max(axis=1)
        out = []
        for sentence, cosine in zip(sentences, closest):
            terms = self.terms(sentence)
            share = len(terms & ref.guide_terms) / len(terms) if terms else 1.0
            if cosine < self.BACKED_COSINE and share < self.BACKED_TERMS:
                out.append(sentence)
        return out
