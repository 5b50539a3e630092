"""The layout is the architecture: imports only run down the layers, and no module grows
past what a newcomer reads in one sitting. Every import counts, including the lazy ones
inside functions, since they are arrows all the same.

    core  <-  store, llm  <-  retrieval  <-  answering, practice  <-  history  <-  runtime
          <-  ingest, llamaindex_adapters  <-  ui, eval  <-  cli
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "ingest", "ui", "eval")

BELOW_CLI = {"assistant.core", "assistant.store", "assistant.llm", "assistant.retrieval", "assistant.answering",
             "assistant.practice", "assistant.history", "assistant.runtime", "assistant.llamaindex_adapters",
             "ingest"}
# What each layer may import from the project, besides itself.
ALLOWED = {
    "assistant.core": set(),
    "assistant.store": {"assistant.core"},
    "assistant.llm": {"assistant.core"},
    "assistant.retrieval": {"assistant.core"},
    "assistant.answering": {"assistant.core", "assistant.retrieval", "assistant.llm"},
    # Study mode sees retrieval and answering only through core types (a retriever is passed in).
    "assistant.practice": {"assistant.core"},
    # Saved chats are answers as stored: they see the answer types, and the index as passed in.
    "assistant.history": {"assistant.core", "assistant.answering"},
    "assistant.runtime": {"assistant.core", "assistant.store", "assistant.llm", "assistant.retrieval",
                          "assistant.answering", "assistant.practice", "assistant.history"},
    "ingest": {"assistant.core", "assistant.store", "assistant.retrieval", "assistant.runtime"},
    "assistant.llamaindex_adapters": {"assistant.core", "assistant.retrieval", "assistant.answering",
                                      "assistant.runtime"},
    "ui": {*BELOW_CLI, "ui"},
    "eval": {*BELOW_CLI, "eval"},
    # The command line is the top: it dispatches to the UI and the eval run.
    "assistant.cli": {"assistant", "ingest", "ui.access", "eval.run"},
}
MAX_LINES = 300


def layer_of(module: str) -> str | None:
    """The longest ALLOWED key that `module` is, or is inside of."""
    matches = [k for k in ALLOWED if module == k or module.startswith(k + ".")]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


_DOCTEST_IMPORT = re.compile(r">>> (?:from ([\w.]+) import ([\w, ]+)|import ([\w.]+))")


def project_imports(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    found = []
    for line_no, line in enumerate(text.splitlines(), 1):  # doctests run as the module's code too
        for module, names, plain in _DOCTEST_IMPORT.findall(line):
            found += [(line_no, f"{module}.{n.strip()}") for n in names.split(",")] if module else [(line_no, plain)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # "from assistant.store import bert_encoder" imports a module too
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def allowed(source: str, target: str) -> bool:
    own = layer_of(source)
    if own is None:
        return False
    if layer_of(target) == own:
        return True
    return any(target == a or target.startswith(a + ".") for a in ALLOWED[own])


SOURCES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if module_name(p) not in PACKAGES)


def test_every_module_has_a_layer():
    assert len(SOURCES) > 50, "sources not found"
    assert [module_name(p) for p in SOURCES if layer_of(module_name(p)) is None] == []
    # The top packages' own __init__ files are documentation only.
    assert {pkg: project_imports(ROOT / pkg / "__init__.py") for pkg in PACKAGES} == {pkg: [] for pkg in PACKAGES}


def test_imports_only_run_down_the_layers():
    upward = [
        f"{p.relative_to(ROOT)}:{line} imports {target}"
        for p in SOURCES
        for line, target in project_imports(p)
        if not allowed(module_name(p), target)
    ]
    assert upward == []


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        ("assistant.core.settings", "assistant.practice.progress", False),  # core imports nothing
        ("assistant.llm.embedded", "assistant.answering.prompt", False),
        ("assistant.practice.grading", "assistant.answering.citations", False),
        ("assistant.retrieval.hybrid", "assistant.store.chroma", False),
        ("assistant.answering.answer", "eval.suite", False),
        ("assistant.cli.evaluate", "eval.run", True),
        ("assistant.answering.scope", "assistant.retrieval.followup", True),
        ("ui.app", "assistant.runtime", True),
        ("ui.app", "assistant.cli.common", False),
    ],
)
def test_the_check_itself_tells_up_from_down(source, target, ok):
    assert allowed(source, target) is ok


def test_modules_stay_short():
    long = {str(p.relative_to(ROOT)): n for p in SOURCES if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
