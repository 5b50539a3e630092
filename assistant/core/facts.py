"""A guide answer as atomic facts: plain sentences a learner can be asked to state.

Built on `blocks` (paragraphs, list items, table rows, notes): a table row becomes one
sentence about its first cell ("GANs (...): Two networks compete; best for High-quality
Image Generation"), with header cells as labels where the cell is not already a sentence
and never the header row itself; a nested item is a fact about its parent ("Generative AI
— Example: GPT, Stable Diffusion"); Markdown, emoji and `$math$` are reduced to plain text.
Grading, the practice page and the exports all list these same facts, so a learner sees
one set of key points everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from assistant.core.blocks import Block, blocks_of

_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
# "$1 - $1000" is money, "$4x$" and "$T=0$" are math.
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(?!\d+(?:[.,]\d+)?(?:\s|$|[,;)]))([^$\n]+?)\$")
_LATEX = {"Delta": "Δ", "cdot": "·", "ll": "≪", "gg": "≫", "rightarrow": "→", "to": "→", "sqrt": "√",
          "times": "×", "approx": "≈", "leq": "≤", "geq": "≥", "sum": "Σ", "alpha": "α", "theta": "θ"}
_SUPERSCRIPT = str.maketrans("0123456789T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ")
_LABEL = re.compile(r"^[^:;.]{1,30}:\s")  # "Example: ...", "Step 1: ..."
_PREPOSITION_END = re.compile(r"\b(?:for|of|in|to|with|by|on|at)$", re.I)
_PRONOUN_START = re.compile(r"^(?:It|Its|They|This|These|That|We|Which)\b|^\(")
_SENTENCE_WORDS = 6  # a table cell this long is a sentence of its own, not a value to label


@dataclass(frozen=True)
class Fact:
    """One thing the guide's answer states, as a plain sentence, with the block it comes from."""

    text: str
    block: Block
    subject: str = ""  # what the fact is about, when the guide names it in bold

    def __post_init__(self):
        object.__setattr__(self, "subject", plain(self.subject))

    @property
    def kind(self) -> str:
        return self.block.kind


