"""A guide answer split into the blocks a reader sees: paragraphs, list items, table rows, notes.

The grounded answer path picks among these blocks and shows them as the guide wrote them,
so a block is the unit of selection and of citation. Parsing is markdown-it-py's (the
CommonMark reference port) with GFM tables: hand-splitting on "- " and "|" broke on nested
bullets, multi-line paragraphs with display math, and tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark").enable("table")
_ADMONITION = re.compile(r"^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.I)
_URL = re.compile(r"https?://|www\.", re.I)
# "**MQA (Multi-Query)**: ..." -> the bold lead names what the line is about.
_BOLD_LEAD = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*\*\*([^*]+?)\*\*")
_TABLE_LEAD = re.compile(r"^\s*\|\s*(?:\*\*)?([^|*]+?)(?:\*\*)?\s*\|")
_ALIAS = re.compile(r"^(.*?)\s*\(([^()]+)\)\s*:?$")


@dataclass(frozen=True)
class Block:
    """One block of a question's answer, as Markdown lines from the guide."""

    number: int
    kind: str  # "paragraph" | "item" | "row" | "note" | "code"
    lines: tuple[str, ...]
    header: tuple[str, ...] = ()  # a table row's header and rule lines, to render it as a table

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def subjects(self) -> tuple[str, ...]:
        """What the block is about when the guide names it in bold at the start, with
        its alias: "**MQA (Multi-Query)**: ..." -> ("MQA", "Multi-Query").

        >>> Block(38, "item", ("- **MQA (Multi-Query)**: Many Q heads, **1** K/V head.",)).subjects
        ('MQA', 'Multi-Query')
        """
        first = self.lines[0]
        lead = _BOLD_LEAD.match(first) if self.kind != "row" else _TABLE_LEAD.match(first)
        if not lead:
            return ()
        name = lead.group(1).strip().rstrip(":").strip()
        alias = _ALIAS.match(name)
        names = (alias.group(1), alias.group(2)) if alias else (name,)
        return tuple(n.strip() for n in names if n.strip())


def _answer_lines(text: str) -> list[str]:
    """The chunk text is "Q38. Title\\n\\nanswer": the answer's lines."""
    head, _, body = text.partition("\n\n")
    return (body if body else head).split("\n")


def _note(lines: list[str]) -> tuple[str, ...] | None:
    """A "> [!TIP]" block as one quoted note; None for link-only tips ("Visual Reference")."""
    body = [re.sub(r"^\s*>\s?", "", line) for line in lines]
    label = next((m.group(1).title() for line in body if (m := _ADMONITION.match(line))), None)
    body = [line for line in body if line.strip() and not _ADMONITION.match(line)]
    if not body or any(_URL.search(line) for line in body):
        return None  # the guide's tips with links point at diagrams the answer cannot show
    prefix = f"**{label}:** " if label else ""
    return tuple(["> " + prefix + body[0].lstrip(), *("> " + line for line in body[1:])])


@lru_cache(maxsize=256)
def blocks_of(number: int, text: str) -> tuple[Block, ...]:
    """The answer's blocks in guide order.

    >>> [b.kind for b in blocks_of(9, "Q9. T\\n\\nIntro:\\n- a\\n  - a1\\n- b\\n\\n| X | Y |\\n|---|---|\\n| 1 | 2 |")]
    ['paragraph', 'item', 'item', 'row']
    """
    lines = _answer_lines(text)
    tokens = _MD.parse("\n".join(lines))
    out: list[Block] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.level != 0 or tok.map is None or tok.nesting == -1:
            i += 1
            continue
        start, end = tok.map
        span = [line for line in lines[start:end] if line.strip()]
        if tok.type == "paragraph_open":
            out.append(Block(number, "paragraph", tuple(span)))
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            depth_one = [t for t in _children(tokens, i) if t.type == "list_item_open" and t.level == 1]
            for item in depth_one:
                a, b = item.map
                out.append(Block(number, "item", tuple(line for line in lines[a:b] if line.strip())))
        elif tok.type == "table_open":
            rows = [t for t in _children(tokens, i) if t.type == "tr_open" and t.map]
            header = tuple(lines[start : start + 2])
            for row in rows[1:]:  # rows[0] is the header
                out.append(Block(number, "row", tuple(lines[row.map[0] : row.map[1]]), header))
        elif tok.type == "blockquote_open":
            note = _note(lines[start:end])
            if note:
                out.append(Block(number, "note", note))
        elif tok.type in ("fence", "code_block"):
            out.append(Block(number, "code", tuple(lines[start:end])))
        i = _close(tokens, i) + 1
    return tuple(out)


def _close(tokens, i: int) -> int:
    """Index of the token that closes the block opened at `i` (itself for leaf blocks)."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _children(tokens, i: int):
    return tokens[i + 1 : _close(tokens, i)]
