"""Flashcards a learner can take away: an Anki deck (.apkg), a Markdown study sheet, a CSV table.

One card per question: front = the question, back = the guide's answer and its key points
(what grading checks), tagged with its section. Given a learner's `progress` (a ProgressStore), each card also
carries the learner's last grade and last answer. The Anki model and deck ids and each
note's guid are fixed (the deck's from the guide's title, the note's from its question
number), so importing a newer export updates the learner's notes instead of duplicating them.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from assistant.core.errors import StudyError
from assistant.practice.grading import key_points

MODEL_ID = 1_738_041_017  # never change: Anki ties imported notes to this model id
MODEL_NAME = "Study assistant: interview question"
FIELDS = ["Question", "Answer", "KeyPoints", "Section", "Number", "YourGrade", "YourAnswer"]
_FRONT = '<div class="meta">{{Section}} · Q{{Number}}</div><div class="question">{{Question}}</div>'
_BACK = (
    '{{FrontSide}}<hr id="answer">{{Answer}}<div class="points"><b>Key points</b>{{KeyPoints}}</div>'
    '{{#YourAnswer}}<div class="yours"><b>Your last answer ({{YourGrade}})</b><br>{{YourAnswer}}</div>{{/YourAnswer}}'
)
_CSS = (
    ".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
    ".meta { color: #777; font-size: 14px; } .question { font-weight: bold; margin-top: 6px; }\n"
    ".points { margin-top: 12px; } .yours { margin-top: 12px; color: #345; }\n"
    "table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 2px 6px; }"
)
_HEADING = re.compile(r"^Q\d+\.\s")
_MATH = re.compile(r"\$([^$\n]+)\$")
_ALERT = re.compile(r"^(\s*>\s*)\[!(\w+)\]\s*$", re.M)  # GitHub's "> [!TIP]" callouts


@dataclass(frozen=True)
class StudyCard:
    number: int
    title: str
    section: str
    answer: str  # the guide's answer, Markdown, without the question line
    key_points: tuple[str, ...]
    last_grade: int | None = None
    reviews: int = 0
    state: str = ""
    last_answer: str | None = None
    last_at: float | None = None


def study_cards(questions, progress=None, now: float | None = None) -> list[StudyCard]:
    """Cards from the guide's questions (anything with number/title/section/text), in guide order;
    `progress`, a ProgressStore, adds the learner's grades and last answers."""
    cards, answers, now = {}, {}, time.time() if now is None else now
    if progress is not None:
        cards, answers = progress.cards(), progress.last_answers()
    out = []
    for q in sorted(questions, key=lambda q: q.number):
        body = "\n".join(line for line in q.text.splitlines() if not _HEADING.match(line)).strip()
        extra = {}
        if progress is not None:
            card = cards.get(q.number)
            text, _, at = answers.get(q.number, (None, None, None))
            extra = {"state": progress.scheduler.state(card, now) if card else "unseen", "last_answer": text,
                     "last_grade": card.last_score if card else None, "reviews": card.reviews if card else 0,
                     "last_at": card.last_at if card else at}
        out.append(StudyCard(q.number, q.title, q.section, body, tuple(key_points(q.text)), **extra))
    return out


def tag(section: str) -> str:
    """An Anki tag for a section (tags cannot hold spaces).

    >>> tag("Fine-Tuning & Training")
    'Fine-Tuning_&_Training'
    """
    return re.sub(r"\s+", "_", section.strip())


def deck_id(title: str) -> int:
    """A stable Anki deck id for a deck title.

    >>> deck_id("GenAI questions") == deck_id("GenAI questions") != deck_id("Other")
    True
    """
    return (1 << 30) + int(hashlib.sha256(title.encode("utf-8")).hexdigest()[:8], 16) % (1 << 30)


def answer_html(markdown: str) -> str:
    """The guide's Markdown as Anki HTML: raw HTML escaped, no remote images, $math$ for MathJax.

    >>> answer_html("- **MQA**: one K/V head, $P(Y|X)$ <b>")
    '<ul>\\n<li><strong>MQA</strong>: one K/V head, \\\\(P(Y|X)\\\\) &lt;b&gt;</li>\\n</ul>\\n'
    """
    from markdown_it import MarkdownIt

    maths: list[str] = []

    def hold(match: re.Match) -> str:  # Markdown would eat MathJax's backslashes and read _ as emphasis
        maths.append(match.group(1))
        return f"MATH{len(maths) - 1}END"

    text = _ALERT.sub(lambda m: f"{m.group(1)}**{m.group(2).capitalize()}**", _MATH.sub(hold, markdown))
    rendered = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image").render(text)
    return re.sub(r"MATH(\d+)END", lambda m: "\\(" + html.escape(maths[int(m.group(1))]) + "\\)", rendered)


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d") if at else ""


