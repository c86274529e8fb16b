"""The pipeline's stages: plain functions, each with a thin Prefect task beside it."""
