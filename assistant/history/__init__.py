"""Saved conversations per learner: the SQLite store, and what is made from it (restored
turns, Markdown notes, evaluation records)."""
