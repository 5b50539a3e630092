"""Grounded answers: the guide's own lines, chosen for this question, each cited.

The default answer on the embedded model. A 135M-270M model swaps attributes between
entities and invents numbers ("GQA: ... 1 K/V head"); the guide's answers are short and
exact, so every factual line here is the guide's line, verbatim, chosen in code, cited:
- a first question gets the whole answer of the best question: retrieval chose that
  question as a whole, and the answers are a few lines (keeping MHA's line in "GQA vs
  MQA" costs a line; dropping a line the learner needed costs the answer);
- a follow-up gets the lines it asks about: the subjects it names ("what about MQA?") or
  the lines that stand out as closest to it ("and which one uses less VRAM?"), and the
  whole answer when none stands out;
- a close runner-up joins when the learner names something only its title has ("... cheaper
  than full fine-tuning" adds that question), or when retrieval scores the two alike.
Nothing is paraphrased, so nothing can be misquoted; the cost is prose.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.core.names import names_in
from assistant.core.blocks import Block, blocks_of
from assistant.core.citations import cite
from assistant.core.sentences import split_sentences
from assistant.core.text import ASPECT_WORDS as _GENERIC, content_terms
from assistant.core.types import Hit
from assistant.retrieval.query import GuideQuery


@dataclass(frozen=True)
class Composition:
    text: str
    citations: list[int]
    sources: list[Hit]  # the questions whose lines were used, in rank order
    blocks: list[Block]


class _Plain:
    """No spelling repair or abbreviation expansion (tests, guides without a lexicon)."""

    def normalise(self, query: str) -> str:
        return query

    def expand_document(self, text: str) -> str:  # noqa: ARG002 (no expansions)
        return ""


class Composer:
    """Chooses and renders the guide's lines; built once per retriever (block vectors cached)."""

    # A follow-up's lines stand out when the closest is at least `stand_out` (cosine) and
    # the others kept are within `spread` of it; measured on the probe set's follow-ups,
    # where a named aspect scores 0.45-0.8 and a vague one ("company's voice") under 0.3.
    stand_out = 0.4
    spread = 0.15
    # A runner-up within this much of the best score may join the answer (see `second_source`).
    margin = 0.35
    # Closer than this, retrieval cannot tell two questions apart: on the dev set 0.05 adds a
    # second question to 22 of 175 answers and answers 4 of the 15 wrong first picks.
    tie = 0.05

    @classmethod
    def of(cls, index) -> Composer:  # over a GuideIndex
        return cls(index.chunks, index.embed_model, index.lexicon)

    def __init__(self, chunks: Sequence = (), embed_model=None, lexicon=None):
        self.embed_model = embed_model
        self.lexicon = lexicon or _Plain()
        # How many titles use each term: a term that only one or two titles use names a
        # question; "fine-tuning" (in ten titles) does not.
        self.title_df = Counter(t for c in chunks for t in self._terms(c.title))
        # ... and how many answers use it: "QLoRA" (one answer) names something, "prompt" does not.
        self.text_df = Counter(t for c in chunks for t in self._terms(f"{c.title} {c.text}"))
        self.guide_text = " ".join(f"{c.title} {c.text}" for c in chunks).lower()
        # The guide's words with punctuation as spaces, and with hyphens and punctuation dropped,
        # so "gpt4" meets "GPT-4" (unknown_names): made once, not per question.
        self._guide_forms = (
            self.guide_text,
            re.sub(r"[^a-z0-9]+", " ", self.guide_text),
            re.sub(r"[^a-z0-9 ]+", "", self.guide_text.replace("-", "")),
        )
        self._vectors: dict[str, np.ndarray] = {}

    def _query_terms(self, query: str) -> set[str]:
        """Stemmed content terms of the query, spelling repaired, abbreviations spelled out."""
        return set(content_terms(self.lexicon.normalise(query)))

    def _terms(self, text: str) -> set[str]:
        return set(content_terms(f"{text} {self.lexicon.expand_document(text)}"))

    def named(self, subjects: list[Block], asked: set[str]) -> list[Block]:
        """Subjects the query names in full by one of their names ("MQA", "Multi-Query"):
        a shared word alone ("window" of "Sliding Window") names nothing."""
        out = []
        for block in subjects:
            for name in block.subjects:
                terms = self._terms(name) - _GENERIC
                if terms and terms <= asked:
                    out.append(block)
                    break
        return out

    def closest(self, query: str, hit: Hit, blocks: list[Block]) -> list[Block]:
        """The blocks that stand out as closest to the query, or [] when none does."""
        if self.embed_model is None:
            return []
        key = hit.chunk.id + hit.chunk.content_hash
        if key not in self._vectors:
            texts = [b.text for b in blocks]
            self._vectors[key] = np.array(self.embed_model.get_text_embedding_batch(texts), dtype=np.float32)
        cos = self._vectors[key] @ np.array(self.embed_model.get_query_embedding(query), dtype=np.float32)
        best = float(cos.max())
        if best < self.stand_out:
            return []
        return [b for b, c in zip(blocks, cos) if c >= max(self.stand_out - 0.05, best - self.spread)]

    def focus(self, query: str, hit: Hit, followup: bool) -> list[Block]:
        """The blocks of `hit`'s answer that answer `query` (all of them for a first question).

        >>> from assistant.core.types import Chunk
        >>> card = Chunk("Q38", 38, "Explain GQA.", "S", "Q38. Explain GQA.\\n\\nTrade-off:\\n- **MHA (Multi-Head)**: Many K/V heads (High VRAM).\\n- **MQA (Multi-Query)**: **1** K/V head (low VRAM).\\n- **GQA (Grouped Query)**: Groups of K/V heads.")
        >>> [b.subjects[0] for b in Composer().focus("what about MQA?", Hit(card, 1.0), True)]
        ['MQA']
        >>> len(Composer().focus("explain GQA vs MQA", Hit(card, 1.0), False))
        4
        """
        blocks = list(blocks_of(hit.chunk.number, hit.chunk.text))
        if len(blocks) <= 1 or not followup:
            return blocks
        subjects = [b for b in blocks if b.subjects]
        named = self.named(subjects, self._query_terms(query))
        if named and len(named) < len(subjects):
            return named
        closest = self.closest(query, hit, blocks)
        return closest if closest and len(closest) < len(blocks) else blocks

    def second_source(self, query: str, hits: Sequence[Hit]) -> Hit | None:
        """A close runner-up (second or third) that names something the query asks and the
        best question never mentions: in its title, with a term at most two titles use, or
        as one of its answer's subjects, with a term at most two answers use ("- **QLoRA**: ..." in Q27, when "LoRA vs QLoRA"
        retrieves Q63 first, which never says QLoRA).

        >>> from assistant.core.types import Chunk
        >>> a = Hit(Chunk("Q63", 63, "Explain LoRA.", "S", "Q63. Explain LoRA.\\n\\nTrain A and B."), 0.9)
        >>> b = Hit(Chunk("Q65", 65, "What is QLoRA?", "S", "Q65. What is QLoRA?\\n\\n4-bit LoRA."), 0.7)
        >>> Composer([a.chunk, b.chunk]).second_source("LoRA vs QLoRA", [a, b]).chunk.id
        'Q65'
        >>> c = Hit(Chunk("Q27", 27, "Explain PEFT.", "S", "Q27. Explain PEFT.\\n\\n- **LoRA**: A and B.\\n- **QLoRA**: 4-bit LoRA."), 0.7)
        >>> Composer([a.chunk, c.chunk]).second_source("LoRA vs QLoRA", [a, c]).chunk.id
        'Q27'
        >>> Composer([a.chunk, c.chunk]).second_source("what is LoRA", [a, c]) is None
        True
        """
        asked = self._query_terms(query) - _GENERIC
        first = self._terms(f"{hits[0].chunk.title} {hits[0].chunk.text}")
        for hit in hits[1:3]:
            if hit.score < hits[0].score - self.margin:
                break
            only_here = (asked & self._terms(hit.chunk.title)) - first
            if any(self.title_df.get(t, 0) <= 2 for t in only_here):
                return hit
            subjects = [b for b in blocks_of(hit.chunk.number, hit.chunk.text) if b.subjects]
            lacking = {t for t in asked - first if self.text_df.get(t, 0) <= 2}
            if any(self._terms(name) & lacking for b in self.named(subjects, asked) for name in b.subjects):
                return hit
        return None

    def unstated(self, text: str, composition: Composition, enough: float = 0.5) -> list[Block]:
        r"""The composition's key lines that `text` (a model's checked answer) does not state.

        Each sentence states at most the one line it is closest to (the larger of MiniLM
        cosine and the share of the line's terms it uses, at least `enough`): sibling lines
        ("MHA: many K/V heads", "MQA: one K/V head") are close to each other too, so
        closeness alone would credit one sentence with all of them.

        >>> from assistant.core.types import Chunk
        >>> c = Chunk("Q77", 77, "Canary?", "S", "Q77. Canary?\n\n- Release to 5% of users first.\n- If error rates spike, roll back.")
        >>> comp = Composer([c]).compose(GuideQuery("what is a canary release?"), [Hit(c, 1.0)])
        >>> [b.text for b in Composer([c]).unstated("Release the model to 5% of users first.", comp)]
        ['- If error rates spike, roll back.']
        """
        points = key_blocks(composition.blocks)
        sentences = [s for s in split_sentences(text) if s.strip()]
        if not points or not sentences:
            return points
        terms = [set(content_terms(b.text)) for b in points]
        score = np.array([[len(t & set(content_terms(s))) / len(t) if t else 0.0 for s in sentences] for t in terms])
        if self.embed_model is not None:
            a = np.array(self.embed_model.get_text_embedding_batch([b.text for b in points]), dtype=np.float32)
            v = np.array(self.embed_model.get_text_embedding_batch(sentences), dtype=np.float32)
            score = np.maximum(score, a @ v.T)
        stated = {int(score[:, j].argmax()) for j in range(len(sentences)) if score[:, j].max() >= enough}
        return [b for i, b in enumerate(points) if i not in stated]

    def unknown_names(self, query: str) -> list[str]:
        """Names in the query that the guide never mentions ("how is it different from DPO?"),
        counting "gpt4" as "GPT-4", "PDFs" as "PDF" and an abbreviation whose long form the
        guide uses ("ToT": tree of thoughts) as mentioned.

        >>> from assistant.core.types import Chunk
        >>> Composer([Chunk("Q17", 17, "What is RLHF?", "S", "RLHF uses PPO at an endpoint.")]).unknown_names("RLHF vs DPO")
        ['DPO']
        >>> Composer([Chunk("Q18", 18, "GPT-4?", "S", "GPT-4 reads PDF files.")]).unknown_names("gpt4 and PDFs")
        []
        """
        if not self.guide_text:
            return []

        def mentioned(name: str) -> bool:  # as a word: "DPO" is not in "endpoint"
            low = name.lower()
            forms = {low, low.rstrip("s"), re.sub(r"[^a-z0-9]", "", low)}
            if any(re.search(rf"(?<![a-z0-9]){re.escape(f)}s?(?![a-z0-9])", text) for f in forms if f
                   for text in self._guide_forms):
                return True
            long_form = getattr(self.lexicon, "abbreviations", {}).get(low)
            return bool(long_form) and all(t in self.text_df for t in content_terms(long_form))

        # A name in quotes is the learner's example ("part numbers like 'XJ-4402'"), not the topic.
        unquoted = re.sub(r"(?<![A-Za-z])'[^']{1,40}'(?![A-Za-z])|\"[^\"]{1,40}\"", " ", query)
        return [n for n in dict.fromkeys(names_in(unquoted)) if not mentioned(n)]

    def compose(self, turn: GuideQuery, hits: Sequence[Hit]) -> Composition:
        """The grounded answer to `turn` from the ranked `hits` (at most two questions)."""
        query, followup = turn.text, turn.followup
        if not hits:
            return Composition("", [], [], [])
        chosen = [hits[0]]
        # A follow-up joins a runner-up too when it names what only that one explains
        # ("and QLoRA?" after LoRA adds PEFT's QLoRA line), never on a near tie alone.
        if (runner_up := self.second_source(query, hits)) is not None:
            # a follow-up asks first about the new name; the earlier topic comes second
            chosen = [runner_up, hits[0]] if followup else [hits[0], runner_up]
        elif not followup and len(hits) > 1 and hits[0].score - hits[1].score < self.tie:
            chosen.append(hits[1])  # retrieval cannot tell them apart: show both, each headed
        parts: list[str] = []
        used: list[Block] = []
        for hit in chosen:
            blocks = self.focus(query, hit, followup)
            used += blocks
            heading = f"**Q{hit.chunk.number}. {hit.chunk.title}**"
            parts.append(f"{heading}\n\n{render(blocks, hit.chunk.number)}")
        return Composition("\n\n".join(parts), [h.chunk.number for h in chosen], chosen, used)


