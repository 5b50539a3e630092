"""The study assistant: settings, retrieval over the indexed guide, and the `study` CLI."""
