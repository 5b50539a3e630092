"""Does the guide answer what was asked? A verdict on every answer, decided before anything
is shown: `answered`, `partial` (the guide covers the topic, not what was asked of it) or
`not_covered`.

Retrieval always finds a nearest question; the nearest is not always an answer. A
learner asking "how long should a canary release run?" lands on Q77, which says what a
canary release is and never how long. As in CRAG (Yan et al. 2024, "Corrective Retrieval
Augmented Generation"), a light evaluator grades what was retrieved against the question,
from evidence that carries over to any guide:
- scope: the scope gate's log-odds that the guide covers the topic at all;
- classifier: how sure the retriever's phrasing classifier (fitted on the ways learners ask
  each guide question) is that this is the chosen question: another question about the
  same topic spreads its probability;
- local: the question's words that the guide uses elsewhere but not in the chosen answer,
  each weighed by how rare the word is in English (wordfreq): "multilingual" names a
  topic, "primary" does not;
- gaps: asks the chosen answer cannot meet (why, how it works, how it is trained, its
  limits, an amount: `assistant/answering/asks.py`).
A logistic model combines them; its weights come from `python -m eval.tune_coverage`,
fitted on real interview questions labelled against the guide (never on the held-out part).
Words the guide never uses at all did not separate the verdicts there (learners' own words
and typos are among them), so they only name what is missing. A name the guide never
mentions ("RLHF vs DPO"), or a figure the chosen answers never give ("how long should a
canary release run?"), makes the answer partial outright.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from assistant.answering.asks import FIGURES, ask_clause, asks_met, asks_of, defined_term, heading_term
from assistant.answering.scope import ScopeGate, Verdict
from assistant.core.blocks import blocks_of
from assistant.core.text import ASPECT_WORDS, STOPWORDS, stem, tokens
from assistant.core.types import Hit
from assistant.core.wording import not_covered_note
from assistant.retrieval.followup import continues
from assistant.retrieval.query import GuideQuery

FEATURES = ("scope", "classifier", "local", "gaps")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'./+-]*[A-Za-z0-9+]|[A-Za-z0-9]")


class Coverage(str, Enum):
    ANSWERED = "answered"
    PARTIAL = "partial"
    NOT_COVERED = "not_covered"


@dataclass(frozen=True)
class CoverageModel:
    """Logistic weights over FEATURES: the cited lines answer the question when the
    probability is at least `threshold`."""

    weights: tuple[float, ...] = (0.550, 2.189, -0.674, -2.138)
    bias: float = -1.704
    threshold: float = 0.236


@dataclass(frozen=True)
class CoverageVerdict:
    coverage: Coverage
    missing: tuple[str, ...] = ()  # what the guide does not cover, in the learner's words
    probability: float = 1.0  # that the cited lines answer what was asked
    scope: Verdict | None = None

    @property
    def lead(self) -> str:
        """What a partial answer opens with (its note and a blank line); "" otherwise."""
        return f"{not_covered_note(self.missing)}\n\n" if self.coverage is Coverage.PARTIAL else ""


@lru_cache(maxsize=4096)
def rarity(word: str) -> float:
    """How much a word names a topic, 0 (everyday English) to 1 (a term or a name), from
    its frequency in English text.

    >>> rarity("multilingual") > 0.5 > rarity("primary"), rarity("top-p")
    (True, 1.0)
    """
    from wordfreq import zipf_frequency

    if any(ch.isdigit() for ch in word) or any(len(part) == 1 for part in word.split("-")):
        return 1.0  # "gpt-4", "top-p": names
    return min(1.0, max(0.0, (5.0 - zipf_frequency(word, "en")) / 1.5))


class CoverageJudge:
    """Built once per retriever; `judge` runs per answer (a few milliseconds)."""

    def __init__(self, scope: ScopeGate, unknown_names=lambda text: [], model: CoverageModel = CoverageModel()):
        if len(model.weights) != len(FEATURES):
            raise ValueError(f"CoverageModel has {len(model.weights)} weights for {len(FEATURES)} features")
        self.scope = scope
        self.retriever = scope.retriever
        index = self.index = scope.retriever.index
        self.model = model
        self.unknown_names = unknown_names  # names the guide never mentions (the composer's)
        lex = index.lexicon
        self._stems = {
            c.number: {stem(w) for w in tokens(f"{c.title} {c.text} {lex.expand_document(c.text)}")}
            for c in index.chunks
        }
        self._asks = {c.number: asks_met(c.title, c.text.partition("\n\n")[2]) for c in index.chunks}
        # What each question is about: the term its heading defines ("embeddings" in "Explain
        # the concept of embeddings in NLP", not "NLP"), else the whole heading, and its bold
        # leads ("- **QLoRA**: ...").
        self._subjects = {
            c.number: {_squash(stem(w)) for b in blocks_of(c.number, c.text) for n in b.subjects for w in tokens(n)}
            | {_squash(stem(w)) for w in tokens(heading_term(c.title))}
            for c in index.chunks
        }

    # -- evidence ------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """The words of a question that name what it asks about (spelling repaired)."""
        lex = self.index.lexicon
        out = []
        for w in tokens(text):
            if "-" not in w and any("-" in t and w in t.split("-") for t in tokens(text)):
                continue  # a part of a hyphenated word counts as the whole
            if w in STOPWORDS or len(w) < 2 or w.isdigit() or stem(w) in ASPECT_WORDS:
                continue
            out.append(lex.correct_word(w) if w.isalpha() and w not in lex.abbreviations else w)
        return list(dict.fromkeys(out))

    def _in(self, word: str, numbers: Sequence[int]) -> bool:
        s = stem(word)
        long_form = self.index.lexicon.abbreviations.get(word)
        for n in numbers:
            stems = self._stems.get(n, set())
            if s in stems or (long_form and all(stem(t) in stems for t in tokens(long_form) if t not in STOPWORDS)):
                return True
        return False

    def uncovered(self, text: str, numbers: Sequence[int]) -> tuple[list[str], list[str]]:
        """(words the guide never uses, words it uses but not in the chosen answers)."""
        everywhere = list(self._stems)
        foreign, local = [], []
        for w in self.words(text):
            if not self._in(w, numbers):
                (local if self._in(w, everywhere) else foreign).append(w)
        return foreign, local

    def gaps(self, text: str, numbers: Sequence[int]) -> set[str]:
        met = set().union(*(self._asks.get(n, set()) for n in numbers)) if numbers else set()
        return asks_of(text) - met

    def features(self, query: GuideQuery, sources: Sequence[Hit], scope_probability: float) -> dict[str, float]:
        numbers = [h.chunk.number for h in sources]
        _, local = self.uncovered(query.text, numbers)
        p = min(max(scope_probability, 1e-4), 1 - 1e-4)
        signals = self.retriever.signals(query.probe)
        # Without learner phrasings there is no classifier: the heading's closeness stands in.
        belief = signals.get("classifier", signals["dense_title"])
        return {
            "scope": math.log(p / (1 - p)),
            "classifier": max((float(belief[self.index.by_number[n]]) for n in numbers), default=0.0),
            "local": sum(rarity(w) for w in local),
            "gaps": float(len(self.gaps(query.text, numbers))),
        }

    def probability(self, feats: dict[str, float]) -> float:
        m = self.model
        z = m.bias + sum(w * feats[name] for w, name in zip(m.weights, FEATURES))
        return 1.0 / (1.0 + math.exp(-z))

    def missing(self, query: GuideQuery, sources: Sequence[Hit]) -> tuple[str, ...]:
        """What the guide does not cover of the question, in the learner's words: the names
        and rare words the guide never uses ("top-p"), and the asks the chosen answers
        cannot meet ('"how long should a canary release run"'). The whole question when
        nothing narrower is found: a word the guide uses elsewhere is not "not covered"."""
        numbers = [h.chunk.number for h in sources]
        asks = [ask_clause(query.text, ask) for ask in sorted(self.gaps(query.text, numbers))]
        asks = [a for a in dict.fromkeys(asks) if a]
        foreign, _ = self.uncovered(query.text, numbers)
        lacking = {w for w in foreign if rarity(w) >= 0.4}
        lacking |= {n.lower() for n in self.unknown_names(query.text)}
        spans = [s for s in _spans(query.text, lacking) if not any(s.lower() in a.lower() for a in asks)]
        items = spans + [f'"{a}"' for a in asks]
        return tuple(items) or (f'"{query.text.strip().rstrip("?")}"',)

    # -- verdict -------------------------------------------------------------
    def judge(self, query: GuideQuery, sources: Sequence[Hit], scope: Verdict) -> CoverageVerdict:
        if not scope.in_scope:
            # A follow-up about something new ("and how does top-p differ?" after temperature)
            # keeps the topic it leans on: the guide covers that part.
            if query.followup and scope.reason == "not_covered" and sources and self._context_in_scope(query):
                return CoverageVerdict(Coverage.PARTIAL, self.missing(query, sources), 0.0, scope)
            return CoverageVerdict(Coverage.NOT_COVERED, (), 0.0, scope)
        if query.numbers or not sources:
            return CoverageVerdict(Coverage.ANSWERED, (), 1.0, scope)
        p = self.probability(self.features(query, sources, scope.probability))
        if p >= self.model.threshold and not self.lacks_outright(query, sources) and not self._new_topic(query, sources):
            return CoverageVerdict(Coverage.ANSWERED, (), p, scope)
        return CoverageVerdict(Coverage.PARTIAL, self.missing(query, sources), p, scope)

    def lacks_outright(self, query: GuideQuery, sources: Sequence[Hit]) -> bool:
        """A figure the chosen answers never give, a name the guide never mentions, or a
        term asked to be defined that the chosen answers only mention in passing ("What is
        vector normalization?" where "normalization" is one word of Q21's line on
        RMSNorm): missing however close the topic."""
        numbers = [h.chunk.number for h in sources]
        if self.gaps(query.text, numbers) & FIGURES or self.unknown_names(query.text):
            return True
        term = self.words(defined_term(query.text))
        if not 0 < len(term) <= 4:
            return False
        # "1-bit quantization": the guide defines quantization, never its 1-bit kind.
        foreign, _ = self.uncovered(" ".join(term), numbers)
        if any(self._names_a_kind(w) for w in foreign):
            return True
        return not any(self._is_subject(w, numbers) for w in term)

    def _new_topic(self, query: GuideQuery, sources: Sequence[Hit]) -> bool:
        """A follow-up that continues with something of its own ("and what about mixed
        precision training?" after Flash Attention): the evidence above is the earlier
        turn's, which says nothing of it, so its own rare words must be in the chosen
        answers. A follow-up that rephrases its ask ("how can the rotary one be stretched?")
        is judged with the earlier turn as before."""
        if not query.followup or not continues(query.text):
            return False
        foreign, local = self.uncovered(query.text, [h.chunk.number for h in sources])
        return any(rarity(w) >= 0.4 for w in foreign + local)

    def _names_a_kind(self, word: str) -> bool:
        """Whether a word the guide never uses names a kind of what it covers: a rare one, with
        a figure ("1-bit"), or not a hyphenated spelling of the guide's own words
        ("retrieval-augmented")."""
        if rarity(word) < 0.7:
            return False
        return any(c.isdigit() for c in word) or not all(self._in(p, list(self._stems)) for p in word.split("-"))

    def _is_subject(self, word: str, numbers: Sequence[int]) -> bool:
        """Is `word` what one of the questions is about ("re-ranking" meets "Reranker")?"""
        mine = _squash(stem(word))
        for n in numbers:
            for subject in self._subjects.get(n, ()):
                if mine == subject or (min(len(mine), len(subject)) >= 5 and
                                       (subject.startswith(mine) or mine.startswith(subject))):
                    return True
        return False

    def _context_in_scope(self, query: GuideQuery) -> bool:
        last = query.history[-1]
        return self.scope.probability(self.scope.features(last)) >= self.scope.model.threshold


def _squash(word: str) -> str:
    return word.replace("-", "")


def _spans(text: str, lacking: set[str]) -> list[str]:
    """The learner's words around each lacking word: the word and the next one or two
    that are not function words ("multilingual models"), and the capitalised words of the
    same name before it ("Red Teaming").

    >>> _spans("How do tokenizers affect multilingual models?", {"multilingual"})
    ['multilingual models']
    >>> _spans("Why do transformers need positions when RNNs don't?", {"rnns"})
    ['RNNs']
    >>> _spans('What is "Red Teaming" in LLMs?', {"teaming"}), _spans("How is LLMOps different from MLOps?", {"llmops"})
    (['Red Teaming'], ['LLMOps'])
    """
    words = [(m.group(0), m.group(0).lower().strip(".'")) for m in _WORD.finditer(text)]
    spans, i = [], 0
    while i < len(words):
        if words[i][1] in lacking:
            start, j = i, i + 1
            while j < len(words) and j <= i + 2 and not _function_word(words[j][1]):
                j += 1
            while (start > 1 and words[i][0][:1].isupper() and words[start - 1][0][:1].isupper()
                   and not _function_word(words[start - 1][1])):
                start -= 1  # the first word of the question is capitalised as a sentence's
            spans.append(" ".join(w for w, _ in words[start:j]))
            i = j
        else:
            i += 1
    return list(dict.fromkeys(spans))


# Words of the ask, not of what is asked about ("LLMOps different from MLOps").
_ASK_WORDS = frozenset("different differ differs difference differences compare compared similar versus vs".split())


def _function_word(word: str) -> bool:
    """A stopword, a contraction ("don't", "it's") or a word of the ask: never part of a named span."""
    return word in STOPWORDS or "'" in word or word in _ASK_WORDS or stem(word) in ASPECT_WORDS
