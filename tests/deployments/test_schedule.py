"""The schedule fires: a real Prefect server's scheduler alone creates the nightly runs, and they
fill the database, for both ways of deploying the flow.

One `prefect server start` (its own PREFECT_HOME and port on 127.0.0.1) serves the module. On it
the deployment is served the way a user serves it (`incidents serve`) and deployed the way the
README says for a work pool (`prefect work-pool create`, `prefect deploy --prefect-file
deployments/prefect.yaml --all`, `prefect worker start`), each with an every-minute cron added
and nothing else: no run is started by hand. Both deployments wait for the same minute, so the
module takes about one scheduled minute plus the starts and the two runs (~2-3 minutes here).

Nothing in the runs' environment comes from the test session's Prefect settings: the processes
see only the real server's address, as a user's shell would. Every process is started in a
session of its own and its whole tree is stopped afterwards, the test failed or not.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import REPO, SAMPLE_INBOX, copy_tree, query

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
EVERY_MINUTE = "* * * * *"
SERVED_NAME = "served-nightly"
POOL = "incidents-process"
STAGE_TASKS = {"list-inbox", "prepare-files", "dedupe", "load", "record-listing", "reconcile", "write-incidents"}
# The scheduler's main loop (Prefect's default is 60 s); a new deployment is scheduled by its
# recent-deployments loop within 5 s anyway, so this only bounds a missed first pass.
SCHEDULER_LOOP_SECONDS = "10"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (through /proc), so that none outlives the test."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def stop_tree(process: subprocess.Popen, first: int = signal.SIGTERM) -> None:
    """Stops a process started in its own session: its group, and any descendant that left it."""
    tree = descendants(process.pid)
    for send in (lambda sig: os.killpg(process.pid, sig), *(lambda sig, p=p: os.kill(p, sig) for p in tree)):
        try:
            send(first)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    for send in (lambda sig: os.killpg(process.pid, sig), *(lambda sig, p=p: os.kill(p, sig) for p in tree)):
        try:
            send(signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=15)


@dataclass
class Server:
    api_url: str
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen]

    def start(self, name: str, *command: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the module
        process = subprocess.Popen(command, cwd=cwd, env={**self.env, **(env or {})}, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)
        return process

    def call(self, *command: str, env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(command, cwd=REPO, env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
        return done

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # A user's shell: none of the test session's Prefect settings, its own Prefect home.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(folder / "home"), "PREFECT_API_URL": api_url, "PREFECT_UI_ENABLED": "false",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": SCHEDULER_LOOP_SECONDS,
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
    running = Server(api_url, env, folder, [])
    try:
        process = running.start("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                "--port", str(port))
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, running.log("server")
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not answer within 180 s"
            time.sleep(0.5)
        yield running
    finally:
        for started in reversed(running.processes):
            stop_tree(started)


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    """`incidents serve` with an every-minute cron, as a user starts it."""
    folder = tmp_path_factory.mktemp("served")
    inbox, db = copy_tree(SAMPLE_INBOX, folder / "inbox"), folder / "data" / "incidents.duckdb"
    server.start("serve", str(BIN / "incidents"), "serve", "--inbox", str(inbox), "--db", str(db),
                 "--name", SERVED_NAME, "--cron", EVERY_MINUTE, "--timezone", "UTC")
    return db


@pytest.fixture(scope="module")
def work_pool(server, tmp_path_factory):
    """The README's work-pool recipe, from a state with no pool, with an every-minute cron added."""
    folder = tmp_path_factory.mktemp("work-pool")
    inbox, db = copy_tree(SAMPLE_INBOX, folder / "inbox"), folder / "data" / "incidents.duckdb"
    recipe = {"INCIDENTS_HOME": str(REPO), "INCIDENTS_INBOX": str(inbox), "INCIDENTS_DB": str(db)}
    server.call("prefect", "work-pool", "create", POOL, "--type", "process")
    server.call("prefect", "deploy", "--prefect-file", "deployments/prefect.yaml", "--all", "--cron", EVERY_MINUTE,
                env=recipe)
    server.start("worker", str(BIN / "prefect"), "worker", "start", "--pool", POOL)
    return db


async def _scheduled_run(api_url: str, deployment: str, timeout: float = 420):
    """The first run of ``deployment`` to complete, with its task runs and its logs."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, LogFilter
    from prefect.client.schemas.filters import FlowRunFilterId, LogFilterFlowRunId

    async with PrefectClient(api=api_url) as client:
        stored = await client.read_deployment_by_name(deployment)
        deadline = time.monotonic() + timeout
        while True:
            runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[stored.id])))
            finished = [run for run in runs if run.state and run.state.is_final()]
            if finished:
                break
            assert time.monotonic() < deadline, f"no run of {deployment} finished: {[r.state_name for r in runs]}"
            await asyncio.sleep(2)
        run = finished[0]
        # The run's process sends its last logs and events as it exits, after its final state.
        deadline = time.monotonic() + 60
        while True:
            logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
            if any(entry.message.startswith("run 1 done:") for entry in logs) or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
        return stored, runs, run, tasks, logs


def check_scheduled_run(api_url: str, deployment: str, db: Path) -> None:
    stored, runs, run, tasks, logs = asyncio.run(_scheduled_run(api_url, deployment))
    assert all(r.auto_scheduled for r in runs), "a run was created by something other than the scheduler"
    assert run.state.is_completed(), f"{run.state_name}: {run.state.message}"
    # The run filled the database, and the database knows which flow run did it.
    recorded = query(db, "SELECT flow_run_id, articles_added, incidents_total FROM pipeline_runs")
    assert [r[0] for r in recorded] == [str(run.id)]
    articles = query(db, "SELECT count(*) FROM articles")[0][0]
    incidents = query(db, "SELECT count(*) FROM incidents")[0][0]
    assert articles == recorded[0][1] > 0 and incidents == recorded[0][2] > 0
    # What a Prefect user looks at: the stages in the run graph, the run's logs in the UI, the
    # parameters described.
    assert {t.name.rsplit("-", 1)[0] for t in tasks} >= STAGE_TASKS
    messages = [entry.message for entry in logs]
    assert any(m.startswith("run 1 done:") for m in messages), messages
    properties = stored.parameter_openapi_schema["properties"]
    assert properties["task_runner"]["enum"] == ["auto", "threads", "processes", "dask", "sequential"]
    assert all(properties[name].get("description") for name in ("inbox", "db", "task_runner", "dask_address"))


def test_the_scheduler_runs_the_served_deployment(server, served, work_pool):
    check_scheduled_run(server.api_url, f"incident-pipeline/{SERVED_NAME}", served)


def test_the_scheduler_runs_the_work_pool_deployment(server, served, work_pool):
    check_scheduled_run(server.api_url, "incident-pipeline/nightly", work_pool)
