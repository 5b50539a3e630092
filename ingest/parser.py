"""Split a Markdown question guide into exactly one `Question` per "### Q<n>. <title>" heading."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from assistant.core.errors import StudyError

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# "Q38. Title", "Q38: Title", "Question 38 - Title", "38. Title"
_QUESTION = re.compile(r"^(?:\*\*)?\s*(?:q(?:uestion)?\s*)?(\d{1,4})\s*[.:)\-\u2013\u2014]\s*(.+?)(?:\*\*)?$", re.I)
_ANCHOR = re.compile(r"<a\s[^>]*>\s*(?:</a>)?", re.I)
_BACK_TO_TOP = re.compile(r"^\s*\[[^\]]*back to top[^\]]*\]\([^)]*\)\s*$", re.I | re.M)
_ANSWER_LABEL = re.compile(r"^\s*\*\*answer:?\*\*:?\s*", re.I)
_QUESTION_RANGE = re.compile(r"\(\s*questions?\s+\d+\s*[-\u2013]\s*\d+\s*\)", re.I)


@dataclass(frozen=True)
class Question:
    number: int
    title: str
    section: str
    answer: str

    @property
    def id(self) -> str:
        return f"Q{self.number}"

    @property
    def text(self) -> str:
        """The chunk text: what is embedded, indexed and shown as the source."""
        return f"{self.id}. {self.title}\n\n{self.answer}"

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a reader sees in this chunk changes."""
        payload = "\x1f".join((self.id, self.title, self.section, self.answer))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def clean_heading(text: str) -> str:
    """Heading text without emoji, symbols, HTML anchors or question ranges.

    >>> clean_heading('🏗️ Transformer Architecture <a id="transformer-architecture"></a>')
    'Transformer Architecture'
    """
    text = _ANCHOR.sub("", text).replace("</a>", "")
    text = _QUESTION_RANGE.sub("", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        # So: emoji and pictographs; Mn/Cf: variation selectors and joiners left behind;
        # Co: private-use debris such as the Apple logo from Mac Roman.
        if cat in ("So", "Sk", "Mn", "Cf", "Co", "Cs"):
            continue
        kept.append(ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip(" -:*#")


def clean_answer(lines: list[str]) -> str:
    """Answer body without the "**Answer:**" label, back-to-top links and rules."""
    body = "\n".join(lines)
    body = _BACK_TO_TOP.sub("", body)
    body = "".join(ch for ch in body if unicodedata.category(ch) != "Co")
    body = _ANSWER_LABEL.sub("", body.strip(), count=1)
    body = re.sub(r"\n\s*-{3,}\s*$", "", body.strip())
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body.strip()


def parse_guide(text: str, source: str = "guide") -> list[Question]:
    """Return the guide's questions in file order.

    >>> [q.id for q in parse_guide("## Basics\\n### Q1. What?\\n**Answer:** That.")]
    ['Q1']
    """
    questions: list[Question] = []
    seen: dict[int, int] = {}
    section = ""
    current: tuple[int, str, int] | None = None  # number, title, heading line
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        number, title, _ = current
        questions.append(Question(number, title, section_of_current, clean_answer(body)))

    section_of_current = ""
    for lineno, line in enumerate(text.split("\n"), start=1):
        heading = _HEADING.match(line)
        if not heading:
            if current is not None:
                body.append(line)
            continue
        level, content = len(heading.group(1)), heading.group(2)
        match = _QUESTION.match(content)
        if match:
            close()
            number = int(match.group(1))
            if number in seen:
                raise StudyError(
                    f"{source} has question {number} twice (lines {seen[number]} and {lineno})",
                    "renumber or remove the duplicate heading, then run `study ingest` again",
                )
            seen[number] = lineno
            current = (number, clean_heading(match.group(2)), lineno)
            section_of_current = section
            body = []
        else:
            close()
            current, body = None, []
            if level <= 2:
                section = clean_heading(content)
    close()
    if not questions:
        raise StudyError(
            f"{source} has no question headings",
            "mark each question as a Markdown heading like '### Q1. What is a token?'",
        )
    return questions


def guide_title(text: str, default: str = "Interview questions") -> str:
    """The guide's first level-1 heading, without emoji.

    >>> guide_title("# 🤖 100 Most Asked GenAI Developer Interview Questions (2025)\\n## Basics")
    '100 Most Asked GenAI Developer Interview Questions (2025)'
    """
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return (clean_heading(match.group(1)) if match else "") or default
