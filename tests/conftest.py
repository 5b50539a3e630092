"""Shared fixtures. Everything here is real: MiniLM from its PyPI package, Chroma on disk."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "data" / "genai_interview_questions.md"
STUDY = Path(sys.executable).parent / "study"


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory) -> Path:
    """An index of the shipped guide, built once per test session through the real CLI."""
    index = tmp_path_factory.mktemp("shipped") / "index"
    result = run_study(["ingest", "--json"], index)
    assert result.returncode == 0, result.stderr
    return index


@pytest.fixture
def index_copy(shipped_index, tmp_path) -> Path:
    """A private copy of the shipped index that a test may modify or break."""
    dest = tmp_path / "index"
    shutil.copytree(shipped_index, dest)
    return dest


def _study_env(index: Path, env: dict) -> dict[str, str]:
    # Start from the caller's environment minus any STUDY_ settings, so a developer's
    # own exported variables cannot change what a test sees.
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDY_")}
    full_env.update({"STUDY_INDEX_DIR": str(index), **{k: str(v) for k, v in env.items()}})
    return full_env


def run_study(args: list[str], index: Path, stdin: str | None = None, **env) -> subprocess.CompletedProcess:
    """Run the installed `study` console script as a user would, in a new process."""
    return subprocess.run(
        [str(STUDY), *args], input=stdin, capture_output=True, text=True, env=_study_env(index, env), timeout=600
    )


def call_study(args: list[str], index: Path, stdin: str | None = None, **env) -> subprocess.CompletedProcess:
    """The same CLI entry point in this process: same code path, without paying the
    ~8 s import cost per call. Used where many calls would otherwise dominate the suite."""
    from assistant.cli import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(_study_env(index, env))
        with redirect_stdout(out), redirect_stderr(err), mock.patch("sys.stdin", io.StringIO(stdin or "")):
            code = main(args)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def retriever(shipped_index):
    """The real retriever over the shipped index, built once (MiniLM load + title vectors)."""
    from assistant.core.settings import Settings
    from assistant.runtime import open_retriever

    return open_retriever(Settings(index_dir=shipped_index))


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real OpenAI-compatible server: `python -m llama_cpp.server` with SmolLM2, on loopback."""
    import socket
    import time
    import urllib.request

    from assistant.llm.embedded import resolve_gguf

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_gguf("smollm2-135m")),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"]
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("w"))  # a file: a pipe could fill up
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(base + "/models", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
    yield base
    proc.terminate()
    proc.wait(timeout=30)
