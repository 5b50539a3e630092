"""The study assistant, in layers that only import downward:
core (types, settings, errors) <- store, llm <- retrieval <- answering, practice <- runtime <- cli.
"""
