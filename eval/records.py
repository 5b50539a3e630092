"""Load evaluation datasets: JSONL, one record per line.

{"query": "...", "reference_ids": ["Q38"], "history": [], "kind": "in_scope", "style": "typo"}

Fact probes (kind "fact_probe") also carry "must_include" and "must_not" (eval/probes.py).
Real interview questions carry "coverage" (answered / partial / not_covered, labelled against
the guide), "aspects" (what a partly answered one lacks) and "source" (repository:path);
other records are answered when they have reference ids, not covered when they have none.
Learner feedback (kind "feedback", from `study feedback export`) carries "verdict" (good /
bad), "reason", "note", and what the rated answer cited ("answered_ids") or refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.errors import StudyError

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
KINDS = ("in_scope", "out_of_scope", "conversation", "adversarial", "fact_probe", "feedback")
COVERAGES = ("answered", "partial", "not_covered")
_EXTRA = ("must_include", "must_not", "aspects", "source", "verdict", "reason", "note", "answered_ids", "refused")


@dataclass(frozen=True)
class Record:
    query: str
    reference_ids: tuple[str, ...]
    history: tuple[str, ...] = ()
    kind: str = "in_scope"
    style: str = ""
    reference: str | None = None
    coverage: str = "answered"
    extra: dict = field(default_factory=dict, compare=False)


def load(path: Path) -> list[Record]:
    """Records of one JSONL file; a malformed line is an error naming file and line."""
    path = Path(path)
    if not path.exists():
        raise StudyError(f"dataset {path} not found", "pass an existing JSONL file with --dataset")
    records = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            query = obj["query"]
            ids = obj.get("reference_ids", [])
            kind = obj.get("kind", "in_scope")
            coverage = obj.get("coverage") or ("answered" if ids else "not_covered")
            if not isinstance(query, str) or not isinstance(ids, list) or kind not in KINDS:
                raise ValueError("wrong field types")
            if coverage not in COVERAGES:
                raise ValueError(f"coverage must be one of {', '.join(COVERAGES)}")
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            raise StudyError(
                f"{path}:{lineno} is not a dataset record ({exc})",
                'write {"query": "...", "reference_ids": ["Q38"], "history": [], "kind": "in_scope"}',
            ) from None
        records.append(
            Record(
                query=query,
                reference_ids=tuple(ids),
                history=tuple(obj.get("history") or ()),
                kind=kind,
                style=obj.get("style", ""),
                reference=obj.get("reference"),
                coverage=coverage,
                extra={k: obj[k] for k in _EXTRA if k in obj},
            )
        )
    return records
