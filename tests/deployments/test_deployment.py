"""The nightly deployment: registered with its schedule, and a manual trigger runs the flow."""

from __future__ import annotations

import asyncio
import threading

import yaml

from conftest import REPO


def test_prefect_yaml_declares_the_nightly_schedule():
    config = yaml.safe_load((REPO / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = config["deployments"]
    assert deployment["entrypoint"] == "flows/pipeline.py:incident_pipeline"
    assert deployment["schedules"][0]["cron"] == "0 2 * * *"
    assert deployment["schedules"][0]["timezone"] == "Asia/Baghdad"
    assert deployment["concurrency_limit"] == 1


def test_manual_trigger_runs_the_served_deployment(seeds_dir, inbox, db_path, sql):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    from conftest import copy_tree
    from deployments.serve import nightly_deployment

    copy_tree(seeds_dir / "with-metadata", inbox)
    deployment = nightly_deployment(str(inbox), str(db_path), cron="0 2 * * *", timezone="Asia/Baghdad")
    runner = Runner(pause_on_shutdown=False, limit=1, query_seconds=1)
    deployment_id = runner.add_deployment(deployment)

    async def schedule_of() -> tuple[str, str]:
        async with get_client() as client:
            stored = await client.read_deployment(deployment_id)
            return stored.schedules[0].schedule.cron, stored.schedules[0].schedule.timezone

    assert asyncio.run(schedule_of()) == ("0 2 * * *", "Asia/Baghdad")

    serving = threading.Thread(target=lambda: asyncio.run(runner.start(run_once=False)), daemon=True)
    serving.start()
    try:
        flow_run = run_deployment(f"incident-pipeline/{deployment.name}", timeout=180)
        assert flow_run.state.is_completed(), flow_run.state
    finally:
        runner.stop()
    assert sql(db_path, "SELECT count(*) FROM articles") == [(5,)]
    assert sql(db_path, "SELECT count(*) FROM incidents WHERE NOT is_background") == [(4,)]
