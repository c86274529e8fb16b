"""Prefect flows: thin composition of the stages in ``tasks``."""
