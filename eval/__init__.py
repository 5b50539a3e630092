"""Evaluation: datasets, ranking metrics and reports."""
