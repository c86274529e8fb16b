"""The pipeline's stages: plain functions, each with a thin Prefect task beside it."""

from prefect.cache_policies import NO_CACHE

# Stages take whole batches of articles: hashing them for a cache key would copy every batch,
# and a stage's result is only ever used by the run that made it.
STAGE_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}
