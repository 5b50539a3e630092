"""`study eval`: only the options; the run and the judge live in `eval/run.py`."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli.common import llm_options, llm_settings, print_json
from assistant.core.modes import Backend
from assistant.core.settings import Settings


def cmd_eval(args, settings: Settings) -> int:
    from eval.run import run_eval

    summary, files, report = run_eval(
        settings, llm_settings(args, settings), datasets=args.dataset, out=args.out, limit=args.limit,
        retrieval_only=args.retrieval_only, judge=args.judge, judge_model=args.judge_model,
        judge_max_tokens=args.judge_max_tokens,
    )
    if args.json:
        print_json(summary)
    else:
        print(report)
    print("wrote " + ", ".join(str(f) for f in files), file=sys.stderr)
    judged = summary.get("judge") or {}
    if judged and not any(m["scored"] for m in judged.values()):
        # The report is written and says why, but a run whose judge scored nothing has not
        # measured what was asked: a script checking the exit code must see that.
        reasons = "; ".join(summary.get("judge_errors", [])[:2]) or "no reason given"
        print(f"error: the judge scored no sample ({reasons}): check --judge-model and that the server answers",
              file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate retrieval and answers on datasets; writes a report")
    p.add_argument("--dataset", type=Path, action="append", help="JSONL dataset (repeatable; default: eval/datasets/*)")
    servers = [b.value for b in Backend if b is not Backend.EMBEDDED]  # a judge must follow a JSON schema
    p.add_argument("--judge", choices=["none", *servers], default="none",
                   help="LLM judge for RAGAS faithfulness and answer relevancy (default: none)")
    p.add_argument("--judge-model", help="judge model (default: the server's own / llama3.2:3b for Ollama)")
    p.add_argument("--judge-max-tokens", type=int, default=1024, help="token cap per judge reply (default: 1024)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: reports/)")
    p.add_argument("--retrieval-only", action="store_true", help="skip answering (fast)")
    p.add_argument("--limit", type=int, help="only the first N records")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    llm_options(p)
    p.set_defaults(func=cmd_eval)
