"""Read a guide file into clean text, refusing what is not a text guide."""

from __future__ import annotations

from pathlib import Path

from assistant.core.errors import StudyError
from ingest.mojibake import repair

MAX_GUIDE_BYTES = 20 * 1024 * 1024  # a 100-question guide is ~40 KB; 20 MB is a mistake


def decode_bytes(raw: bytes, name: str = "guide") -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252.

    >>> decode_bytes("Q1. ok".encode("utf-16"))
    'Q1. ok'
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:8192]:
        raise StudyError(
            f"{name} looks like a binary file, not a text guide",
            "pass a Markdown or plain-text guide with `study ingest --guide PATH`",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: the usual culprit is a Windows editor; cp1252 decodes any byte
        # string except five unused bytes, which latin-1 covers.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:8192]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return control / len(sample) > 0.05


def read_guide(path: Path) -> str:
    """Return the guide's text with line endings normalised and mojibake repaired."""
    path = Path(path)
    if not path.exists():
        raise StudyError(
            f"guide not found at {path}",
            "pass an existing file with `study ingest --guide PATH` or set STUDY_GUIDE_PATH",
        )
    if path.is_dir():
        raise StudyError(f"guide path {path} is a folder", "pass the guide file itself with --guide PATH")
    size = path.stat().st_size
    if size == 0:
        raise StudyError(f"guide {path} is empty", "pass a guide with '### Q1. ...' question headings")
    if size > MAX_GUIDE_BYTES:
        raise StudyError(
            f"guide {path} is {size // (1024 * 1024)} MB, too large for a question guide",
            "pass the guide file, not an archive or data dump",
        )
    text = decode_bytes(path.read_bytes(), name=f"guide {path}")
    if _looks_binary(text):
        raise StudyError(
            f"guide {path} looks like a binary file, not a text guide",
            "pass a Markdown or plain-text guide with `study ingest --guide PATH`",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise StudyError(f"guide {path} has no text", "pass a guide with '### Q1. ...' question headings")
    return repair(text).text
