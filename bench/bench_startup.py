"""Start-up time of the commands that load no model: each is a new `study` process, timed
from spawn to exit (wall clock), the median of `--runs` runs.

    .venv/bin/python bench/bench_startup.py [--runs 5]

They read only the guide file and the learner's SQLite files, so they should start in
well under a second; `study --help` is the floor (the interpreter, argparse and settings).
A temporary progress folder holds one graded question and one saved chat, so `progress`
and `chats` read real rows. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = Path(sys.executable).parent / "study"


def seed(progress: Path) -> str:
    """One graded question and one saved, rated chat; the chat's id."""
    from assistant.answering.turn import Answer
    from assistant.history.store import ChatStore
    from assistant.practice.progress import ProgressStore

    store = ProgressStore(progress / "default.sqlite3")
    store.record(38, 70, time.time(), "GQA groups query heads to share K/V heads")
    store.close()
    chats = ChatStore(progress / "default.chats.sqlite3")
    chat_id = chats.new_chat_id()
    chats.add_turn(chat_id, Answer("explain GQA vs MQA", "GQA shares K/V heads per group [Q38].", [38], []), [])
    chats.rate(chat_id, 0, 1)
    chats.close()
    return chat_id


def wall(args: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(STUDY), *args], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default: 5)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        progress = Path(tmp) / "progress"
        chat_id = seed(progress)
        env = {**os.environ, "STUDY_PROGRESS_DIR": str(progress), "HF_HUB_OFFLINE": "1"}
        commands = [
            ["progress"],
            ["export", "--markdown", str(Path(tmp) / "x.md")],
            ["chats", "list"],
            ["chats", "export", chat_id, "--markdown"],
            ["feedback", "export"],
            ["--help"],
        ]
        print(f"| command (new process) | median of {runs} |\n|---|---|")
        for args in commands:
            shown = " ".join("/tmp/x.md" if a.endswith("x.md") else "ID" if a == chat_id else a for a in args)
            print(f"| `study {shown}` | {wall(args, env, runs):.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
