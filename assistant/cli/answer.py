"""`study ask` and `study chat`: cited answers, streamed as they are written."""

from __future__ import annotations

import sys

from assistant.cli.common import each_stdin_query, llm_options, llm_settings, print_json
from assistant.core.errors import StudyError
from assistant.core.settings import Settings


def coverage_line(answer) -> str:
    """How much of the question the guide answers, in one line.

    >>> from assistant.answering.answer import Answer
    >>> coverage_line(Answer("q", "a", [77], [], coverage="partial", not_covered=['"how long"']))
    'Coverage: partial (the guide does not cover: "how long")'
    """
    if answer.coverage == "partial":
        return f"Coverage: partial (the guide does not cover: {'; '.join(answer.not_covered)})"
    return f"Coverage: {answer.coverage}"


def _print_answer_footer(answer) -> None:
    out = sys.stdout
    if answer.refused:
        out.write(f"\n\n{coverage_line(answer)}\n")
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
    out.write(coverage_line(answer) + "\n")
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

    return each_stdin_query(answer_one)


def cmd_chat(args, settings: Settings) -> int:
    from assistant.answering.answer import Chat
    from assistant.runtime import open_assistant

    chat = Chat(open_assistant(llm_settings(args, settings)))
    print(f"Study chat on {chat.assistant.llm.name}. Ask about the guide; /new starts over, /quit ends.")
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
            print("(new conversation)")
            continue
        if not line:
            continue
        try:
            _answer_one(chat, line, False, args.section)
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)



def register(sub) -> None:
    p = sub.add_parser("ask", help="answer a question with citations (stdin: one question per line)")
    p.add_argument("question", nargs="*", help="the question; omit to read one per stdin line")
    p.add_argument("--json", action="store_true", help="one JSON line per question")
    llm_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="interactive chat in the terminal, with follow-ups")
    llm_options(p)
    p.set_defaults(func=cmd_chat)
