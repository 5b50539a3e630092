"""Ingestion: read the guide, repair mojibake, split into one chunk per question, upsert into Chroma."""
