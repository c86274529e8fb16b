"""The nightly deployment, served from this process: schedule and manual triggers.

`incidents serve` runs this. It needs a Prefect API that outlives the process (a running
`prefect server start`, or Prefect Cloud) for the schedule to fire; manual runs are
`prefect deployment run 'incident-pipeline/nightly'`.
"""

from __future__ import annotations

DEPLOYMENT_NAME = "nightly"
NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Baghdad"
# A night that finds the database held (an analyst's `incidents run`) waits this long for it
# before it ends as Skipped; two nightly runs never meet (the deployment's concurrency limit).
NIGHTLY_WAIT_SECONDS = 1800.0


def nightly_deployment(inbox: str, db: str, name: str = DEPLOYMENT_NAME, cron: str = NIGHTLY_CRON, timezone: str = NIGHTLY_TIMEZONE,
                       task_runner: str = "auto", workers: int = 2, dask_address: str | None = None,
                       wait_seconds: float = NIGHTLY_WAIT_SECONDS):
    from prefect.schedules import Cron

    from flows.pipeline import incident_pipeline

    parameters = {"inbox": inbox, "db": db, "task_runner": task_runner, "workers": workers,
                  "lock_timeout_seconds": wait_seconds}
    if dask_address:
        parameters["dask_address"] = dask_address
    return incident_pipeline.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters=parameters,
        # Prefect's own guard, besides the database lock: one nightly run at a time.
        concurrency_limit=1,
        description="Nightly run of the Arabic incident pipeline over the inbox.",
        tags=["incidents", "nightly"],
    )


def serve_nightly(inbox: str, db: str, **options) -> None:
    from prefect import serve

    serve(nightly_deployment(inbox, db, **options), pause_on_shutdown=False)
