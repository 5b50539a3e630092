"""The things a guide question compares, and the names a learner calls them by.

A source compares its list items led by a bold name ("**MQA (Multi-Query)**: ..."), its
table rows (by their first cell) and its table columns (by their header).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.blocks import Block, blocks_of
from assistant.core.counts import numbers, without_ordinals
from assistant.core.text import content_terms
from assistant.core.types import Chunk


def terms(text: str) -> set[str]:
    return set(content_terms(text))


@dataclass(frozen=True)
class Subject:
    names: tuple[str, ...]
    block: Block

    @property
    def body(self) -> set[str]:
        """The block's terms without its own names: what the source says of it."""
        text = without_ordinals(self.block.text)
        for name in self.names:
            text = text.replace(name, " ")
        return terms(text) | numbers(text)


def subjects_of(chunks: Sequence[Chunk]) -> list[Subject]:
    """The compared things: list items with a bold lead, table rows by their first cell and
    table columns by their header ("Pre-training" | "Fine-tuning"); "BLEU / ROUGE" is also
    "BLEU" and "ROUGE"."""
    out = []
    for chunk in chunks:
        blocks = blocks_of(chunk.number, chunk.text)
        mine = []
        for b in blocks:
            names = _row_names(b) if b.kind == "row" else b.subjects if b.kind == "item" else ()
            if names:
                parts = [p.strip() for n in names for p in n.split("/") if "/" in n and len(p.strip()) >= 2]
                mine.append(Subject(tuple(dict.fromkeys([*names, *parts])), b))
        out += _with_short_names(mine) + _columns(chunk.number, [b for b in blocks if b.kind == "row"])
    return out


def _with_short_names(siblings: list[Subject]) -> list[Subject]:
    """Siblings whose names share a head word are also named without it: a learner says
    "generative models" of "Generative AI" beside "Discriminative AI", and "multi-query" of
    "Multi-Query Attention" beside "Multi-Head Attention". A short name two siblings would
    share names neither."""
    heads = Counter(w for s in siblings for w in {n.split()[-1].lower() for n in s.names if len(n.split()) >= 2})
    shorts = [[n.rsplit(" ", 1)[0] for n in s.names
               if len(n.split()) >= 2 and heads[n.split()[-1].lower()] >= 2 and len(n.rsplit(" ", 1)[0]) >= 4]
              for s in siblings]
    called = Counter(n for s, short in zip(siblings, shorts) for n in {x.lower() for x in [*s.names, *short]})
    return [Subject(tuple(dict.fromkeys([*s.names, *(n for n in short if called[n.lower()] == 1)])), s.block)
            for s, short in zip(siblings, shorts)]


def _cells(line: str) -> list[str]:
    return [re.sub(r"\*\*", "", c).strip() for c in line.strip().strip("|").split("|")]


def _row_names(row: Block) -> tuple[str, ...]:
    """ "| **GANs** (Generative Adversarial Networks) | ..." -> ("GANs", "Generative Adversarial Networks")."""
    first = row.lines[0].strip().strip("|").split("|")[0]
    bold = re.search(r"\*\*([^*]+)\*\*", first)
    alias = re.search(r"\(([^()]+)\)", first)
    names = [bold.group(1).strip()] if bold else [_cells(row.lines[0])[0]]
    return tuple(n for n in names + ([alias.group(1).strip()] if alias else []) if n)


def _columns(number: int, rows: list[Block]) -> list[Subject]:
    """Each table column after the first as a compared thing: its header names it, its cells
    are what the table says of it."""
    out = []
    for header in dict.fromkeys(r.header for r in rows if r.header):
        cells = [_cells(r.lines[0]) for r in rows if r.header == header]
        for j, name in enumerate(_cells(header[0])[1:], start=1):
            column = tuple(c[j] for c in cells if j < len(c))
            if name and column:
                out.append(Subject((name,), Block(number, "column", (name, *column))))
    return out
