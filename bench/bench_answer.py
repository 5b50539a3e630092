"""Answer benchmark on the embedded backend: warm time to first visible text, whole answer,
decode speed (when a model writes), and cold `study ask` time to first visible text.

    .venv/bin/python bench/bench_answer.py [--mode grounded|hybrid|generative] [--model gemma3-270m|smollm2-135m]
                                           [--questions 20] [--cold-runs 3]

Uses the index in STUDY_INDEX_DIR (default .index; `make ingest` builds it).
Prints one Markdown table of medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering.answer import Answer  # noqa: E402
from assistant.core.modes import AnswerMode, answer_mode_for  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from eval.records import DATASETS_DIR, load  # noqa: E402


def cold_first_token(study: Path, model: str, mode: str, question: str) -> float:
    """Seconds from starting `study ask` to the first byte of answer on stdout."""
    env = {**os.environ, "STUDY_LLM_MODEL": model, "STUDY_ANSWER_MODE": mode}
    start = time.perf_counter()
    proc = subprocess.Popen([str(study), "ask", question], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    proc.stdout.read(1)
    elapsed = time.perf_counter() - start
    proc.stdout.read()
    proc.wait()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="embedded model (default: the embedded backend's default)")
    parser.add_argument("--mode", default="auto", help="answer mode (default: auto, grounded on the embedded model)")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()

    from assistant.llm.embedded import EmbeddedLLM
    from assistant.runtime import open_assistant

    args.model = args.model or EmbeddedLLM.DEFAULT_MODEL
    settings = Settings(llm_backend="embedded", llm_model=args.model, answer_mode=args.mode)
    writes = answer_mode_for(settings.answer_mode, settings.llm_backend) != AnswerMode.GROUNDED
    assistant = open_assistant(settings)
    records = [r for r in load(DATASETS_DIR / "retrieval_dev.jsonl") if not r.history][: args.questions]
    assistant.ask(records[0].query)  # load the model and warm caches, not measured
    first, rates, totals = [], [], []
    for rec in records:
        start = time.perf_counter()
        text, t_first = "", None
        for item in assistant.ask_stream(rec.query):
            if isinstance(item, Answer):
                answer = item
            elif item.strip():
                t_first = t_first or time.perf_counter()
                text += item
        end = time.perf_counter()
        if answer.refused or t_first is None:
            continue
        first.append(t_first - start)
        totals.append(end - start)
        if writes and end > t_first:
            rates.append(assistant.llm.count_tokens(text) / (end - t_first))
    study = Path(sys.executable).parent / "study"
    cold = [cold_first_token(study, args.model, args.mode, "explain GQA vs MQA") for _ in range(args.cold_runs)]

    print(f"Embedded backend, {answer_mode_for(settings.answer_mode, settings.llm_backend)} answers, {args.model}, {os.cpu_count()} cores, "
          f"{len(first)} answered questions\n")
    print("| measure | median | p90 |")
    print("|---|---|---|")
    for name, values, unit in [
        ("warm time to first visible text", first, "s"),
        ("warm answer, whole", totals, "s"),
        ("decode speed", rates, "tok/s"),
        ("cold `study ask` to first visible text", cold, "s"),
    ]:
        if not values:
            continue
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        print(f"| {name} | {statistics.median(values):.2f} {unit} | {p90:.2f} {unit} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
