"""Study mode in the terminal: `grade`, `quiz`, `explain`, `progress`, `export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.cli.common import print_json, read_guide_file
from assistant.core.errors import StudyError
from assistant.core.settings import Settings


def cmd_grade(args, settings: Settings) -> int:
    from assistant.practice.grading import check_answer
    from assistant.runtime import open_coach

    check_answer(args.answer)  # before loading anything
    coach = open_coach(settings)
    grade, card = coach.grade(args.question, args.answer, save=not args.no_save)
    _show_review(coach, grade, card, grade.feedback, grade.as_dict(), args.json)
    if args.coach and not args.json:
        _coach(grade, settings)
    return 0


def cmd_explain(args, settings: Settings) -> int:
    from assistant.practice.grading import check_answer
    from assistant.runtime import open_coach

    if args.text is not None:
        check_answer(args.text)  # before loading anything
    coach = open_coach(settings)
    number = coach.pick(" ".join(args.topic))
    chunk = coach.grader.chunk(number)
    text = args.text
    if text is None:
        if sys.stdin.isatty():
            print(f"Q{number}. {chunk.title}\nExplain it as if teaching it; end with Ctrl-D.", file=sys.stderr)
        text = sys.stdin.read()
    explanation, card = coach.explain(number, text, save=not args.no_save)
    if not args.json:
        print(f"Q{number}. {chunk.title}  ({chunk.section})")
    _show_review(coach, explanation.grade, card, explanation.feedback, explanation.as_dict(), args.json)
    return 0


def _show_review(coach, grade, card, feedback: str, as_dict: dict, as_json: bool) -> None:
    """After a grade: the key points missed, the guide's answer, the next review, a follow-up."""
    follow = coach.follow_up(grade.question, grade.missed)
    if as_json:
        follow_up = {"question": follow.number, "title": follow.title} if follow else None
        print_json({**as_dict, "review": coach.review_summary(card), "follow_up": follow_up})
        return
    print(f"\n{feedback}")
    print(f"\nThe guide's answer [Q{grade.question}] {grade.title}\n{grade.reference}")
    if card is not None:
        from assistant.practice.mastery import next_review

        when = next_review(card.due_at, coach.clock())
        print(f"\nNext review of Q{grade.question}: {when} (rated {coach.review_summary(card)['rating']}).")
    if follow is not None:
        print(f"Follow-up, a related question: Q{follow.number}. {follow.title}")


def _coach(grade, settings: Settings) -> None:
    """The configured LLM words the feedback; the grade itself never depends on it."""
    from assistant.core.sanitize import strip_control
    from assistant.llm import BackendError
    from assistant.practice.grading import coaching_prompt
    from assistant.runtime import open_llm

    print("\nCoach: ", end="", flush=True)
    try:
        for delta in open_llm(settings).stream(coaching_prompt(grade), max_tokens=120, temperature=0.3):
            print(strip_control(delta), end="", flush=True)
    except BackendError as err:
        print(f"\nerror: {err}", file=sys.stderr)
    print()


def cmd_quiz(args, settings: Settings) -> int:
    from assistant.runtime import open_coach

    coach = open_coach(settings)
    questions = coach.next(args.section, args.count)
    print(f"{len(questions)} question(s), due ones first, then weak sections. "
          "Answer in one line; an empty line skips, Ctrl-D stops.")
    graded: list = []
    for number in questions:
        chunk = coach.grader.chunk(number)
        print(f"\nQ{number}. {chunk.title}  ({chunk.section})")
        try:
            answer = input("your answer> ")
        except EOFError:
            print()
            break
        if not answer.strip():
            print("(skipped)")
            continue
        try:
            grade, card = coach.grade(number, answer)
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)
            continue
        graded.append(grade)
        _show_review(coach, grade, card, grade.feedback, {}, False)
        if args.coach:
            _coach(grade, settings)
    _quiz_summary(graded, len(questions))
    return 0


def _quiz_summary(graded: list, asked: int) -> None:
    """The round at a glance: what was graded, the mean, and what to look at again."""
    if not graded:
        print(f"\nNo answers graded of {asked} question(s).")
        return
    mean = round(sum(g.score for g in graded) / len(graded))
    print(f"\nRound: {len(graded)} of {asked} question(s) graded, mean score {mean}/100.")
    for g in graded:
        flags = [f"{len(g.contradictions)} contradiction(s)"] if g.contradictions else []
        flags += [f"{len(g.missed)} key point(s) missed"] if g.missed else []
        print(f"- Q{g.question} {g.title}: {g.score}/100" + (f" ({', '.join(flags)})" if flags else ""))


