"""How learners ask the guide's questions: a few phrasings per question, written by hand.

A guide states "Explain group query attention (GQA)."; a learner types "gqa vs mqa
memory?" or describes a symptom ("our bot stalls before the first word"). A 22M
embedding model matches a learner's wording best against a learner's wording, so
retrieval scores each question by its closest phrasing too (as doc2query does with
generated questions), and the scope gate counts them as the guide's side.

The file is Markdown: a heading per question that repeats the guide's own question, then
one phrasing per line. The headings tie the file to one guide: phrasings written for
another guide are refused instead of silently lifting the wrong questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import StudyError

_HEADING = re.compile(r"^##\s*Q(\d+)\.?\s*(.*)$")
FIX = "set STUDY_PHRASINGS to phrasings written for this guide, or to an empty value to go without"


@dataclass(frozen=True)
class Phrasings:
    numbers: tuple[int, ...]  # the question each phrasing asks
    texts: tuple[str, ...]


def _same_title(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def parse_phrasings(text: str, titles: dict[int, str], source: str = "phrasings") -> Phrasings:
    """Phrasings per question; headings must match the guide's questions.

    >>> parse_phrasings("## Q38. Explain GQA.\\ngqa vs mqa?\\n# a comment\\n", {38: "Explain GQA."})
    Phrasings(numbers=(38,), texts=('gqa vs mqa?',))
    """
    numbers: list[int] = []
    texts: list[str] = []
    current = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("##")):
            continue
        heading = _HEADING.match(line)
        if heading:
            current, title = int(heading.group(1)), heading.group(2)
            if current not in titles:
                raise StudyError(f"{source}:{lineno} names Q{current}, which the indexed guide does not have", FIX)
            if not _same_title(title, titles[current]):
                raise StudyError(
                    f"{source}:{lineno} was written for another guide: Q{current} is "
                    f"{title!r} there but {titles[current]!r} in the index",
                    FIX,
                )
            continue
        if current is None:
            raise StudyError(f"{source}:{lineno} has a phrasing before any '## Q<n>. <question>' heading", FIX)
        numbers.append(current)
        texts.append(" ".join(line.split()))
    if not texts:
        raise StudyError(f"{source} has no phrasings", FIX)
    return Phrasings(tuple(numbers), tuple(texts))


def read_phrasings(path: Path, titles: dict[int, str]) -> Phrasings:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"cannot read the phrasings file {path} ({exc.__class__.__name__})", FIX) from None
    return parse_phrasings(text, titles, str(path))


def best_per_question(similarity: np.ndarray, owners: np.ndarray, n_chunks: int) -> np.ndarray:
    """Each question's closest phrasing; -1 (the lowest cosine) for one with none.

    >>> best_per_question(np.array([0.25, 0.5, 0.75]), np.array([0, 0, 2]), 3).tolist()
    [0.5, -1.0, 0.75]
    """
    best = np.full(n_chunks, -1.0, dtype=np.float32)
    np.maximum.at(best, owners, similarity.astype(np.float32))
    return best


def owners_of(phrasings: Phrasings, by_number: dict[int, int]) -> np.ndarray:
    return np.array([by_number[n] for n in phrasings.numbers], dtype=np.int64)
