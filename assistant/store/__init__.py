"""Storage: the Chroma collection (embedded or server) through llama-index's
ChromaVectorStore, the embedding model, and the on-disk cache of embedded text banks."""
