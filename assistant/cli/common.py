"""What every command shares: JSON output, stdin batches, the LLM options, the guide file."""

from __future__ import annotations

import json
import sys

from assistant.core.errors import StudyError
from assistant.core.modes import AnswerMode, Backend
from assistant.core.settings import Settings


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def report_error(err: StudyError, as_json: bool = False) -> None:
    """One line on stderr ("error: <problem>: <fix>"); with --json also one JSON object on
    stdout, so a program reading the output sees the failure where the answer would be."""
    print(f"error: {err}", file=sys.stderr)
    if as_json:
        print_json({"error": err.problem, "fix": err.fix})


def read_guide_file(settings: Settings):
    """(the guide's text, its questions) from the guide file: what the commands that load no
    index or model (`export`, `progress`, `chats`) read, so each starts in a fraction of a second."""
    from ingest.parser import parse_guide
    from ingest.reader import read_guide

    text = read_guide(settings.guide_path)
    return text, parse_guide(text, source=str(settings.guide_path))


def parse_query_line(line: str) -> tuple[str, list[str]]:
    """A stdin line: plain text, or JSON {"query": ..., "history": [...]}.

    >>> parse_query_line('{"query": "and MQA?", "history": ["what is GQA"]}')
    ('and MQA?', ['what is GQA'])
    """
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StudyError(f"stdin line is not valid JSON ({exc.msg})", 'write {"query": "...", "history": []}')
        if not isinstance(obj, dict) or not isinstance(obj.get("query"), str):
            raise StudyError("stdin JSON has no string 'query'", 'write {"query": "...", "history": []}')
        history = obj.get("history") or []
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise StudyError("stdin JSON 'history' must be a list of strings", "pass earlier user turns as strings")
        return obj["query"], history
    return line, []


def each_stdin_query(handle, as_json: bool = False) -> int:
    """Run `handle(query, history)` for each non-empty stdin line; the worst exit status.

    A bad line is reported and skipped: one bad line must not end a batch. With --json its
    error object takes its place in the output, so output line n still answers input line n.
    """
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            status = max(status, handle(*parse_query_line(line)))
        except StudyError as err:
            report_error(err, as_json)
            status = 2
    return status


def llm_options(p) -> None:
    """The options of every command that answers: backend, model, mode, top-k, section."""
    p.add_argument("--backend", type=Backend, choices=list(Backend), help="default: STUDY_LLM_BACKEND")
    p.add_argument("--model", help="model name or .gguf path (default: STUDY_LLM_MODEL)")
    p.add_argument("--mode", type=AnswerMode, choices=list(AnswerMode),
                   help="who writes the answer (default: STUDY_ANSWER_MODE, auto)")
    p.add_argument("--top-k", type=int, help="how many questions to retrieve (default: STUDY_TOP_K)")
    p.add_argument("--section", help="only questions of this section")


def llm_settings(args, settings: Settings) -> Settings:
    given = {"llm_backend": args.backend, "llm_model": args.model, "top_k": args.top_k,
             "answer_mode": getattr(args, "mode", None)}
    update = {k: v for k, v in given.items() if v}
    return settings.model_copy(update=update) if update else settings
