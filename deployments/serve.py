"""The nightly deployment, served from this process: schedule and manual triggers.

`incidents serve` runs this. It needs a Prefect API that outlives the process (a running
`prefect server start`, or Prefect Cloud) for the schedule to fire; manual runs are
`prefect deployment run 'incident-pipeline/nightly'`.
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

DEPLOYMENT_NAME = "nightly"


def nightly_deployment(inbox: str, db: str, cron: str = "0 2 * * *", timezone: str = "Asia/Baghdad",
                       task_runner: str = "threads", workers: int = 2, dask_address: str | None = None):
    from flows.pipeline import incident_pipeline
    from incidents.runner import make_task_runner

    flow = incident_pipeline.with_options(task_runner=make_task_runner(task_runner, workers, dask_address))
    return flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"inbox": inbox, "db": db},
        # Prefect's own guard, besides the database lock: one nightly run at a time.
        concurrency_limit=1,
        description="Nightly run of the Arabic incident pipeline over the inbox.",
        tags=["incidents", "nightly"],
    )


def serve_nightly(inbox: str, db: str, cron: str = "0 2 * * *", timezone: str = "Asia/Baghdad") -> None:
    serve(nightly_deployment(inbox, db, cron, timezone), pause_on_shutdown=False)
