"""What the layers above the store read about the guide: its chunks, the embedding model
that embedded them, the vocabulary mined from them, and the sections. Built once per
process; retrieval, scope, composition, practice and the UI depend on this, not on the
retriever's internals.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.core.types import Chunk
from assistant.retrieval.lexicon import Lexicon


class GuideIndex:
    """The guide as indexed. `chunks` keep the store's order (row i of every per-chunk
    array is `chunks[i]`)."""

    def __init__(self, chunks: list[Chunk], embed_model, known_words: Iterable[str] = ()):
        if not chunks:
            raise ValueError("no chunks to index")
        self.chunks = chunks
        self.embed_model = embed_model
        self.lexicon = Lexicon([c.text for c in chunks], known_words)
        self.sections = sorted({c.section for c in chunks})
        #: question number -> its row in `chunks`
        self.by_number = {c.number: i for i, c in enumerate(chunks)}

    def chunk(self, number: int) -> Chunk | None:
        """The chunk of guide question `number`, or None when the guide has no such question."""
        row = self.by_number.get(number)
        return None if row is None else self.chunks[row]

    def in_order(self) -> list[Chunk]:
        """The chunks by question number (the guide's own order)."""
        return sorted(self.chunks, key=lambda c: c.number)
