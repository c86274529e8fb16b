"""Running the flow from Python or the CLI, on the task runner the user asked for."""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from incidents.settings import Settings, SettingsError


def make_task_runner(kind: str = "threads", workers: int = 2, dask_address: str | None = None):
    """The Prefect task runner for the parallel stages (read, sign, extract).

    ``dask`` uses ``dask_address`` (an existing cluster) when given, else a local cluster of
    ``workers`` processes; the database itself always stays in the flow's process.
    """
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "sequential":
        return ThreadPoolTaskRunner(max_workers=1)
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            raise SettingsError("task_runner: 'dask' needs prefect-dask (pip install '.[dask]')") from None
        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    raise SettingsError(f"task_runner: '{kind}' is not one of threads, processes, dask, sequential")


def run_pipeline(inbox: str, db: str, task_runner: str = "threads", dask_address: str | None = None,
                 workers: int | None = None, progress: bool = False, **overrides) -> dict:
    """Validates the settings, then runs the flow once and returns its counts."""
    from flows.pipeline import incident_pipeline

    settings = Settings.build(inbox=inbox, db=db, task_runner=task_runner, dask_address=dask_address,
                              workers=workers, **overrides)
    runner = make_task_runner(settings.task_runner, settings.workers, settings.dask_address)
    parameters = {key: value for key, value in overrides.items() if value is not None}
    flow = incident_pipeline.with_options(task_runner=runner)
    if progress:
        from incidents.progress import terminal_progress

        with terminal_progress(f"{settings.inbox} → {settings.db}"):
            return flow(inbox=str(settings.inbox), db=str(settings.db), **parameters)
    return flow(inbox=str(settings.inbox), db=str(settings.db), **parameters)
