"""Running the flow from Python or the CLI: the Prefect API it reports to, the task runner it uses."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from incidents.settings import Settings, SettingsError

# A run with fewer new files than this keeps to threads: starting worker processes and loading the
# lexicons in each costs more than a second core gains (docs/benchmarks.md, item 7).
PROCESSES_FROM_FILES = 5000
TEMPORARY_SERVER_STARTUP_SECONDS = 120


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
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

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
            raise SettingsError([("task_runner", "'dask' needs prefect-dask (pip install '.[dask]')")]) from None
        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    raise SettingsError([("task_runner", f"'{kind}' is not one of threads, processes, dask, sequential")])


@contextlib.contextmanager
def prefect_api() -> Iterator[None]:
    """The Prefect API the run reports to: the configured one, or else a temporary server.

    The temporary server is started here rather than by the flow's first client, so that its
    address can be handed to worker processes (each would otherwise start a server of its own,
    seconds and ~200 MB each). It stops when the run ends; when the run is killed, the CLI's
    process group goes with it (``incidents.cli``).
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()   # the same one the flow's client would start
    # Prefect's default of 20 s is too short on a busy two-core machine (measured: 25 s).
    server.start(timeout=max(TEMPORARY_SERVER_STARTUP_SECONDS, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield
    finally:
        server.stop()


def run_pipeline(inbox: str, db: str, task_runner: str = "threads", dask_address: str | None = None,
                 workers: int | None = None, **overrides) -> dict:
    """Validates the settings, then runs the flow once and returns its counts.

    Raises ``SettingsError`` for bad settings, ``store.DatabaseBusy`` when another run held the
    database past ``lock_timeout_seconds``, and the run's own exception when it failed.
    """
    from flows.pipeline import incident_pipeline
    from incidents.store import DatabaseBusy

    settings = Settings.build(inbox=inbox, db=db, task_runner=task_runner, dask_address=dask_address,
                              workers=workers, **overrides)
    parameters = {key: value for key, value in overrides.items() if value is not None}
    with prefect_api():
        state = incident_pipeline(inbox=str(settings.inbox), db=str(settings.db), task_runner=settings.task_runner,
                                  workers=settings.workers, dask_address=settings.dask_address, **parameters,
                                  return_state=True)
    if state.is_cancelled() and state.name == "Skipped":
        raise DatabaseBusy(state.message)
    return state.result()
