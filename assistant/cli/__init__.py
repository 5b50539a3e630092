"""`study`: the command line. Builds Settings once and hands it to each command; each
command group lives in its own module and registers its own options."""

from __future__ import annotations

import argparse
import sys

from assistant.cli import answer, chats, evaluate, index, interview, practice, serve
from assistant.cli.common import report_error
from assistant.core.errors import StudyError
from assistant.core.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="study", description="Study assistant over one interview-question guide.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (index, answer, chats, evaluate, practice, interview, serve):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if getattr(args, "top_k", None) is not None and args.top_k < 1:
            raise StudyError(f"--top-k {args.top_k} is not positive", "pass --top-k 1 or more")
        return args.func(args, settings)
    except StudyError as err:
        report_error(err, bool(getattr(args, "json", False)))
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
