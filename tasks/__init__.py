"""The pipeline's stages: plain functions, run by the flow through thin Prefect tasks (read, sign
and extract together, one task a batch of files: ``tasks.prepare``)."""

from prefect.cache_policies import NO_CACHE

# Stages take whole batches of articles: hashing them for a cache key would copy every batch,
# and a stage's result is only ever used by the run that made it.
STAGE_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}
