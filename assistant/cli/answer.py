"""`study ask` and `study chat`: cited answers, streamed as they are written."""

from __future__ import annotations

import sys

from assistant.cli.common import each_stdin_query, llm_options, llm_settings, print_json
from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from assistant.core.wording import coverage_line


def _print_answer_footer(answer) -> None:
    out = sys.stdout
    if answer.refused:
        out.write(f"\n\n{coverage_line(answer.coverage, answer.not_covered)}\n")
        return
    if answer.error:
        out.write("\n[incomplete: the backend failed part-way]")
    cited = {f"Q{n}" for n in answer.citations}
    out.write("\n\nSources:\n")
    for h in answer.sources:
        mark = "*" if h.chunk.id in cited else " "
        out.write(f" {mark}[{h.chunk.id}] {h.chunk.title}\n")
    if answer.citations:
        out.write("Cited: " + ", ".join(f"Q{n}" for n in answer.citations) + "\n")
    out.write(coverage_line(answer.coverage, answer.not_covered) + "\n")
    for removed in answer.removed_sentences:
        out.write(f"Removed ({removed['reason']}): {removed['sentence']}\n")
    out.flush()


def _answer_one(chat, question: str, as_json: bool, section: str | None) -> int:
    from assistant.answering.answer import Answer

    answer = None
    for item in chat.ask_stream(question, section):
        if isinstance(item, Answer):
            answer = item
        elif not as_json:
            sys.stdout.write(item)
            sys.stdout.flush()
    if as_json:
        print_json(answer.as_dict())
    else:
        _print_answer_footer(answer)
        print()
    if answer.error:
        print(f"error: {answer.error}", file=sys.stderr)
        return 2
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from assistant.answering.answer import Chat, Turn, check_question
    from assistant.runtime import open_assistant

    settings = llm_settings(args, settings)
    if args.question:
        question = check_question(" ".join(args.question))  # fail before loading any model
        return _answer_one(Chat(open_assistant(settings)), question, args.json, args.section)
    assistant = open_assistant(settings)

    def answer_one(question: str, history: list[str]) -> int:
        chat = Chat(assistant)
        chat.turns = [Turn.asked(earlier) for earlier in history]  # for follow-up retrieval
        return _answer_one(chat, question, args.json, args.section)

    return each_stdin_query(answer_one, args.json)


def cmd_chat(args, settings: Settings) -> int:
    """A terminal chat. Each turn is saved to the learner's chats as it completes (unless
    --no-save); /good and /bad REASON [note] rate the last answer; --resume ID continues one."""
    from assistant.answering.answer import Chat
    from assistant.history.chats import restore
    from assistant.history.store import open_chats
    from assistant.runtime import open_assistant

    store = None if args.no_save else open_chats(settings)
    chat = Chat(open_assistant(llm_settings(args, settings)))
    state = {"id": store.new_chat_id() if store else None, "seq": None}
    if args.resume:
        if store is None or store.chat(args.resume) is None:
            raise StudyError(f"there is no saved chat {args.resume!r} to resume", "list them with `study chats list`")
        chat.turns = restore(store.turns(args.resume), chat.assistant.retriever.index)
        state["id"] = args.resume
    if store is not None:
        chat.on_turn = lambda turn, history: state.update(seq=store.add_turn(state["id"], turn.answer, history))
    saving = f"saved as chat {state['id']}; /good or /bad REASON rates an answer" if store else "not saved"
    print(f"Study chat on {chat.assistant.llm.name} ({saving}). Ask about the guide; /new starts over, /quit ends.")
    while True:
        try:
            line = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if line in ("/quit", "/exit"):
            return 0
        if line == "/new":
            chat.reset()
            state.update(id=store.new_chat_id() if store else None, seq=None)
            print("(new conversation)")
            continue
        if not line:
            continue
        try:
            if line.split()[0] in ("/good", "/bad"):
                _rate(store, state, line)
            else:
                _answer_one(chat, line, False, args.section)
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)


def _rate(store, state: dict, line: str) -> None:
    from assistant.history.store import REASONS

    if store is None or state["seq"] is None:
        raise StudyError("there is no saved answer to rate yet", "ask a question first (and do not pass --no-save)")
    command, *rest = line.split(maxsplit=2)
    if command == "/good":
        store.rate(state["id"], state["seq"], 1, note=" ".join(rest) or None)
    elif not rest or rest[0] not in REASONS:
        raise StudyError("/bad needs a reason", "use /bad " + "|".join(REASONS) + " [anything else to say]")
    else:
        store.rate(state["id"], state["seq"], 0, rest[0], rest[1] if len(rest) > 1 else None)
    print("(thanks: saved with the answer; `study feedback export` turns it into evaluation data)")



def register(sub) -> None:
    p = sub.add_parser("ask", help="answer a question with citations (stdin: one question per line)")
    p.add_argument("question", nargs="*", help="the question; omit to read one per stdin line")
    p.add_argument("--json", action="store_true", help="one JSON line per question")
    llm_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="interactive chat in the terminal, with follow-ups, saved per learner")
    p.add_argument("--resume", metavar="ID", help="continue a saved chat (`study chats list`)")
    p.add_argument("--no-save", action="store_true", help="do not save this chat")
    llm_options(p)
    p.set_defaults(func=cmd_chat)
