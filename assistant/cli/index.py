"""`study ingest` and `study search`: build the index, query it."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli.common import each_stdin_query, print_json
from assistant.core.errors import StudyError
from assistant.core.settings import Settings


def cmd_ingest(args, settings: Settings) -> int:
    from ingest.pipeline import ingest

    report = ingest(settings, args.guide, rebuild=args.rebuild, progress=True)
    if report.phrasings and report.phrasings.stale:
        listed = ", ".join(f"Q{n}" for n in report.phrasings.stale[:8])
        print(
            f"note: phrasings for {listed} no longer match the guide's questions and are ignored: "
            f"update their headings in {settings.phrasings}",
            file=sys.stderr,
        )
    try:
        from assistant.runtime import warm_vectors

        warm_vectors(settings, report.phrasings, announce=lambda text: print(text, file=sys.stderr))
    except StudyError as exc:  # the index is written; answering will report the same problem
        print(f"warning: {exc}", file=sys.stderr)
    if args.json:
        print_json(report.as_dict())
    else:
        r = report.as_dict()
        where = settings.chroma_url or settings.index_dir
        print(
            f"{r['chunks']} questions indexed in {where}: {r['added']} added, {r['updated']} updated, "
            f"{r['unchanged']} unchanged, {r['deleted']} deleted"
        )
    return 0


def _print_hits(query: str, hits, as_json: bool) -> None:
    if as_json:
        print_json({"query": query, "results": [h.as_dict() for h in hits]})
        return
    print(f"> {query}")
    for h in hits:
        print(f"  [{h.chunk.id}] {h.score:.3f}  {h.chunk.title}  ({h.chunk.section})")


def cmd_search(args, settings: Settings) -> int:
    from assistant.runtime import open_retriever

    retriever = open_retriever(settings)
    top_k = args.top_k or settings.top_k
    if args.section and args.section.lower() not in {s.lower() for s in retriever.index.sections}:
        raise StudyError(
            f"no section named {args.section!r}",
            "use one of: " + "; ".join(retriever.index.sections),
        )
    if args.query:
        query = " ".join(args.query)
        _print_hits(query, retriever.search(query, top_k, args.section), args.json)
        return 0
    if sys.stdin.isatty():
        print("Type a question (Ctrl-D to quit).", file=sys.stderr)

    def search_one(query: str, history: list[str]) -> int:
        _print_hits(query, retriever.search(query, top_k, args.section, history), args.json)
        return 0

    return each_stdin_query(search_one, args.json)



def register(sub) -> None:
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
