"""Every task runner gives the tables of the default one: threads, sequential, processes, Dask.

The parallel stages (read, sign and extract, one task a batch) run in other processes under
'processes' and 'dask'; their results must not depend on where they ran. Dask runs on a
two-process ``LocalCluster`` that the test creates, reached through ``dask_address`` as a user's
cluster would be.

Worker processes need no PREFECT_API_URL in their environment: Prefect serializes the settings
context (the test server's address included) with each task it sends them, and the test checks
that their task runs did reach the test server.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

# What a run writes from the clock or the run's own bookkeeping, not from the articles.
CLOCK_COLUMNS = ("ingested_at", "updated_at", "seen_at", "first_seen_at", "last_read_at", "retired_at")
RUN_TABLES = ("pipeline_runs", "schema_version")


def tables(sql, db: Path) -> dict[str, list[str]]:
    """Every table's rows (as sorted reprs), clock columns left out."""
    names = [row[0] for row in sql(db, "SELECT table_name FROM information_schema.tables "
                                       "WHERE table_type = 'BASE TABLE' ORDER BY 1")]
    out = {}
    for table in names:
        if table in RUN_TABLES:
            continue
        columns = [row[0] for row in sql(db, "SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = ? ORDER BY ordinal_position", (table,))
                   if row[0] not in CLOCK_COLUMNS]
        out[table] = sorted(map(repr, sql(db, f"SELECT {', '.join(columns)} FROM {table}")))
    return out


@pytest.fixture(scope="module")
def seed_inbox(tmp_path_factory) -> Path:
    from conftest import SHARED_SEEDS, copy_tree

    if not SHARED_SEEDS.exists():
        pytest.skip(f"the seed articles are not here ({SHARED_SEEDS} is absent)")
    return copy_tree(SHARED_SEEDS / "with-metadata", tmp_path_factory.mktemp("seeds") / "inbox")


def reported_task_runs(flow_run_id: str) -> dict[str, str]:
    """Task name -> state of the flow run's task runs, as the Prefect server recorded them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    # A task run is named after its task with a counter: prepare-files-3.
    return {run.name.rsplit("-", 1)[0]: run.state_name for run in runs}


@pytest.fixture(scope="module")
def threads_tables(seed_inbox, tmp_path_factory):
    from conftest import query, run_flow

    db = tmp_path_factory.mktemp("threads") / "incidents.duckdb"
    pace = gc.get_threshold()
    result = run_flow(seed_inbox, db)
    assert result["articles_added"] == 5
    # The flow and its task threads collect at a batch pace of their own (incidents.heap), and
    # give the calling process its own back, with nothing left set aside.
    assert gc.get_threshold() == pace
    assert gc.get_freeze_count() == 0
    return tables(query, db)


@pytest.fixture(scope="module")
def dask_address():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("runner", ["sequential", pytest.param("processes", marks=pytest.mark.slow),
                                    pytest.param("dask", marks=pytest.mark.slow)])
def test_runner_gives_the_same_tables(runner, request, seed_inbox, tmp_path, threads_tables, run, sql):
    options = {"task_runner": runner}
    if runner == "dask":
        options["dask_address"] = request.getfixturevalue("dask_address")
    db = tmp_path / "incidents.duckdb"
    result = run(seed_inbox, db, **options)
    assert result["articles_added"] == 5
    assert result["files_rejected"] == 0
    assert tables(sql, db) == threads_tables
    (flow_run_id,) = sql(db, "SELECT flow_run_id FROM pipeline_runs")[0]
    states = reported_task_runs(flow_run_id)
    assert {"list-inbox", "prepare-files"} <= set(states), states
    assert set(states.values()) == {"Completed"}
