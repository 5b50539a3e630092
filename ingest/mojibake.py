"""Detect and repair mojibake: UTF-8 bytes that were once decoded with a legacy 8-bit codec.

The shipped guide is UTF-8 read as Mac Roman ("ü§ñ" for "🤖", "‚Äî" for "—"); files
from Windows tools arrive as UTF-8 read as cp1252 ("â€”"). Repair works run by run
(a maximal run of non-ASCII characters), so a file that is only partly damaged keeps
its good text, and only after the file as a whole looks damaged under one codec.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Codecs whose mis-decoding of UTF-8 we know how to undo, most specific first.
CANDIDATE_CODECS = ("mac_roman", "cp1252", "latin-1")

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


@dataclass(frozen=True)
class Repair:
    text: str
    codec: str | None  # None when the text was left alone
    runs_fixed: int


def _utf8_length(lead: int) -> int:
    """Bytes in the UTF-8 sequence that starts with `lead` (0 if it cannot start one)."""
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _encode_sloppy(run: str, codec: str) -> bytes | None:
    """Encode like `codec`, but let C1 controls stand for the bytes cp1252 leaves undefined.

    Windows tools decode those five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) to the control
    character of the same number, so "”" (E2 80 9D) arrives as "â€\x9d".
    """
    try:
        return run.encode(codec)
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for ch in run:
        try:
            out += ch.encode(codec)
        except UnicodeEncodeError:
            if 0x80 <= ord(ch) <= 0x9F:
                out.append(ord(ch))
            else:
                return None
    return bytes(out)


def _undo(run: str, codec: str) -> str | None:
    """Return `run` with every mis-decoded UTF-8 sequence restored, or None if none was.

    Characters that are not part of such a sequence (a genuine "é" next to damage) stay.

    >>> _undo("‚Äî", "mac_roman")
    '—'
    """
    raw = _encode_sloppy(run, codec)
    if raw is None:
        return None
    out, i, repaired = [], 0, False
    while i < len(raw):
        n = _utf8_length(raw[i])
        if n:
            try:
                ch = raw[i : i + n].decode("utf-8")
            except UnicodeDecodeError:
                ch = ""
            # A legitimate pair like "“é" can form valid UTF-8 by accident; real
            # repairs give symbols, emoji or letters, never private-use or control codes.
            if ch and not any(unicodedata.category(c) in ("Co", "Cc", "Cn") for c in ch):
                out.append(ch)
                i += n
                repaired = True
                continue
        out.append(run[i])  # single-byte codec: byte i is character i
        i += 1
    return "".join(out) if repaired else None


def detect(text: str) -> str | None:
    """Name the codec whose mis-decoding explains the text, or None if it looks clean.

    A codec wins when most non-ASCII runs decode under it and at least two do: one
    accidental match (a name with two accents) must not trigger a rewrite.

    >>> detect("ü§ñ Guide ‚Äî intro ‚Äî end")
    'mac_roman'
    """
    runs = _NON_ASCII_RUN.findall(text)
    if not runs:
        return None
    best, best_hits = None, 0
    for codec in CANDIDATE_CODECS:
        hits = sum(1 for run in runs if _undo(run, codec) is not None)
        if hits > best_hits:
            best, best_hits = codec, hits
    if best_hits >= 2 and best_hits * 2 >= len(runs):
        return best
    return None


def repair(text: str) -> Repair:
    """Undo mojibake if `detect` finds it; otherwise return the text unchanged.

    >>> repair("Caf\u00e9 au lait").codec is None
    True
    """
    codec = detect(text)
    if codec is None:
        return Repair(text, None, 0)
    fixed = 0

    def _fix(match: re.Match[str]) -> str:
        nonlocal fixed
        run = match.group(0)
        undone = _undo(run, codec)
        if undone is None:
            return run
        fixed += 1
        return undone

    return Repair(_NON_ASCII_RUN.sub(_fix, text), codec, fixed)
