"""Shared fixtures. Everything here is real: MiniLM from its PyPI package, Chroma on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def run_study(args: list[str], index: Path, stdin: str | None = None, **env) -> subprocess.CompletedProcess:
    """Run the installed `study` console script as a user would."""
    full_env = {**os.environ, "STUDY_INDEX_DIR": str(index), **{k: str(v) for k, v in env.items()}}
    full_env.pop("STUDY_CHROMA_URL", None) if "STUDY_CHROMA_URL" not in env else None
    return subprocess.run(
        [str(STUDY), *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=600
    )
