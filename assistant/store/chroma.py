"""The Chroma collection that holds one chunk per question, read and written through
llama-index's ChromaVectorStore (assistant/store/vector_store.py).

Embedded Chroma on disk by default; a Chroma server when `STUDY_CHROMA_URL` is set; the
same ChromaVectorStore over either. Chunks go in as llama-index TextNodes and come back
with their embeddings; retrieval scores them itself (assistant/retrieval/hybrid.py). The
collection's metadata records which embedding model wrote it, so an index built with
another model is refused with a fix instead of returning nonsense neighbours. A server
that is down or refuses us is named as such (assistant/store/server_errors.py).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager, suppress
from urllib.parse import urlparse

from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from assistant.core.types import Chunk
from assistant.store.server_errors import server_error


def _chroma():
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
    except ImportError as exc:
        from assistant.core.errors import missing_package

        raise missing_package("chromadb") from exc
    return chromadb, ChromaSettings


def open_client(settings: Settings):
    """A Chroma client for the configured mode, with telemetry off.

    A server's credentials come from chromadb's own settings (CHROMA_CLIENT_AUTH_PROVIDER,
    CHROMA_CLIENT_AUTH_CREDENTIALS), read from the environment by ChromaSettings.
    """
    chromadb, ChromaSettings = _chroma()
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StudyError(
                f"STUDY_CHROMA_URL={settings.chroma_url!r} is not an http(s) URL",
                "set it like http://127.0.0.1:8000 or unset it for the embedded index",
            )
        # Creating the client already asks the server who we are and checks the tenant
        # and database, so a server that is down or refuses us fails here.
        with named_server_failures(settings):
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


@contextmanager
def named_server_failures(settings: Settings):
    """Turn a failure to reach, or be let in by, the Chroma server into its own one-line
    StudyError; any other failure passes through exactly as raised."""
    try:
        yield
    except StudyError:
        raise
    except Exception as exc:  # chromadb raises bare Exception for unknown HTTP answers
        named = server_error(exc, settings.chroma_url, _credentials_set()) if settings.chroma_url else None
        if named is None:
            raise
        raise named from exc


def _credentials_set() -> bool:
    _, ChromaSettings = _chroma()
    return bool(ChromaSettings().chroma_client_auth_credentials)


def _through_server(method):
    """Store methods talk to the server: name its failures (see named_server_failures)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with named_server_failures(self.settings):
            return method(self, *args, **kwargs)

    return wrapper


def where(settings: Settings) -> str:
    return settings.chroma_url or str(settings.index_dir)


class GuideStore:
    """Read and write the guide's chunks in one Chroma collection."""

    def __init__(self, settings: Settings, client=None):
        self.settings = settings
        self.client = client or open_client(settings)
        self._collection = None
        self._vector_store = None

    # -- collection --------------------------------------------------------
    @_through_server
    def exists(self) -> bool:
        """Whether the collection is there. Only "not found" means no: a server that is
        down or refuses us is its own error, not "run `study ingest` first"."""
        from chromadb.errors import NotFoundError

        try:
            self.client.get_collection(self.settings.collection)
        except NotFoundError:
            return False
        return True

    @_through_server
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

    def vector_store(self, create: bool = False):
        """The collection as a llama-index vector store (GuideVectorStore)."""
        if self._vector_store is None:
            from assistant.store.vector_store import GuideVectorStore

            self._vector_store = GuideVectorStore(chroma_collection=self.collection(create=create))
        return self._vector_store

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

    @_through_server
    def record_embed_model(self, name: str, dim: int) -> None:
        coll = self.collection(create=True)
        meta = {k: v for k, v in (coll.metadata or {}).items() if not k.startswith("hnsw:")}
        meta.update({"embed_model": name, "embed_dim": dim})
        coll.modify(metadata=meta)

    @_through_server
    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.settings.collection)
        self._collection = self._vector_store = None

    def rebuild(self, nodes, embed_model: str, dim: int) -> None:
        """Replace the whole collection with `nodes`, atomically for readers: they are
        written into a new collection first and swapped in by renaming, so until the swap
        the old index answers, and a failure while writing leaves it as it was."""
        name = self.settings.collection
        staging = GuideStore(self.settings.model_copy(update={"collection": f"{name}-rebuild"}), client=self.client)
        staging.drop()  # what an interrupted rebuild left
        try:
            staging.record_embed_model(embed_model, dim)
            staging.upsert(nodes)
        except BaseException:
            with suppress(Exception):  # the write's own error is the one to report
                staging.drop()
            raise
        self._swap_in(staging.collection(), f"{name}-replaced")

    @_through_server
    def _swap_in(self, new, old_name: str) -> None:
        name = self.settings.collection
        if self.exists():
            self.client.get_collection(name).modify(name=old_name)
        try:
            new.modify(name=name)
        except BaseException:
            self.client.get_collection(old_name).modify(name=name)  # put the old index back
            raise
        with suppress(Exception):  # the new index is in place; a leftover is dropped next time
            self.client.delete_collection(old_name)
        self._collection = self._vector_store = None

    # -- chunks ------------------------------------------------------------
    @_through_server
    def stored_hashes(self) -> dict[str, str]:
        if not self.exists():
            return {}
        # The flat metadata alone, straight from the collection: an unchanged re-ingest
        # then never imports llama-index (about a second) nor loads the model.
        got = self.collection().get(include=["metadatas"])
        return {i: (m or {}).get("content_hash", "") for i, m in zip(got["ids"], got["metadatas"])}

    @_through_server
    def count(self) -> int:
        return self.collection().count()

    @_through_server
    def upsert(self, nodes) -> None:
        """Insert or replace nodes (llama-index TextNodes with embeddings) by id."""
        if nodes:
            self.vector_store(create=True).upsert(nodes)

    @_through_server
    def delete(self, ids: list[str]) -> None:
        if ids:
            self.vector_store().delete_nodes(node_ids=ids)

    @_through_server
    def chunks(self, with_embeddings: bool = False) -> list[Chunk]:
        from assistant.store.vector_store import NotOurRows

        try:
            nodes = self.vector_store().nodes(with_embeddings)
        except NotOurRows as exc:
            raise StudyError(
                f"collection {self.settings.collection!r} in {where(self.settings)} holds row {exc} "
                "that `study ingest` did not write",
                "set STUDY_COLLECTION to another name, or rebuild it with `study ingest --rebuild`",
            ) from exc
        return sorted((chunk_of(n) for n in nodes), key=lambda c: c.number)


def chunk_of(node) -> Chunk:
    """The Chunk a stored llama-index node holds (its embedding, if it was read)."""
    meta = node.metadata or {}
    return Chunk(
        id=node.node_id,
        number=int(meta.get("number", 0)),
        title=meta.get("title", ""),
        section=meta.get("section", ""),
        text=node.get_content() or "",
        content_hash=meta.get("content_hash", ""),
        embedding=tuple(node.embedding or ()),
    )
