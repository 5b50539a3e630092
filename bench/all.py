"""Every benchmark in one table: retrieval/ingest (bench_retrieval.py), answering
(bench_answer.py), study-mode scheduling (bench_schedule.py) and the start of the
commands that load no model (bench_startup.py), each run in its own
process so one's warm caches cannot flatter the other.

    .venv/bin/python bench/all.py        # what `make bench` runs
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def table_rows(script: str, *args: str) -> list[list[str]]:
    out = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True, check=True).stdout
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]
    return [r for r in rows[1:] if not set("".join(r)) <= set("-")]  # drop header and rule


def main() -> int:
    print("| measurement | median | p90 |\n|---|---|---|")
    for script, *args in (("bench_retrieval.py",), ("bench_answer.py",), ("bench_schedule.py", "--summary"),
                          ("bench_startup.py",)):
        for row in table_rows(script, *args):
            median, p90 = row[1], row[2] if len(row) > 2 else ""
            print(f"| {row[0]} | {median} | {p90} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
