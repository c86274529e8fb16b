"""Running the flow from Python or the CLI, on the task runner the user asked for."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from incidents.settings import Settings, SettingsError


# A run with fewer new files than this keeps to threads: starting worker processes and loading the
# lexicons in each costs more than a second core gains (docs/benchmarks.md, item 7).
PROCESSES_FROM_FILES = 5000


def _count_files(folder: Path, stop_after: int) -> int:
    count, pending = 0, [str(folder)]
    while pending and count <= stop_after:
        try:
            with os.scandir(pending.pop()) as listing:
                for entry in listing:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    else:
                        count += 1
        except OSError:
            continue
    return count


def resolved_task_runner(settings: Settings) -> str:
    """``auto``: processes when the inbox holds many more files than the database has recorded
    (a first run over a large inbox), threads otherwise."""
    if settings.task_runner != "auto":
        return settings.task_runner
    from incidents.store import recorded_file_count

    recorded = recorded_file_count(settings.db)
    unrecorded = _count_files(settings.inbox, stop_after=recorded + PROCESSES_FROM_FILES) - recorded
    return "processes" if unrecorded >= PROCESSES_FROM_FILES else "threads"


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


@contextlib.contextmanager
def shared_api(needed: bool) -> Iterator[None]:
    """Worker processes report their tasks to the flow's Prefect API.

    Without an API address each worker process would start a temporary server of its own (seconds
    and ~200 MB each); so, for processes and a local Dask cluster, the flow's temporary server is
    started first and its address handed to the workers.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if not needed or PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()   # the same one the flow's client would start
    server.start()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


def run_pipeline(inbox: str, db: str, task_runner: str = "threads", dask_address: str | None = None,
                 workers: int | None = None, progress: bool = False, **overrides) -> dict:
    """Validates the settings, then runs the flow once and returns its counts."""
    from flows.pipeline import incident_pipeline

    settings = Settings.build(inbox=inbox, db=db, task_runner=task_runner, dask_address=dask_address,
                              workers=workers, **overrides)
    kind = resolved_task_runner(settings)
    runner = make_task_runner(kind, settings.workers, settings.dask_address)
    parameters = {key: value for key, value in overrides.items() if value is not None}
    flow = incident_pipeline.with_options(task_runner=runner)
    with contextlib.ExitStack() as stack:
        local_workers = kind == "processes" or (kind == "dask" and not settings.dask_address)
        stack.enter_context(shared_api(local_workers))
        if progress:
            from incidents.progress import terminal_progress

            stack.enter_context(terminal_progress(f"{settings.inbox} → {settings.db}"))
        return flow(inbox=str(settings.inbox), db=str(settings.db), **parameters)
