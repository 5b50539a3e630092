"""Hits as llama-index nodes: what `HybridRetriever.retrieve` returns."""

from __future__ import annotations

from llama_index.core.schema import NodeWithScore, TextNode

from assistant.core.types import Hit


def node_of(hit: Hit) -> NodeWithScore:
    """A retrieved question as llama-index sees a hit: TextNode "Q38" and its score.

    >>> from assistant.core.types import Chunk
    >>> n = node_of(Hit(Chunk("Q38", 38, "Explain GQA.", "Transformer Architecture", "Q38. ..."), 0.9))
    >>> (n.node.node_id, n.node.metadata["number"], n.score)
    ('Q38', 38, 0.9)
    """
    c = hit.chunk
    node = TextNode(
        id_=c.id,
        text=c.text,
        metadata={"number": c.number, "title": c.title, "section": c.section},
        excluded_embed_metadata_keys=["number"],
    )
    return NodeWithScore(node=node, score=hit.score)
