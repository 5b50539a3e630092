"""How learners ask the guide's questions: a few phrasings per question, written by hand.

A guide states "Explain group query attention (GQA)."; a learner types "gqa vs mqa
memory?" or describes a symptom ("our bot stalls before the first word"). A 22M
embedding model matches a learner's wording best against a learner's wording, so
retrieval scores each question by its closest phrasing too (as doc2query does with
generated questions), and the scope gate counts them as the guide's side.

The phrasings also train a small linear classifier (query vector -> which question),
`QuestionClassifier`: where the closest-phrasing signal asks "which single phrasing is
nearest?", the classifier learns which directions of the embedding tell the questions
apart. "my chatbot makes up sources" is near every phrasing that mentions a chatbot; the
classifier has learnt from eight phrasings per question that "chatbot" separates few
questions and "makes up" separates Q29. It is fitted on the guide's side only (titles
and phrasings), never on evaluation queries.

The file is Markdown: a heading per question that repeats the guide's own question, then
one phrasing per line; lines starting "# " are comments. The headings tie the file to one guide: phrasings written for
another guide are refused instead of silently lifting the wrong questions.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.core.errors import StudyError

_HEADING = re.compile(r"^##\s*Q(\d+)\.?\s*(.*)$")
_COMMENT = re.compile(r"^#(\s|$)")
FIX = "set STUDY_PHRASINGS to phrasings written for this guide, or to an empty value to go without"


@dataclass(frozen=True)
class Phrasings:
    numbers: tuple[int, ...]  # the question each phrasing asks
    texts: tuple[str, ...]
    stale: tuple[int, ...] = ()  # headings that no longer match the guide: skipped


def _same_title(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def parse_phrasings(text: str, titles: dict[int, str], source: str = "phrasings") -> Phrasings:
    """Phrasings per question, for the headings that match the guide's questions.

    A heading whose question the guide no longer has, or words differently, is skipped
    (an edited guide keeps the rest); a file none of whose headings match was written
    for another guide and is refused.

    >>> parse_phrasings("## Q38. Explain GQA.\\ngqa vs mqa?\\n# a comment\\n## Q2. Old\\nx\\n", {38: "Explain GQA."})
    Phrasings(numbers=(38,), texts=('gqa vs mqa?',), stale=(2,))
    """
    numbers: list[int] = []
    texts: list[str] = []
    stale: list[int] = []
    current, first_mismatch = None, None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or _COMMENT.match(line):
            continue
        heading = _HEADING.match(line)
        if line.startswith("#") and not heading:
            # "### Q2." or "## Notes" would otherwise become phrasings of the question above
            raise StudyError(f"{source}:{lineno} is neither a '## Q<n>. <question>' heading nor a '# comment'", FIX)
        if heading:
            current, title = int(heading.group(1)), heading.group(2)
            if current not in titles or not _same_title(title, titles[current]):
                stale.append(current)
                first_mismatch = first_mismatch or (current, title)
                current = 0  # skip its phrasings
            continue
        if current is None:
            raise StudyError(f"{source}:{lineno} has a phrasing before any '## Q<n>. <question>' heading", FIX)
        if current:
            numbers.append(current)
            texts.append(" ".join(line.split()))
    if not texts and first_mismatch:
        n, title = first_mismatch
        theirs = repr(titles[n]) if n in titles else "missing"
        raise StudyError(
            f"{source} was written for another guide: none of its headings match the guide's "
            f"questions (Q{n} is {title!r} there, {theirs} in the guide)",
            FIX,
        )
    if not texts:
        raise StudyError(f"{source} has no phrasings", FIX)
    return Phrasings(tuple(numbers), tuple(texts), tuple(stale))


def read_phrasings(path: Path, titles: dict[int, str]) -> Phrasings:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a BOM from Notepad is not text
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


@dataclass(frozen=True)
class QuestionClassifier:
    """Multinomial logistic regression from a unit query vector to the chunk it asks about."""

    weights: np.ndarray  # (chunks, dim)
    bias: np.ndarray  # (chunks,)

    # Chosen on the dev set among 3, 10, 30, 100 (`python -m eval.tune_retrieval`).
    C = 10.0

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        """Softmax over the chunks.

        >>> clf = QuestionClassifier(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2))
        >>> [round(float(p), 3) for p in clf.probabilities(np.array([1.0, 0.0]))]
        [0.731, 0.269]
        """
        z = self.weights @ vector + self.bias
        e = np.exp(z - z.max())
        return (e / e.sum()).astype(np.float32)

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: np.ndarray, n_chunks: int) -> QuestionClassifier:
        """Fit on (vector, chunk index) pairs with scikit-learn; every chunk needs an example."""
        import warnings

        from sklearn.linear_model import LogisticRegression

        with warnings.catch_warnings():
            # A guide with few phrasings has about one example per class, which sklearn
            # suspects is a regression target; it is not.
            warnings.filterwarnings("ignore", message="The number of unique classes")
            model = LogisticRegression(C=cls.C, max_iter=1000).fit(vectors, labels)
        weights = np.zeros((n_chunks, vectors.shape[1]), dtype=np.float32)
        bias = np.full(n_chunks, -1e4, dtype=np.float32)  # a chunk with no example is never predicted
        weights[model.classes_] = model.coef_
        bias[model.classes_] = model.intercept_
        return cls(weights, bias)


def load_or_fit_classifier(
    texts: Sequence[str],
    labels: Sequence[int],
    n_chunks: int,
    embed: Callable[[list[str]], np.ndarray],
    fingerprint: bytes,
    cache_dir: Path | None,
) -> QuestionClassifier:
    """The classifier for these training texts, cached by content: embedding ~900 texts and
    fitting take several seconds on 2 cores, loading the cached weights a millisecond.
    `fingerprint` identifies the embedding model (vectors of the same texts under another
    model differ), so a model change is a new cache entry."""
    key = hashlib.sha256(fingerprint)
    key.update(f"{QuestionClassifier.C}|{n_chunks}".encode())
    for text, label in zip(texts, labels):
        key.update(f"\n{label}\t{text}".encode("utf-8"))
    path = Path(cache_dir) / f"classifier-{key.hexdigest()[:16]}.npz" if cache_dir else None
    if path is not None:
        try:
            with np.load(path) as saved:
                if saved["weights"].shape[0] == n_chunks:
                    return QuestionClassifier(saved["weights"], saved["bias"])
        except (OSError, ValueError, KeyError):
            pass
    vectors = np.asarray(embed(list(texts)), dtype=np.float32)
    clf = QuestionClassifier.fit(vectors, np.asarray(labels), n_chunks)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            with open(partial, "wb") as fh:
                np.savez(fh, weights=clf.weights, bias=clf.bias)
            os.replace(partial, path)  # readers never see half a file
        except OSError:
            pass  # a read-only index folder still answers; the fit is repeated at each start
    return clf
