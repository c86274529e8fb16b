"""What a Prefect user sees of a run: its logs in the API, its parameters described, the stages
as tasks, the task runner a deployment asks for, and a clear state when the database is busy."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time

from conftest import SAMPLE_INBOX, copy_tree

STAGE_TASKS = {"list-inbox", "prepare-files", "dedupe", "load", "record-listing", "reconcile", "write-incidents"}


def flow_run_logs(flow_run_id: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async def read() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
            return [entry.message for entry in logs]

    return asyncio.run(read())


def task_run_names(flow_run_id: str) -> set[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0] for run in runs}


def test_a_command_line_run_logs_to_the_api_not_to_the_console(inbox, db_path, sql):
    from prefect.settings import PREFECT_API_URL

    copy_tree(SAMPLE_INBOX, inbox)
    # A user's environment: no logging settings of the test session's.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_LOGGING")}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    done = subprocess.run([sys.executable, "-m", "incidents.cli", "run", "--inbox", str(inbox), "--db", str(db_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    (flow_run_id,) = sql(db_path, "SELECT flow_run_id FROM pipeline_runs")[0]
    messages = flow_run_logs(flow_run_id)
    assert any(m.startswith("run 1 done:") for m in messages), messages
    assert any(" files read and extracted (" in m for m in messages), messages
    assert task_run_names(flow_run_id) >= STAGE_TASKS


def test_parameters_are_typed_described_and_the_runner_is_a_choice():
    from prefect.utilities.callables import parameter_schema

    from flows.pipeline import incident_pipeline

    schema = parameter_schema(incident_pipeline).model_dump()
    properties = schema["properties"]
    assert schema["required"] == ["inbox"]
    assert properties["task_runner"]["enum"] == ["auto", "threads", "processes", "dask", "sequential"]
    assert properties["task_runner"]["default"] == "auto"
    assert properties["workers"]["type"] == "integer"
    undescribed = [name for name, spec in properties.items() if not spec.get("description")]
    assert undescribed == []


def test_a_served_deployment_runs_on_the_task_runner_it_names(inbox, db_path, sql):
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    from deployments.serve import nightly_deployment

    copy_tree(SAMPLE_INBOX, inbox)
    deployment = nightly_deployment(str(inbox), str(db_path), name="processes", task_runner="processes")
    runner = Runner(pause_on_shutdown=False, limit=1, query_seconds=1)
    runner.add_deployment(deployment)
    serving = threading.Thread(target=lambda: asyncio.run(runner.start(run_once=False)), daemon=True)
    serving.start()
    try:
        flow_run = run_deployment("incident-pipeline/processes", timeout=300)
    finally:
        runner.stop()
    assert flow_run.state.is_completed(), flow_run.state
    ((flow_run_id, settings),) = sql(db_path, "SELECT flow_run_id, settings FROM pipeline_runs")
    assert flow_run_id == str(flow_run.id)
    assert json.loads(settings)["task_runner_used"] == "ProcessPoolTaskRunner"
    assert task_run_names(flow_run_id) >= STAGE_TASKS


def test_a_run_that_finds_the_database_busy_is_skipped_with_the_reason(inbox, db_path):
    from flows.pipeline import incident_pipeline
    from incidents.store import RunLock

    copy_tree(SAMPLE_INBOX, inbox)
    with RunLock(db_path):
        state = incident_pipeline(inbox=str(inbox), db=str(db_path), lock_timeout_seconds=1, return_state=True)
    assert state.is_cancelled() and state.name == "Skipped"
    assert state.message.startswith(f"another run is writing incidents.duckdb (pid {os.getpid()} since ")
    assert not db_path.exists()


def test_a_run_waits_for_the_database_as_long_as_it_is_told(inbox, db_path, sql):
    from flows.pipeline import incident_pipeline
    from incidents.store import RunLock

    copy_tree(SAMPLE_INBOX, inbox)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with RunLock(db_path):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    threading.Timer(3, release.set).start()
    began = time.monotonic()
    state = incident_pipeline(inbox=str(inbox), db=str(db_path), lock_timeout_seconds=60, return_state=True)
    holder.join()
    assert state.is_completed(), state
    assert time.monotonic() - began >= 3
    assert sql(db_path, "SELECT count(*) FROM pipeline_runs") == [(1,)]
