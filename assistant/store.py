"""The Chroma collection that holds one chunk per question, reached through llama-index.

Embedded Chroma on disk by default; a Chroma server when `STUDY_CHROMA_URL` is set.
The collection's metadata records which embedding model wrote it, so an index built
with another model is refused with a fix instead of returning nonsense neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

from assistant.errors import StudyError
from assistant.settings import Settings


@dataclass(frozen=True)
class Chunk:
    """One question as stored: what retrieval ranks and what answers cite."""

    id: str
    number: int
    title: str
    section: str
    text: str
    content_hash: str = ""
    embedding: tuple[float, ...] = field(default=(), repr=False)


def _chroma():
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
    except ImportError as exc:
        from assistant.errors import missing_package

        raise missing_package("chromadb") from exc
    return chromadb, ChromaSettings


def open_client(settings: Settings):
    """A Chroma client for the configured mode, with telemetry off."""
    chromadb, ChromaSettings = _chroma()
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StudyError(
                f"STUDY_CHROMA_URL={settings.chroma_url!r} is not an http(s) URL",
                "set it like http://127.0.0.1:8000 or unset it for the embedded index",
            )
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # connection errors differ across chromadb versions
            raise StudyError(
                f"Chroma server at {settings.chroma_url} is not reachable ({type(exc).__name__})",
                "start it with `chroma run --path DIR --port PORT` or unset STUDY_CHROMA_URL",
            ) from exc
        return client
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


def where(settings: Settings) -> str:
    return settings.chroma_url or str(settings.index_dir)


class GuideStore:
    """Read and write the guide's chunks in one Chroma collection."""

    def __init__(self, settings: Settings, client=None):
        self.settings = settings
        self.client = client or open_client(settings)
        self._collection = None

    # -- collection --------------------------------------------------------
    def exists(self) -> bool:
        try:
            self.client.get_collection(self.settings.collection)
            return True
        except Exception:  # chromadb raises NotFoundError/ValueError by version
            return False

    def collection(self, create: bool = False):
        if self._collection is None:
            if create:
                self._collection = self.client.get_or_create_collection(
                    self.settings.collection, metadata={"hnsw:space": "cosine"}
                )
            elif not self.exists():
                raise StudyError(
                    f"no index of the guide in {where(self.settings)}",
                    "run `study ingest` first",
                )
            else:
                self._collection = self.client.get_collection(self.settings.collection)
        return self._collection

    def embed_info(self) -> tuple[str | None, int | None]:
        meta = self.collection().metadata or {}
        return meta.get("embed_model"), meta.get("embed_dim")

    def check_embed_model(self, name: str, dim: int) -> None:
        """Refuse to mix vectors of two embedding models in one index."""
        stored_name, stored_dim = self.embed_info()
        if stored_dim is not None and int(stored_dim) != dim or stored_name not in (None, name):
            raise StudyError(
                f"the index in {where(self.settings)} was built with {stored_name} "
                f"({stored_dim} dimensions) but the embedding model is {name} ({dim} dimensions)",
                f"set STUDY_EMBED_MODEL={stored_name} or re-ingest into a new index with "
                "`study ingest --rebuild` (or another STUDY_INDEX_DIR)",
            )

    def record_embed_model(self, name: str, dim: int) -> None:
        coll = self.collection(create=True)
        meta = {k: v for k, v in (coll.metadata or {}).items() if not k.startswith("hnsw:")}
        meta.update({"embed_model": name, "embed_dim": dim})
        coll.modify(metadata=meta)

    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.settings.collection)
        self._collection = None

    # -- chunks ------------------------------------------------------------
    def stored_hashes(self) -> dict[str, str]:
        if not self.exists():
            return {}
        got = self.collection().get(include=["metadatas"])
        return {i: (m or {}).get("content_hash", "") for i, m in zip(got["ids"], got["metadatas"])}

    def count(self) -> int:
        return self.collection().count()

    def upsert(self, nodes) -> None:
        """Insert or replace nodes (llama-index TextNodes with embeddings) by id."""
        if not nodes:
            return
        coll = self.collection(create=True)
        # ChromaVectorStore.add uses collection.add, which keeps the old row when an id
        # exists; a changed answer must replace it, so write with upsert ourselves,
        # in llama-index's own node-to-metadata format so its query path reads it back.
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        coll.upsert(
            ids=[n.node_id for n in nodes],
            embeddings=[n.get_embedding() for n in nodes],
            metadatas=[node_to_metadata_dict(n, remove_text=True, flat_metadata=True) for n in nodes],
            documents=[n.get_content() for n in nodes],
        )

    def delete(self, ids: list[str]) -> None:
        if ids:
            self.collection().delete(ids=ids)

    def chunks(self, with_embeddings: bool = False) -> list[Chunk]:
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        got = self.collection().get(include=include)
        embeddings = got.get("embeddings") if with_embeddings else None
        out = []
        for i, (cid, doc, meta) in enumerate(zip(got["ids"], got["documents"], got["metadatas"])):
            meta = meta or {}
            out.append(
                Chunk(
                    id=cid,
                    number=int(meta.get("number", 0)),
                    title=meta.get("title", ""),
                    section=meta.get("section", ""),
                    text=doc or "",
                    content_hash=meta.get("content_hash", ""),
                    embedding=tuple(embeddings[i]) if embeddings is not None else (),
                )
            )
        return sorted(out, key=lambda c: c.number)
