"""llama-index's ChromaVectorStore, with the two things this index needs that it lacks.

- `upsert`: ChromaVectorStore.add calls Chroma's `add`, which silently keeps the old row
  when an id exists; an edited answer must replace its chunk, so this writes the same
  rows (llama-index's own node-to-metadata format) with Chroma's `upsert`.
- `nodes`: every node with its embedding in one read. `get_nodes` and `query` drop the
  embeddings, and retrieval scores all 100 stored vectors exactly in memory.

Imported only where the store is opened: importing llama-index costs about a second.
"""

from __future__ import annotations

import numpy as np
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore


class NotOurRows(ValueError):
    """A row without llama-index's node content: the collection was written by something else."""


class GuideVectorStore(ChromaVectorStore):
    """A ChromaVectorStore over one collection (embedded or on a `chroma run` server)."""

    def upsert(self, nodes: list[BaseNode]) -> list[str]:
        """Insert or replace nodes (with embeddings) by id, in ChromaVectorStore.add's format."""
        if not nodes:
            return []
        metadatas = []
        for node in nodes:
            meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=self.flat_metadata)
            metadatas.append({k: "" if v is None else v for k, v in meta.items()})  # as add does
        ids = [n.node_id for n in nodes]
        self._collection.upsert(
            ids=ids,
            embeddings=[n.get_embedding() for n in nodes],
            metadatas=metadatas,
            documents=[n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes],
        )
        return ids

    def nodes(self, with_embeddings: bool = False) -> list[BaseNode]:
        """Every stored node, read back as ChromaVectorStore's query path reads it."""
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        got = self._collection.get(include=include)
        vectors = got.get("embeddings") if with_embeddings else None
        out = []
        for i, (doc, meta) in enumerate(zip(got["documents"], got["metadatas"])):
            if not meta or "_node_content" not in meta:
                raise NotOurRows(got["ids"][i])
            node = metadata_dict_to_node(meta, text=doc or "")
            if vectors is not None:
                node.embedding = np.asarray(vectors[i]).tolist()
            out.append(node)
        return out
