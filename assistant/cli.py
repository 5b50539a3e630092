"""`study`: the command line. Builds Settings once and hands it to each command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.errors import StudyError
from assistant.settings import Settings


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# -- ingest -------------------------------------------------------------------
def cmd_ingest(args, settings: Settings) -> int:
    from ingest.pipeline import ingest

    report = ingest(settings, args.guide, rebuild=args.rebuild, progress=True)
    if args.json:
        _print_json(report.as_dict())
    else:
        r = report.as_dict()
        where = settings.chroma_url or settings.index_dir
        print(
            f"{r['chunks']} questions indexed in {where}: {r['added']} added, {r['updated']} updated, "
            f"{r['unchanged']} unchanged, {r['deleted']} deleted"
        )
    return 0


# -- search -------------------------------------------------------------------
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


def _print_hits(query: str, hits, as_json: bool) -> None:
    if as_json:
        _print_json({"query": query, "results": [h.as_dict() for h in hits]})
        return
    print(f"> {query}")
    for h in hits:
        print(f"  [{h.chunk.id}] {h.score:.3f}  {h.chunk.title}  ({h.chunk.section})")


def cmd_search(args, settings: Settings) -> int:
    from assistant.index import open_retriever

    retriever = open_retriever(settings)
    top_k = args.top_k or settings.top_k
    if args.section and args.section.lower() not in {s.lower() for s in retriever.sections}:
        raise StudyError(
            f"no section named {args.section!r}",
            "use one of: " + "; ".join(retriever.sections),
        )
    if args.query:
        query = " ".join(args.query)
        _print_hits(query, retriever.search(query, top_k, args.section), args.json)
        return 0
    interactive = sys.stdin.isatty()
    if interactive:
        print("Type a question (Ctrl-D to quit).", file=sys.stderr)
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            query, history = parse_query_line(line)
            _print_hits(query, retriever.search(query, top_k, args.section, history), args.json)
        except StudyError as err:  # one bad line must not end a batch
            print(f"error: {err}", file=sys.stderr)
            status = 2
    return status


# -- entry point ---------------------------------------------------------------
def load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "STUDY_" + str(first["loc"][0]).upper() if first.get("loc") else "a STUDY_ setting"
        raise StudyError(f"{name} is invalid ({first['msg']})", f"fix or unset {name}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="study", description="Study assistant over one interview-question guide.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the guide into Chroma (safe to re-run)")
    p.add_argument("--guide", type=Path, help="guide file (default: STUDY_GUIDE_PATH or the shipped guide)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="find the guide's questions for a query (stdin: one per line)")
    p.add_argument("query", nargs="*", help="the query; omit to read one query per stdin line")
    p.add_argument("--top-k", type=int, help="how many results (default: STUDY_TOP_K)")
    p.add_argument("--section", help="only questions of this section")
    p.add_argument("--json", action="store_true", help="one JSON line per query")
    p.set_defaults(func=cmd_search)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if getattr(args, "top_k", None) is not None and args.top_k < 1:
            raise StudyError(f"--top-k {args.top_k} is not positive", "pass --top-k 1 or more")
        return args.func(args, settings)
    except StudyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
