"""`study interview`: a timed mock interview in the terminal.

Each question has the same time on the clock; the terminal shows the time at the start and
again when 30 seconds are left. When it runs out, a line finished within the next 15
seconds (a quarter of a shorter clock) still answers the question, marked over time (as the browser takes an answer
submitted late); after that the question closes with no answer, a failed review. At the end: the summary, saved to the learner's progress,
optionally written as Markdown.
"""

from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

from assistant.cli.common import print_json
from assistant.core.settings import Settings

REMIND_AT = 30.0  # seconds left when the terminal says so once more
# After the clock runs out, a line still answers the question for a quarter of the clock,
# at most this long.
GRACE = 15.0


class TimedLines:
    """Lines from a file descriptor, each waited for at most a given time.

    Reads the descriptor itself (not `sys.stdin`'s buffer) so that `select` sees every
    line that has not been handed out yet."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def read(self, seconds: float, remind=None) -> str | None:
        """The next line; None when `seconds` pass first; EOFError at the end of input.
        `remind(left)` is called once when REMIND_AT seconds are left."""
        deadline = time.monotonic() + seconds
        reminded = seconds <= REMIND_AT + 15  # a short clock needs no reminder
        while b"\n" not in self.buffer:
            if self.closed:
                if self.buffer:
                    line, self.buffer = self.buffer, b""
                    return line.decode("utf-8", "replace")
                raise EOFError
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not reminded and left <= REMIND_AT:
                reminded = True
                if remind:
                    remind(left)
            wait = left - REMIND_AT if not reminded else left
            ready, _, _ = select.select([self.fd], [], [], max(0.0, wait))
            if ready:
                chunk = os.read(self.fd, 4096)
                self.closed = not chunk
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", "replace")


def cmd_interview(args, settings: Settings) -> int:
    from assistant.practice.interview import Interview, clock_text, summary_markdown
    from assistant.runtime import open_coach

    coach = open_coach(settings)
    interview = Interview.start(coach, args.questions, args.minutes, args.section)
    lines = TimedLines(sys.stdin.fileno())
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    say(f"Mock interview: {len(interview.questions)} question(s), each followed by one follow-up, "
        f"{clock_text(interview.seconds)} on the clock for each. Answer in one line; Ctrl-D ends the round.")
    while (item := interview.ask()) is not None:
        main, total = interview.position
        where = f"follow-up to Q{item.follow_up_of}" if item.follow_up_of else f"question {main} of {total}"
        say(f"\n[{where}] Q{item.question}. {item.title}  ({item.section})")
        say(f"{clock_text(interview.remaining())} on the clock.")
        try:
            text = lines.read(interview.remaining(), lambda left: say(f"\n({clock_text(left)} left)"))
        except EOFError:
            break
        if text is None:
            # A sentence being finished as the clock runs out is the learner's answer to
            # this question, never the next one's: it is taken, marked over time.
            grace = min(GRACE, interview.seconds / 4)
            say(f"Time is up: press Enter within {grace:.0f} seconds to give what you have (marked over time).")
            try:
                text = lines.read(grace)
            except EOFError:
                text = None
            if text is None:
                say("Time is up: no answer.")
        done = interview.answer(text or "")
        say(f"Noted ({clock_text(done.seconds or 0)})." if done.answer else "No answer: it comes back soon.")
    summary = interview.finish()
    page = summary_markdown(summary)
    if args.json:
        print_json(summary)
    else:
        print("\n" + page)
    if args.markdown:
        Path(args.markdown).write_text(page, encoding="utf-8")
        say(f"wrote the summary to {args.markdown}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("interview", help="a timed mock interview: questions, follow-ups, a summary")
    p.add_argument("--questions", type=int, default=5, help="main questions in the round (default: 5)")
    p.add_argument("--minutes", type=float, default=2.0, help="time on the clock per question (default: 2)")
    p.add_argument("--section", help="only questions of this section")
    p.add_argument("--markdown", type=Path, metavar="FILE.md", help="also write the summary as Markdown")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=cmd_interview)
