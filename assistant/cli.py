"""`study`: the command line. Builds Settings once and hands it to each command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.errors import StudyError
from assistant.settings import Settings, load_settings


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# -- ingest -------------------------------------------------------------------
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
        from assistant.index import warm_vectors

        warm_vectors(settings, report.phrasings, announce=lambda text: print(text, file=sys.stderr))
    except StudyError as exc:  # the index is written; answering will report the same problem
        print(f"warning: {exc}", file=sys.stderr)
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
    if sys.stdin.isatty():
        print("Type a question (Ctrl-D to quit).", file=sys.stderr)

    def search_one(query: str, history: list[str]) -> int:
        _print_hits(query, retriever.search(query, top_k, args.section, history), args.json)
        return 0

    return _each_stdin_query(search_one)


def _each_stdin_query(handle) -> int:
    """Run `handle(query, history)` for each non-empty stdin line; the worst exit status.

    A bad line is reported and skipped: one bad line must not end a batch.
    """
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            status = max(status, handle(*parse_query_line(line)))
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 2
    return status


# -- ask / chat -----------------------------------------------------------------
def _llm_settings(args, settings: Settings) -> Settings:
    given = {"llm_backend": args.backend, "llm_model": args.model, "top_k": args.top_k,
             "answer_mode": getattr(args, "mode", None)}
    update = {k: v for k, v in given.items() if v}
    return settings.model_copy(update=update) if update else settings


def _print_answer_footer(answer) -> None:
    if answer.refused:
        return
    out = sys.stdout
    if answer.error:
        out.write("\n[incomplete: the backend failed part-way]")
    cited = {f"Q{n}" for n in answer.citations}
    out.write("\n\nSources:\n")
    for h in answer.sources:
        mark = "*" if h.chunk.id in cited else " "
        out.write(f" {mark}[{h.chunk.id}] {h.chunk.title}\n")
    if answer.citations:
        out.write("Cited: " + ", ".join(f"Q{n}" for n in answer.citations) + "\n")
    for removed in answer.removed_sentences:
        out.write(f"Removed ({removed['reason']}): {removed['sentence']}\n")
    out.flush()


def _answer_one(chat, question: str, as_json: bool, section: str | None) -> int:
    from assistant.answer import Answer

    answer = None
    for item in chat.ask_stream(question, section):
        if isinstance(item, Answer):
            answer = item
        elif not as_json:
            sys.stdout.write(item)
            sys.stdout.flush()
    if as_json:
        _print_json(answer.as_dict())
    else:
        _print_answer_footer(answer)
        print()
    if answer.error:
        print(f"error: {answer.error}", file=sys.stderr)
        return 2
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from assistant.answer import Chat, Turn, check_question
    from assistant.index import open_assistant

    settings = _llm_settings(args, settings)
    if args.question:
        question = check_question(" ".join(args.question))  # fail before loading any model
        return _answer_one(Chat(open_assistant(settings)), question, args.json, args.section)
    assistant = open_assistant(settings)

    def answer_one(question: str, history: list[str]) -> int:
        chat = Chat(assistant)
        chat.turns = [Turn.asked(earlier) for earlier in history]  # for follow-up retrieval
        return _answer_one(chat, question, args.json, args.section)

    return _each_stdin_query(answer_one)


def cmd_chat(args, settings: Settings) -> int:
    from assistant.answer import Chat
    from assistant.index import open_assistant

    chat = Chat(open_assistant(_llm_settings(args, settings)))
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


# -- eval ---------------------------------------------------------------------
def cmd_eval(args, settings: Settings) -> int:
    from tqdm import tqdm

    from assistant.index import open_assistant, open_retriever
    from eval.records import DATASETS_DIR, load
    from eval.report import clean, write_report
    from eval.suite import evaluate_record, summarise

    paths = args.dataset or sorted(DATASETS_DIR.glob("*.jsonl"))
    records = [r for path in paths for r in load(path)]
    if args.limit:
        records = records[: args.limit]
    if not records:
        raise StudyError("the datasets hold no records", "pass --dataset FILE.jsonl with one record per line")
    retriever = open_retriever(settings)
    assistant = None if args.retrieval_only else open_assistant(_llm_settings(args, settings), retriever=retriever)
    judge = _judge(args, settings, retriever) if args.judge != "none" else None
    rows = [
        evaluate_record(rec, retriever, assistant, judge, top_k=10, context_k=settings.top_k)
        for rec in tqdm(records, desc="evaluating", unit="query", file=sys.stderr, dynamic_ncols=True)
    ]
    summary = summarise(rows)
    if judge is not None:
        summary["judge_model"] = f"{args.judge}:{judge.model}"
        summary["judge_errors"] = sorted(set(judge.errors))[:10]
    files = write_report(args.out, rows, summary, [str(p) for p in paths])
    if args.json:
        _print_json(clean(summary))
    else:
        print((args.out / "report.md").read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(f) for f in files), file=sys.stderr)
    return 0


def _judge(args, settings: Settings, retriever):
    from eval.ragas_metrics import Judge

    if args.judge == "ollama":
        from assistant.llm.ollama_backend import OllamaLLM

        base_url = settings.ollama_host.rstrip("/") + "/v1"
        model = args.judge_model or OllamaLLM.DEFAULT_MODEL
    else:
        base_url, model = settings.openai_base_url, args.judge_model
    try:
        return Judge(base_url, model, retriever.embed_model, api_key=settings.openai_api_key.get_secret_value(),
                     max_tokens=args.judge_max_tokens)
    except Exception as exc:  # openai raises its own types; all mean the same to the user here
        raise StudyError(
            f"the {args.judge} judge at {base_url} is not usable ({type(exc).__name__})",
            "start the server or pass --judge none",
        ) from None


# -- study mode -----------------------------------------------------------------
def cmd_grade(args, settings: Settings) -> int:
    from assistant.practice.coach import open_coach
    from assistant.practice.grading import check_answer

    check_answer(args.answer)  # before loading anything
    coach = open_coach(settings)
    grade, card = coach.grade(args.question, args.answer, save=not args.no_save)
    _show_review(coach, grade, card, grade.feedback, grade.as_dict(), args.json)
    if args.coach and not args.json:
        _coach(grade, settings)
    return 0


def cmd_explain(args, settings: Settings) -> int:
    from assistant.practice.coach import open_coach
    from assistant.practice.grading import check_answer

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
        _print_json({**as_dict, "review": coach.review_summary(card), "follow_up": follow_up})
        return
    print(f"\n{feedback}")
    print(f"\nThe guide's answer [Q{grade.question}] {grade.title}\n{grade.reference}")
    if card is not None:
        import time

        days = (card.due_at - time.time()) / 86400
        when = f"in {days:.0f} day(s)" if days >= 1 else "again in a few minutes"
        print(f"\nNext review of Q{grade.question}: {when} (rated {coach.review_summary(card)['rating']}).")
    if follow is not None:
        print(f"Follow-up, a related question: Q{follow.number}. {follow.title}")


def _coach(grade, settings: Settings) -> None:
    """The configured LLM words the feedback; the grade itself never depends on it."""
    from assistant.llm import BackendError, get_llm
    from assistant.practice.grading import coaching_prompt
    from assistant.sanitize import strip_control

    print("\nCoach: ", end="", flush=True)
    try:
        for delta in get_llm(settings).stream(coaching_prompt(grade), max_tokens=120, temperature=0.3):
            print(strip_control(delta), end="", flush=True)
    except BackendError as err:
        print(f"\nerror: {err}", file=sys.stderr)
    print()


def cmd_quiz(args, settings: Settings) -> int:
    from assistant.practice.coach import open_coach

    coach = open_coach(settings)
    questions = coach.next(args.section, args.count)
    print(f"{len(questions)} question(s), due ones first, then weak sections. "
          "Answer in one line; an empty line skips, Ctrl-D stops.")
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
        _show_review(coach, grade, card, grade.feedback, {}, False)
        if args.coach:
            _coach(grade, settings)
    return 0


def cmd_progress(args, settings: Settings) -> int:
    from assistant.practice.coach import open_coach

    mastery = open_coach(settings).mastery()
    if args.json:
        _print_json({"profile": settings.profile, **mastery})
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

    written = export(settings, anki_path=args.anki, markdown_path=args.markdown, csv_path=args.csv,
                     with_progress=args.with_progress, section=args.section)
    for path, count in written:
        print(f"wrote {count} questions to {path}")
    return 0


# -- ui -----------------------------------------------------------------------
def cmd_ui(args, settings: Settings) -> int:
    import os

    from ui.access import bind_problem, is_loopback

    password = settings.ui_password.get_secret_value() if settings.ui_password else None
    insecure = args.insecure_no_auth or settings.ui_insecure_no_auth
    if problem := bind_problem(args.host, password, insecure):
        raise problem
    app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # A click while an answer streams (Stop, another view) reruns the same session's
        # script once the answer has kept its turn, not beside it in a second thread.
        "--runner.fastReruns", "false",
    ]
    if not is_loopback(args.host):  # visitors see no tracebacks, no "clear cache", no reload on edit
        cmd += ["--client.showErrorDetails", "type", "--client.toolbarMode", "viewer",
                "--server.fileWatcherType", "none"]
    if insecure:
        os.environ["STUDY_UI_INSECURE_NO_AUTH"] = "1"  # the app checks the bind again
    guard = "password required" if password else ("no access control" if insecure else "this machine only")
    print(f"Study assistant at http://{args.host}:{args.port} ({guard}; Ctrl-C to stop)", file=sys.stderr)
    sys.stdout.flush()
    os.execv(sys.executable, cmd)  # the app reads the same STUDY_ settings from the environment
    return 0


# -- entry point ---------------------------------------------------------------
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

    def llm_options(p):
        p.add_argument("--backend", choices=["embedded", "ollama", "openai"], help="default: STUDY_LLM_BACKEND")
        p.add_argument("--model", help="model name or .gguf path (default: STUDY_LLM_MODEL)")
        p.add_argument("--mode", choices=["auto", "grounded", "hybrid", "generative"],
                       help="who writes the answer (default: STUDY_ANSWER_MODE, auto)")
        p.add_argument("--top-k", type=int, help="how many questions to retrieve (default: STUDY_TOP_K)")
        p.add_argument("--section", help="only questions of this section")

    p = sub.add_parser("ask", help="answer a question with citations (stdin: one question per line)")
    p.add_argument("question", nargs="*", help="the question; omit to read one per stdin line")
    p.add_argument("--json", action="store_true", help="one JSON line per question")
    llm_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="interactive chat in the terminal, with follow-ups")
    llm_options(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("eval", help="evaluate retrieval and answers on datasets; writes a report")
    p.add_argument("--dataset", type=Path, action="append", help="JSONL dataset (repeatable; default: eval/datasets/*)")
    p.add_argument("--judge", choices=["none", "ollama", "openai"], default="none",
                   help="LLM judge for RAGAS faithfulness and answer relevancy (default: none)")
    p.add_argument("--judge-model", help="judge model (default: the server's own / llama3.2:3b for Ollama)")
    p.add_argument("--judge-max-tokens", type=int, default=1024, help="token cap per judge reply (default: 1024)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: reports/)")
    p.add_argument("--retrieval-only", action="store_true", help="skip answering (fast)")
    p.add_argument("--limit", type=int, help="only the first N records")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    llm_options(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("grade", help="grade an answer to one question against the guide")
    p.add_argument("--question", type=int, required=True, help="question number, e.g. 38")
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

    p = sub.add_parser("ui", help="start the chat in the browser (Streamlit)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    p.add_argument("--insecure-no-auth", action="store_true",
                   help="serve beyond loopback without STUDY_UI_PASSWORD (only behind a proxy that authenticates)")
    p.set_defaults(func=cmd_ui)
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
