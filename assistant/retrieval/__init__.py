"""Retrieval: query repair (lexicon, glossary, concepts), BM25, learner phrasings and
their classifier, hybrid fusion, follow-up detection. Knows nothing of answering."""