def anki_package(cards: list[StudyCard], title: str):
    """A genanki Package: one note per question, tagged with its section, in guide order."""
    import genanki

    model = genanki.Model(MODEL_ID, MODEL_NAME, fields=[{"name": f} for f in FIELDS],
                          templates=[{"name": "Answer it", "qfmt": _FRONT, "afmt": _BACK}], css=_CSS)
    deck = genanki.Deck(deck_id(title), title)
    for c in cards:
        points = "<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in c.key_points) + "</ul>"
        grade = f"{c.last_grade}/100, {_when(c.last_at)}" if c.last_grade is not None else ""
        yours = html.escape(c.last_answer or "").replace("\n", "<br>")
        fields = [html.escape(c.title), answer_html(c.answer), points, html.escape(c.section), str(c.number),
                  grade, yours]
        deck.add_note(genanki.Note(model=model, fields=fields, tags=[tag(c.section)], due=c.number,
                                   guid=genanki.guid_for("study-assistant", title, c.number)))
    return genanki.Package(deck)


def markdown_sheet(cards: list[StudyCard], title: str) -> str:
    """A study sheet: sections, questions, the guide's answers, key points, and your last answers."""
    lines, section = [f"# {title}", ""], None
    for c in cards:
        if c.section != section:
            section = c.section
            lines += [f"## {section}", ""]
        lines += [f"### Q{c.number}. {c.title}", "", c.answer, "", "**Key points**", ""]
        lines += [f"- {p}" for p in c.key_points] + [""]
        if c.last_grade is not None:
            lines += [f"**Your last grade**: {c.last_grade}/100 ({_when(c.last_at)}, {c.reviews} review(s), {c.state})",
                      ""]
        if c.last_answer:
            lines += ["**Your last answer**:", ""] + [f"> {line}" for line in c.last_answer.splitlines()] + [""]
    return "\n".join(lines)


def csv_table(cards: list[StudyCard], with_progress: bool) -> str:
    """One row per question; key points one per line inside their cell."""
    out = io.StringIO()
    columns = ["question", "section", "title", "answer", "key_points"]
    if with_progress:
        columns += ["state", "last_grade", "reviews", "last_reviewed", "last_answer"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for c in cards:
        row = [c.number, c.section, c.title, c.answer, "\n".join(c.key_points)]
        if with_progress:
            row += [c.state, "" if c.last_grade is None else c.last_grade, c.reviews, _when(c.last_at),
                    c.last_answer or ""]
        writer.writerow(row)
    return out.getvalue()


def _target(path: Path, suffix: str, flag: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise StudyError(f"{flag} {path} does not end in {suffix}", f"name the file like study{suffix}")
    if not path.parent.is_dir():
        raise StudyError(f"the folder {path.parent} does not exist", "create it first, or write somewhere else")
    return path


def export(questions, title: str, anki_path: Path | None = None, markdown_path: Path | None = None,
           csv_path: Path | None = None, progress=None, section: str | None = None) -> list[tuple[Path, int]]:
    """Write the requested files from the guide's parsed `questions` (and a profile's
    `progress`, a ProgressStore, when given); [(path, cards)]."""
    if not (anki_path or markdown_path or csv_path):
        raise StudyError("nothing to export", "pass --anki deck.apkg, --markdown study.md or --csv study.csv")
    wanted = ((anki_path, ".apkg", "--anki", "anki"), (markdown_path, ".md", "--markdown", "markdown"),
              (csv_path, ".csv", "--csv", "csv"))
    targets = [(_target(path, suffix, flag), kind) for path, suffix, flag, kind in wanted if path]
    if section is not None:
        names = sorted({q.section for q in questions})
        questions = [q for q in questions if q.section.lower() == section.lower()]
        if not questions:
            raise StudyError(f"no section named {section!r}", "use one of: " + "; ".join(names))
    cards = study_cards(questions, progress)
    written = []
    for path, kind in targets:
        try:
            if kind == "anki":
                anki_package(cards, title).write_to_file(str(path))
            elif kind == "markdown":
                path.write_text(markdown_sheet(cards, title), encoding="utf-8")
            else:
                path.write_text(csv_table(cards, progress is not None), encoding="utf-8", newline="")
        except OSError as exc:
            raise StudyError(f"cannot write {path} ({exc.strerror})", "check the folder is writable") from None
        written.append((path, len(cards)))
    return written
