"""Retrieval benchmark: ingest time (cold, re-ingest unchanged) and warm search latency.

    .venv/bin/python bench/bench_retrieval.py [--runs 3]

Prints one Markdown table of medians (and p95 for latency). Uses a fresh temporary
index so it never touches yours.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from eval.records import DATASETS_DIR, load  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each ingest measurement")
    args = parser.parse_args()
    study = Path(sys.executable).parent / "study"
    rows: list[tuple[str, str]] = []

    with tempfile.TemporaryDirectory() as tmp:
        cold, warm_cli = [], []
        for i in range(args.runs):
            index = Path(tmp) / f"index{i}"
            env = {"STUDY_INDEX_DIR": str(index), "PATH": str(study.parent), "HF_HUB_OFFLINE": "1"}
            t = time.perf_counter()
            subprocess.run([str(study), "ingest", "--json"], env=env, check=True, capture_output=True)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run([str(study), "ingest", "--json"], env=env, check=True, capture_output=True)
            warm_cli.append(time.perf_counter() - t)
        rows.append(
            ("`study ingest`, empty index (process start, embed 100 + bank + phrasings)", f"{statistics.median(cold):.2f} s")
        )
        rows.append(("`study ingest`, unchanged guide (process start included)", f"{statistics.median(warm_cli):.2f} s"))

        from assistant.runtime import open_retriever
        from ingest.pipeline import ingest

        settings = Settings(index_dir=Path(tmp) / "index0")
        ingest(settings)  # warm the process: imports, model
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            report = ingest(settings)
            times.append(time.perf_counter() - t)
            assert report.unchanged == 100
        rows.append(("re-ingest unchanged guide, warm process", f"{statistics.median(times) * 1000:.0f} ms"))

        t = time.perf_counter()
        retriever = open_retriever(settings)
        first = (time.perf_counter() - t) * 1000
        rows.append(("open retriever, first in process (imports, model, chunks, BM25)", f"{first:.0f} ms"))
        t = time.perf_counter()
        retriever = open_retriever(settings)
        again = (time.perf_counter() - t) * 1000
        rows.append(("open retriever again (model loaded)", f"{again:.0f} ms"))
        queries = [r.query for name in ("retrieval_dev.jsonl", "retrieval_holdout.jsonl") for r in load(DATASETS_DIR / name)]
        for q in queries[:20]:
            retriever.search(q, 5)  # warm-up
        latencies = []
        for q in queries:
            t = time.perf_counter()
            retriever.search(q, 5)
            latencies.append((time.perf_counter() - t) * 1000)
        rows.append((f"search latency p50 ({len(queries)} queries, warm)", f"{statistics.median(latencies):.1f} ms"))
        rows.append((f"search latency p95 ({len(queries)} queries, warm)", f"{percentile(latencies, 0.95):.1f} ms"))

    print("| measurement | median |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
