"""Load benchmark of the chat UI: N learners asking at once in real browser sessions.

    .venv/bin/python bench/bench_load.py [--sessions 1 2 4 8] [--questions 2]
                                         [--mode grounded|hybrid|generative] [--deadline 300]

For each N it starts its own `study ui` on loopback (a fresh process, so the peak RSS is
that N's), opens N chromium sessions (Debian's /usr/bin/chromium), warms the server with
one question, then every session asks `--questions` questions one after another, all
sessions at once; every answered turn must then be in the learners' saved chats ("turns not
saved" counts those missing). Times are measured in the page: from pressing Enter to the first answer
text on screen, and to the finished answer (its source card). A timeout or an error message
is an error; an answer without its question's citation is counted apart. Bounded: at most 8 sessions,
5 questions each, `--deadline` seconds per N; nothing but 127.0.0.1 is ever contacted.

Uses the index in STUDY_INDEX_DIR (default .index; `make ingest` builds it).
Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = Path(sys.executable).parent / "study"
CHROMIUM = "/usr/bin/chromium"

# Questions with the guide question each must cite; session i starts at question i.
QUESTIONS = [
    ("explain GQA vs MQA", 38), ("what is LoRA?", 63), ("what is RLHF?", 17),
    ("what does temperature do when sampling?", 11), ("what is prompt injection?", 46),
    ("what is quantization?", 22), ("what is chain of thought prompting?", 42), ("what is a context window?", 13),
    ("what is few-shot prompting?", 44), ("explain self-attention", 31),
]

# Installed in the page before Enter is pressed: resolves when the new answer is finished,
# with the milliseconds to its first text and to its end, and its text.
WATCH = """
(before) => new Promise(resolve => {
  const t0 = performance.now();
  let first = null;
  const check = () => {
    const messages = document.querySelectorAll('[data-testid=stChatMessage]');
    if (messages.length < before + 2) return false;
    const last = messages[messages.length - 1];
    if (!last.querySelector('[data-testid=stChatMessageAvatarAssistant]')) return false;
    const text = [...last.querySelectorAll('[data-testid=stMarkdown]')].map(e => e.innerText).join(' ').trim();
    if (first === null && text) first = performance.now() - t0;
    const failed = last.querySelector('[data-testid=stAlertContentError]');
    if (!last.querySelector('[data-testid=stExpander]') && !failed) return false;
    resolve({first: first ?? performance.now() - t0, done: performance.now() - t0, text: last.innerText,
             failed: !!failed});
    return true;
  };
  if (check()) return;
  const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def progress_dir(port: int) -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_load_progress_{port}"


def start_server(port: int, mode: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("STUDY_INDEX_DIR", str(ROOT / ".index"))
    if mode:
        env["STUDY_ANSWER_MODE"] = mode
    # Each run's learners get a throwaway progress folder, not the developer's.
    env["STUDY_PROGRESS_DIR"] = str(progress_dir(port))
    proc = subprocess.Popen([str(STUDY), "ui", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("error: `study ui` did not start within 120 s: run it by hand to see why")


def saved_turns(port: int) -> int:
    """Turns the server saved to its learners' chat files (every answered turn must be there)."""
    import sqlite3

    total = 0
    for path in progress_dir(port).glob("*.chats.sqlite3"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT count(*) FROM turns").fetchone()[0]
        db.close()
    return total


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def ask(page, question: str, timeout: float) -> dict:
    before = await page.get_by_test_id("stChatMessage").count()
    box = page.get_by_test_id("stChatInputTextArea")
    await box.fill(question)
    watch = asyncio.ensure_future(page.evaluate(WATCH, before))
    await page.evaluate("0")  # the watcher is installed once this round trip returns
    await box.press("Enter")
    return await asyncio.wait_for(watch, timeout)


async def open_page(browser, url: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
    return page


async def session(page, start: int, count: int, deadline: float, results: list) -> None:
    for i in range(count):
        question, number = QUESTIONS[(start + i) % len(QUESTIONS)]
        try:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            got = await ask(page, question, left)
            kind = "error" if got["failed"] else ("ok" if f"Q{number}" in got["text"] else "uncited")
            results.append({"first": got["first"] / 1000, "done": got["done"] / 1000, "kind": kind})
        except Exception:  # timed out, or the page broke: an error either way, the run goes on
            results.append({"kind": "error"})


async def run_level(browser, url: str, sessions: int, questions: int, deadline_s: float) -> tuple[list[dict], float]:
    """All sessions' pages open first; then they ask at once. Returns results and the asking time."""
    pages = await asyncio.gather(*(open_page(browser, url) for _ in range(sessions)))
    results: list[dict] = []
    start = time.monotonic()
    try:
        await asyncio.gather(*(session(page, i, questions, start + deadline_s, results) for i, page in enumerate(pages)))
    finally:
        for page in pages:
            await page.context.close()
    return results, time.monotonic() - start


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile.

    >>> pct([1.0, 2.0, 3.0, 4.0], 0.5), pct([1.0, 2.0, 3.0, 4.0], 0.95)
    (2.0, 4.0)
    """
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered) - 1e-9) - 1)]


async def main_async(args) -> None:
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            for n in args.sessions:
                port = free_port()
                server = start_server(port, args.mode)
                url = f"http://127.0.0.1:{port}"
                try:
                    await run_level(browser, url, 1, 1, args.deadline)  # warm: index, models, first run
                    results, wall = await run_level(browser, url, n, args.questions, args.deadline)
                    rss = peak_rss_mb(server.pid)
                    lost = 1 + len(results) - saved_turns(port)  # the warm-up question is saved too
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                    shutil.rmtree(progress_dir(port), ignore_errors=True)
                timed = [r for r in results if "done" in r]
                firsts, dones = [r["first"] for r in timed], [r["done"] for r in timed]
                errors = sum(r["kind"] == "error" for r in results)
                uncited = sum(r["kind"] == "uncited" for r in results)
                rows.append((n, len(results), errors, uncited, lost,
                             *(f"{pct(v, q):.2f} s" if v else "-" for v in (firsts, dones) for q in (0.5, 0.95)),
                             f"{len(timed) / wall:.2f}", f"{rss:.0f} MB"))
                print(f"N={n}: {len(results)} answers, {errors} errors, {uncited} uncited, {wall:.1f} s", file=sys.stderr)
        finally:
            await browser.close()
    mode = args.mode or "default (STUDY_ANSWER_MODE)"
    load = os.getloadavg()[0]
    print(f"\nLoad on `study ui`, answer mode {mode}, {args.questions} question(s) per session, loopback, "
          f"{os.cpu_count()} cores (load average at the end {load:.1f})\n")
    print("| sessions | answers | errors | without its citation | turns not saved | first text p50 | first text p95 "
          "| whole answer p50 | whole answer p95 | answers/s | server peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8], choices=[1, 2, 4, 8],
                        help="concurrent sessions to measure (at most 8)")
    parser.add_argument("--questions", type=int, default=2, choices=range(1, 6), metavar="1-5",
                        help="questions each session asks, one after another")
    parser.add_argument("--mode", choices=["grounded", "hybrid", "generative"],
                        help="answer mode (default: the server's STUDY_ANSWER_MODE)")
    parser.add_argument("--deadline", type=float, default=300, help="seconds allowed per level (at most 900)")
    args = parser.parse_args()
    if not 0 < args.deadline <= 900:
        parser.error("--deadline must be between 0 and 900 seconds")
    if not Path(CHROMIUM).exists():
        raise SystemExit("error: Debian's chromium is not installed: `apt-get install chromium`")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
