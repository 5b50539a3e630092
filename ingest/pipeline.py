"""Ingestion as a list of steps, safe to re-run.

read -> repair -> parse -> check the learner phrasings fit -> diff against the index by
content hash -> embed only what changed -> upsert changed chunks, delete removed ones.
Every step that can refuse bad input runs before the first write, so a failed ingest
leaves the old index answering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from assistant.retrieval.phrasings import Phrasings, read_phrasings
from assistant.store.chroma import GuideStore
from ingest.parser import Question, parse_guide
from ingest.reader import read_guide


@dataclass
class IngestReport:
    chunks: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    embedded_ids: list[str] = field(default_factory=list)
    phrasings: Phrasings | None = None  # as checked against this guide, for warming their cache

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("chunks", "added", "updated", "unchanged", "deleted")}


@dataclass(frozen=True)
class Plan:
    """What an ingest will change, computed before anything is written."""

    to_add: list[Question]
    to_update: list[Question]
    unchanged: list[Question]
    to_delete: list[str]


def plan_changes(questions: list[Question], stored: dict[str, str]) -> Plan:
    """Compare parsed questions with the stored {id: content_hash}.

    >>> q = Question(1, "T", "S", "A")
    >>> p = plan_changes([q], {"Q1": q.content_hash, "Q2": "x"})
    >>> (len(p.unchanged), p.to_delete)
    (1, ['Q2'])
    """
    current = {q.id for q in questions}
    return Plan(
        to_add=[q for q in questions if q.id not in stored],
        to_update=[q for q in questions if q.id in stored and stored[q.id] != q.content_hash],
        unchanged=[q for q in questions if stored.get(q.id) == q.content_hash],
        to_delete=sorted((i for i in stored if i not in current), key=lambda i: (len(i), i)),
    )


def to_node(question: Question, embedding: list[float]):
    """A llama-index TextNode with a stable id (the question id) and its metadata."""
    from llama_index.core.schema import TextNode

    return TextNode(
        id_=question.id,
        text=question.text,
        embedding=embedding,
        metadata={
            "number": question.number,
            "title": question.title,
            "section": question.section,
            "content_hash": question.content_hash,
        },
        excluded_embed_metadata_keys=["number", "content_hash"],
        excluded_llm_metadata_keys=["content_hash"],
    )


def embed_questions(questions: list[Question], embed_model, progress: bool) -> list[list[float]]:
    texts = [q.text for q in questions]
    if not texts:
        return []
    if progress and len(texts) > 8:
        from tqdm import tqdm

        vectors: list[list[float]] = []
        batch = 16
        with tqdm(total=len(texts), desc="Embedding questions", unit="q") as bar:
            for start in range(0, len(texts), batch):
                vectors.extend(embed_model.get_text_embedding_batch(texts[start : start + batch]))
                bar.update(len(texts[start : start + batch]))
        return vectors
    return embed_model.get_text_embedding_batch(texts)


def ingest(
    settings: Settings,
    guide: Path | None = None,
    *,
    rebuild: bool = False,
    progress: bool = False,
    embed_model=None,
    store: GuideStore | None = None,
) -> IngestReport:
    """Bring the index in line with the guide; returns what changed."""
    guide = Path(guide or settings.guide_path)
    # 1-2. read and repair, 3. parse: all validation happens before any write.
    questions = parse_guide(read_guide(guide), source=f"guide {guide}")
    # The learner phrasings must fit this guide: a file written for another one is
    # refused now, before any write, rather than at the first question.
    titles = {q.number: q.title for q in questions}
    phrasings = read_phrasings(settings.phrasings, titles) if settings.phrasings else None
    store = store or GuideStore(settings)
    if store.exists() and not rebuild:
        stored_name, _ = store.embed_info()
    else:
        stored_name = None

    # 4. diff by content hash against what the index holds.
    stored = {} if rebuild else store.stored_hashes()
    plan = plan_changes(questions, stored)
    changed = plan.to_add + plan.to_update

    # The model loads only when something must be embedded or the configured model
    # differs from the index's: re-running on an unchanged guide stays fast.
    dim = None
    if changed or rebuild or stored_name not in (None, settings.embed_model):
        from assistant.runtime import embed_model_for  # the process's one copy

        embed_model = embed_model or embed_model_for(settings.embed_model)
        dim = len(embed_model.get_text_embedding("dimension probe"))
        if store.exists() and not rebuild:
            store.check_embed_model(settings.embed_model, dim)

    # 5. embed only new and changed questions.
    vectors = embed_questions(changed, embed_model, progress)
    nodes = [to_node(q, v) for q, v in zip(changed, vectors)]

    # 6. write through llama-index's ChromaVectorStore: upsert and delete. A rebuild
    # writes a new collection and swaps it in, so the old one answers until the swap and
    # survives a failure. A server that is down or refuses us is already named by the
    # store; what Chroma itself refuses (a full disk, a locked file) is said here with its
    # own words, and anything else passes through as raised.
    from chromadb.errors import ChromaError

    try:
        if rebuild:
            store.rebuild(nodes, settings.embed_model, dim)
        else:
            if dim is not None:
                store.record_embed_model(settings.embed_model, dim)
            store.upsert(nodes)
            store.delete(plan.to_delete)
    except (ChromaError, OSError) as exc:
        raise StudyError(
            f"writing the index in {settings.chroma_url or settings.index_dir} failed ({exc})",
            "check the disk or server, then run `study ingest` again: unchanged chunks are kept",
        ) from exc

    return IngestReport(
        chunks=len(questions),
        added=len(plan.to_add),
        updated=len(plan.to_update),
        unchanged=len(plan.unchanged),
        deleted=len(plan.to_delete),
        embedded_ids=[q.id for q in changed],
        phrasings=phrasings,
    )
