"""Banks of text embedded once and cached on disk, keyed by model and content: the
learner phrasings retrieval scores against, and the questions the guide does not answer
(the scope gate's reject class).

Similarity to the guide alone cannot tell "fine-tune Whisper" (off the guide, near its
fine-tuning questions) from a learner's oddly worded in-scope question. Comparing the
query with both sides can: a query nearer to some question the guide does not answer
than to any of the guide's own is probably about something else. The bank is plain text,
one question per line, written without looking at the evaluation sets; a user adapting
the assistant to another guide writes their own (`STUDY_SCOPE_BANK`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from assistant.core.errors import StudyError


def read_bank(path: Path) -> list[str]:
    """The bank's questions: one per line; blank lines and '#' comments are skipped.

    >>> import tempfile; f = Path(tempfile.mkdtemp()) / "bank.txt"
    >>> _ = f.write_text("# off topic\\nrecipe for banana bread\\n\\nwho won the 2022 world cup\\n")
    >>> read_bank(f)
    ['recipe for banana bread', 'who won the 2022 world cup']
    """
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(
            f"cannot read the scope bank {path} ({exc.__class__.__name__})",
            "set STUDY_SCOPE_BANK to a UTF-8 text file with one off-topic question per line",
        ) from None
    questions = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not questions:
        raise StudyError(
            f"the scope bank {path} has no questions",
            "write one question the guide does not answer per line, or set STUDY_SCOPE_BANK to such a file",
        )
    return questions


def cache_path(model_name: str, questions: list[str], cache_dir: Path, kind: str = "scope-bank") -> Path:
    """Where a bank's vectors are cached: keyed by model and content, so an edit is a new entry."""
    key = hashlib.sha256("\n".join([model_name, *questions]).encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}-{key}.npy"


def bank_vectors(
    embed_model,
    model_name: str,
    questions: list[str],
    cache_dir: Path,
    kind: str = "scope-bank",
    dim: int | None = None,
) -> np.ndarray:
    """Unit vectors of a bank of questions, cached by model and content so a cold start
    skips the embedding (about 5 ms a question on 2 cores). `dim`, when known, guards
    against a cache written by another model folder under the same name."""
    cache = cache_path(model_name, questions, cache_dir, kind)
    try:
        vectors = np.load(cache)
        if vectors.ndim == 2 and vectors.shape[0] == len(questions) and dim in (None, vectors.shape[1]):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = np.asarray(embed_model.get_text_embedding_batch(questions), dtype=np.float32)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as fh:
            np.save(fh, vectors)
        os.replace(partial, cache)  # readers never see half a file
    except OSError:
        pass  # a read-only index folder still answers; the bank is embedded at each start
    return vectors