def key_blocks(blocks: Sequence[Block]) -> list[Block]:
    r"""The blocks that state something: not a list's lead-in ("Evaluating quality/speed trade-off:").

    >>> [b.kind for b in key_blocks(blocks_of(38, "Q38. T\n\nTrade-off:\n- **MQA**: one K/V head."))]
    ['item']
    """
    return [b for b in blocks if not (b.kind == "paragraph" and b.text.rstrip().endswith(":"))]


def render(blocks: Sequence[Block], number: int) -> str:
    """Blocks as Markdown in the guide's structure, each line cited.

    >>> print(render(blocks_of(2, "Q2. T\\n\\n| A | B |\\n|---|---|\\n| x | y |"), 2))
    | A | B |
    |---|---|
    | x | y [Q2] |
    """
    marker = cite(number)
    out: list[str] = []
    header: tuple[str, ...] = ()
    for block in blocks:
        if block.kind == "row":
            if block.header != header:
                out.extend(["", *block.header] if out else block.header)
                header = block.header
            out.extend(_cite_row(line, marker) for line in block.lines)
            continue
        if header:
            out.append("")
            header = ()
        if block.kind in ("paragraph", "note", "code"):
            # One statement across its lines (display math, a wrapped note): cited at its end,
            # after a code block rather than inside it.
            lines = list(block.lines)
            lines[-1] = lines[-1] + (f"\n{marker}" if block.kind == "code" else f" {marker}")
            if out and block.kind != "paragraph":
                out.append("")
            out.extend(lines)
            if block.kind == "note":
                out.append("")
        else:
            out.extend(f"{line.rstrip()} {marker}" for line in block.lines)
    return "\n".join(out).strip()


def _cite_row(line: str, marker: str) -> str:
    body = line.rstrip()
    if body.endswith("|"):
        return body[:-1].rstrip() + f" {marker} |"
    return f"{body} {marker}"
