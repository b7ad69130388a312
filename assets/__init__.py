"""Dagster wiring only: every piece of logic lives in the plain-Python folders it calls."""
