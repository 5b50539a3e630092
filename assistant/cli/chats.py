"""`study chats` and `study feedback`: a learner's saved conversations and their verdicts
(STUDY_PROFILE picks the learner). No model, llama-index or Chroma loads here, so each
command starts in a fraction of a second: titles come from the guide file."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from assistant.cli.common import print_json, read_guide_file
from assistant.core.errors import StudyError
from assistant.core.settings import Settings


def _store(settings: Settings):
    from assistant.history.store import open_chats

    return open_chats(settings)


def _index(settings: Settings):
    """The guide's questions by number, read from the guide file as `study export` reads it:
    no model, and no Chroma (opening the index alone takes about a second)."""
    from assistant.core.types import Chunk
    from assistant.retrieval.guide_index import GuideIndex

    _, questions = read_guide_file(settings)
    chunks = [Chunk(q.id, q.number, q.title, q.section, q.text, q.content_hash) for q in questions]
    return GuideIndex(chunks, embed_model=None)


def _chat(store, chat_id: str):
    info = store.chat(chat_id)
    if info is None:
        raise StudyError(f"learner {store.path.stem.split('.')[0]!r} has no chat {chat_id!r}",
                         "list the chats with `study chats list`")
    return info


def cmd_chats(args, settings: Settings) -> int:
    store = _store(settings)
    if args.action == "list":
        chats = store.chats()
        if args.json:
            print_json([{"id": c.id, "title": c.title, "turns": c.turns, "updated_at": c.updated_at} for c in chats])
        for c in chats if not args.json else ():
            print(f"{c.id}  {time.strftime('%Y-%m-%d %H:%M', time.localtime(c.updated_at))}  "
                  f"{c.turns:>2} turn(s)  {c.title}")
        if not chats and not args.json:
            print(f"No saved chats for learner {settings.profile!r} yet: `study chat` or the browser saves them.")
        return 0
    if not args.id:
        raise StudyError(f"`study chats {args.action}` needs a chat id", "list the chats with `study chats list`")
    info = _chat(store, args.id)
    if args.action == "rename":
        store.rename(info.id, " ".join(args.title or []))
    elif args.action == "delete":
        if not args.yes:
            raise StudyError(f"deleting chat {info.id} ({info.title!r}) cannot be undone", "add --yes to delete it")
        store.delete(info.id)
    elif args.action == "show" and args.json:
        print_json([t.__dict__ for t in store.turns(info.id)])
    else:  # show, export: the conversation as Markdown notes
        from assistant.history.chats import markdown

        text = markdown(info, store.turns(info.id), _index(settings))
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return 0


def cmd_feedback(args, settings: Settings) -> int:
    store = _store(settings)
    if args.action == "mark":
        if args.good == bool(args.bad):
            raise StudyError("mark a turn either --good or --bad REASON", "pass exactly one of them")
        store.rate(_chat(store, args.id).id, args.turn, 1 if args.good else 0, args.bad, args.note)
        return 0
    from assistant.history.chats import feedback_records

    records = feedback_records(store.rated())
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if args.out:
        Path(args.out).write_text(lines, encoding="utf-8")
        print(f"wrote {len(records)} rated turn(s) to {args.out}; score them with "
              f"`study eval --dataset {args.out}`", file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return 0


def register(sub) -> None:
    from assistant.history.store import REASONS

    p = sub.add_parser("chats", help="saved conversations: list, show, export as Markdown, rename, delete")
    p.set_defaults(func=cmd_chats)
    p.add_argument("action", choices=["list", "show", "export", "rename", "delete"])
    p.add_argument("id", nargs="?", help="the chat id (from `study chats list`)")
    p.add_argument("title", nargs="*", help="rename: the new title")
    p.add_argument("--markdown", action="store_true", help="export: as Markdown notes (the only format)")
    p.add_argument("--out", help="export: write to this file instead of stdout")
    p.add_argument("--json", action="store_true", help="list/show: JSON")
    p.add_argument("--yes", action="store_true", help="delete: confirm")

    p = sub.add_parser("feedback", help="verdicts on answers: mark one, or export them as an evaluation dataset")
    p.set_defaults(func=cmd_feedback)
    p.add_argument("action", choices=["mark", "export"])
    p.add_argument("id", nargs="?", help="mark: the chat id")
    p.add_argument("turn", nargs="?", type=int, help="mark: the turn number (from `study chats show ID --json`)")
    p.add_argument("--good", action="store_true", help="mark: the answer was good")
    p.add_argument("--bad", choices=list(REASONS), help="mark: the answer was bad, and why")
    p.add_argument("--note", help="mark: anything else to say")
    p.add_argument("--out", help="export: the JSONL file to write (default: stdout)")
