"""Answering: the scope gate, grounded composition, prompts, and the checks every
sentence passes (support, statements, leaks) before a learner reads it."""