def _math(tex: str) -> str:
    """LaTeX as plain text: "\\\\Delta W = A \\\\cdot B^T" -> "ΔW = A·Bᵀ".

    >>> _math(r"\\text{softmax}\\left(\\frac{QK^T}{\\sqrt{d_k}}\\right)V"), _math(r"O(N^2)")
    ('softmax(QKᵀ/√d_k)V', 'O(N²)')
    """
    tex = re.sub(r"\\frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", r"\1/\2", tex)
    tex = re.sub(r"\\(?:left|right)(?![a-z])\s*", "", tex)
    tex = re.sub(r"\\text\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"\\([A-Za-z]+)\s*", lambda m: _symbol(_LATEX.get(m.group(1), m.group(1))), tex)
    tex = re.sub(r"\^\{?([0-9T]+)\}?", lambda m: m.group(1).translate(_SUPERSCRIPT), tex)
    tex = re.sub(r"_\{([^}]*)\}", r"_\1", tex).replace("{", "").replace("}", "")
    tex = re.sub(r"\s*([·=+/])\s*", lambda m: m.group(1) if m.group(1) in "·/" else f" {m.group(1)} ", tex)
    return re.sub(r"\s+", " ", tex).strip()


def _symbol(sym: str) -> str:
    return f" {sym} " if sym in "≪≫≈≤≥→×" else sym


def plain(markdown: str) -> str:
    """One line of the guide as plain text: no list marker, bold, code, links, emoji or `$`.

    >>> plain("1.  **💰 Computational Costs**: High *GPU* use, `vLLM`, [docs](http://x.io), $1 - $1000.")
    'Computational Costs: High GPU use, vLLM, docs, $1 - $1000.'
    """
    text = _LIST_MARKER.sub("", markdown.strip().lstrip(">").strip())
    text = _MATH.sub(lambda m: _math(m.group(1) or m.group(2)), text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\\([%$_*#&])", r"\1", text)  # "X\\% of users"
    text = re.sub(r"\*\*|__|`|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|(?<![\w])_(?=\S)|(?<=\S)_(?![\w])", "", text)
    text = "".join(c for c in text if unicodedata.category(c) != "So" and c not in "\ufe0f\u200d")  # emoji
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9]+", text))


def _states_something(text: str) -> bool:
    """False for lines that introduce a list ("Solutions:", "If the document is too long:") and
    for lines of fewer than three words."""
    return _words(text) >= 3 and not text.endswith(":")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _row_fact(block: Block) -> str:
    """ "| **GANs** (...) | Two networks compete. | High-quality Image Generation |" with its
    header "| Model Type | Mechanism | Best For |" -> "GANs (...): Two networks compete; best for ..."."""
    cells = [plain(c) for c in _cells(block.lines[0])]
    header = [plain(c) for c in _cells(block.header[0])] if block.header else []
    parts, labelled = [], False
    for j, cell in enumerate(cells[1:], start=1):
        label = header[j] if j < len(header) else ""
        label = label if re.search(r"\b[A-Z]{2,}", label) else label.lower()  # "best for", but "API"
        if not cell:
            continue
        if not label or cell.endswith(".") or _words(cell) >= _SENTENCE_WORDS:
            parts.append(cell.rstrip("."))
        elif _PREPOSITION_END.search(label):
            parts.append(f"{label} {cell}")
        else:
            parts.append(f"{label}: {cell}")
            labelled = True
    return cells[0] + (" — " if labelled else ": ") + "; ".join(parts)


def _item_facts(block: Block) -> list[Fact]:
    """The item's own line, each nested item as a fact about it, and any loose line after it."""
    subject = block.subjects[0] if block.subjects else ""
    head = plain(block.lines[0])
    out = [Fact(head, block, subject)] if _states_something(head) else []
    about = head.rstrip(":").strip() if head.endswith(":") else (plain(f"**{subject}**") if subject else "")
    for line in block.lines[1:]:
        text, nested = plain(line), bool(_LIST_MARKER.match(line))
        if nested and about and _words(text) >= 2:  # "Closed weights" says something of its parent
            text = f"{about}{' — ' if _LABEL.match(text) else ': '}{text}"
        if _states_something(text):
            out.append(Fact(text, block, subject if nested else ""))
    return out


def _paragraph_facts(block: Block) -> list[Fact]:
    """Sentences of a paragraph; one opening with "It"/"They" stays with the one before it."""
    sentences: list[str] = []
    text = plain(" ".join(block.lines))
    for sentence in re.split(r"(?<=[.!?:])\s+(?=[A-Z(\"$])", text):
        if sentences and (_PRONOUN_START.match(sentence) or not _states_something(sentences[-1])):
            sentences[-1] = f"{sentences[-1]} {sentence}"
        else:
            sentences.append(sentence)
    return [Fact(s, block) for s in sentences if _states_something(s) and not s.lower().startswith("answer:")]


@lru_cache(maxsize=256)
def facts_of(number: int, text: str) -> tuple[Fact, ...]:
    """The facts of a question's answer (chunk text "Q38. Title\\n\\nanswer"), in guide order.

    >>> [f.text for f in facts_of(2, "Q2. T\\n\\n| Type | Mechanism | Best For |\\n|---|---|---|\\n| **GANs** | Two nets compete. | Images |")]
    ['GANs: Two nets compete; best for Images']
    """
    out: list[Fact] = []
    for block in blocks_of(number, text):
        if block.kind == "row":
            bold = re.search(r"\*\*([^*]+)\*\*", block.lines[0])
            out.append(Fact(_row_fact(block), block, bold.group(1).strip() if bold else ""))
        elif block.kind == "item":
            out += _item_facts(block)
        elif block.kind == "paragraph":
            out += _paragraph_facts(block)
        elif block.kind == "note":
            body = " ".join(plain(line) for line in block.lines)
            out.append(Fact(re.sub(r"^(?:Note|Tip|Important|Warning|Caution): ", "", body), block))
    return tuple(f for f in out if _states_something(f.text))


def key_facts(number: int, text: str) -> list[str]:
    """The facts a learner is graded on: every fact but the notes (asides, tips).

    >>> key_facts(11, "Q11. T\\n\\n- **Low (0.1 - 0.5)**: Deterministic.\\n> [!NOTE]\\n> $T=0$ forces **Greedy Decoding**.")
    ['Low (0.1 - 0.5): Deterministic.']
    """
    return [f.text for f in facts_of(number, text) if f.kind != "note"]


def quote(fact: Fact, limit: int = 120) -> str:
    """A fact short enough to quote: its first sentence when it is long.

    >>> quote(Fact("Low (0.1 - 0.5): Deterministic, focused. Good for coding.", None), 40)
    'Low (0.1 - 0.5): Deterministic, focused.'
    """
    if len(fact.text) <= limit:
        return fact.text
    first = re.split(r"(?<=[.!?])\s", fact.text, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