def cmd_progress(args, settings: Settings) -> int:
    # The guide file and the progress file are all it reads: no index and no model load,
    # so it starts in well under a second.
    import time

    from assistant.practice.mastery import mastery_summary
    from assistant.practice.schedule import Schedule

    _, questions = read_guide_file(settings)
    store = _saved_progress(settings, required=False)
    try:
        cards, reviews = (store.cards(), store.history()) if store is not None else ({}, [])
    finally:
        if store is not None:
            store.close()
    mastery = mastery_summary(questions, cards, Schedule(settings.desired_retention), time.time(), reviews)
    if args.json:
        print_json({"profile": settings.profile, **mastery})
        return 0
    t = mastery["totals"]
    print(f"Profile {settings.profile}: " + ", ".join(f"{t[s]} {s}" for s in t)
          + f" (desired retention {mastery['desired_retention']:.0%})")
    print("\n| section | unseen | learning | due | mastered |\n|---|---|---|---|---|")
    for name, counts in mastery["sections"].items():
        print(f"| {name} | {counts['unseen']} | {counts['learning']} | {counts['due']} | {counts['mastered']} |")
    return 0


def cmd_export(args, settings: Settings) -> int:
    from assistant.practice.export import export
    from ingest.parser import guide_title

    if not (args.anki or args.markdown or args.csv):  # before reading anything
        raise StudyError("nothing to export", "pass --anki deck.apkg, --markdown study.md or --csv study.csv")
    text, questions = read_guide_file(settings)
    progress = _saved_progress(settings) if args.with_progress else None
    try:
        written = export(questions, guide_title(text), anki_path=args.anki, markdown_path=args.markdown,
                         csv_path=args.csv, progress=progress, section=args.section)
    finally:
        if progress is not None:
            progress.close()
    for path, count in written:
        print(f"wrote {count} questions to {path}")
    return 0


def _saved_progress(settings: Settings, required: bool = True):
    """This profile's progress file, opened; without one, an error (or None if not `required`:
    reading progress never creates the file)."""
    from assistant.practice.progress import ProgressStore
    from assistant.practice.schedule import Schedule

    path = settings.progress_path
    if not path.exists():
        if not required:
            return None
        raise StudyError(f"profile {settings.profile!r} has no progress yet ({path})",
                         "practise first (`study quiz`), or leave out --with-progress")
    return ProgressStore(path, Schedule(settings.desired_retention))


def question_number(text: str) -> int:
    """argparse's reading of a question number: "38", "Q38" or "question 38"."""
    from assistant.core.citations import named_number

    if (number := named_number(text)) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a question number: write 38 or Q38")
    return number


def register(sub) -> None:
    p = sub.add_parser("grade", help="grade an answer to one question against the guide")
    p.add_argument("--question", type=question_number, required=True, help="question number: 38 or Q38")
    p.add_argument("--answer", required=True, help="your answer")
    p.add_argument("--no-save", action="store_true", help="do not record the grade in your progress")
    p.add_argument("--coach", action="store_true", help="also have the configured LLM word the feedback")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("quiz", help="mock interview in the terminal: due questions first")
    p.add_argument("--section", help="only questions of this section")
    p.add_argument("--count", type=int, default=5, help="how many questions (default: 5)")
    p.add_argument("--coach", action="store_true", help="also have the configured LLM word the feedback")
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("explain", help='"explain it back": grade your explanation of a question you choose')
    p.add_argument("topic", nargs="+", help="the question: its number (38) or a topic (GQA vs MQA)")
    p.add_argument("--text", help="your explanation (default: read from stdin until Ctrl-D)")
    p.add_argument("--no-save", action="store_true", help="do not record the grade in your progress")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("export", help="export the guide as flashcards: Anki deck, Markdown or CSV")
    p.add_argument("--anki", type=Path, metavar="DECK.apkg", help="write an Anki deck (one note per question)")
    p.add_argument("--markdown", type=Path, metavar="FILE.md", help="write a Markdown study sheet")
    p.add_argument("--csv", type=Path, metavar="FILE.csv", help="write a CSV table")
    p.add_argument("--with-progress", action="store_true", help="include your grades and last answers")
    p.add_argument("--section", help="only questions of this section")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("progress", help="your mastery per section (unseen / learning / due / mastered)")
    p.add_argument("--json", action="store_true", help="per question and per section, as JSON")
    p.set_defaults(func=cmd_progress)
