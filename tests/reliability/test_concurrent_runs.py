"""Two runs on one database: the second is refused at once (exit 3), or waits with --wait and
then finds nothing left to read. Nothing is read twice and the two never interleave.

The first run is paused (SIGSTOP) inside its write window while the second one tries: it holds
the lock for as long as the test needs, however fast the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from reliability_support import (
    add_devset_copies, holds_open, paused, run_cli, run_process_id, staging_file, start_cli, table_state, wait_until,
)

from incidents.store import RunLock

BUSY_MESSAGE = re.compile(
    r"^incidents: another run is writing incidents\.duckdb \(pid (\d+) since [\d-]+ [\d:]+\); "
    r"try again when it has finished$"
)


def start_writing_run(inbox, db):
    """A run that holds the database lock once this returns (its staged copy exists)."""
    process = start_cli("run", "--inbox", str(inbox), "--db", str(db))
    assert wait_until(lambda: staging_file(db).exists() or process.poll() is not None)
    assert process.poll() is None, process.communicate()[1]
    return process


def finish(process) -> dict:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return json.loads(stdout)


def stored_runs(sql, db) -> list[tuple]:
    return sql(db, "SELECT run_id, started_at, files_new, articles_added FROM pipeline_runs ORDER BY run_id")


@pytest.mark.slow
def test_two_runs_at_once_never_interleave(tmp_path, sql):
    inbox = add_devset_copies(tmp_path / "inbox", range(0, 3))

    # Without --wait the second run is refused at once and touches nothing.
    refused_db = tmp_path / "refused" / "incidents.duckdb"
    first = start_writing_run(inbox, refused_db)
    with paused(first):
        second = run_cli("run", "--inbox", str(inbox), "--db", str(refused_db))
    assert second.returncode == 3
    found = BUSY_MESSAGE.match(second.stderr.strip().splitlines()[-1])
    assert found and int(found.group(1)) == run_process_id(first)
    assert second.stdout == ""
    alone = finish(first)
    assert [row[2:] for row in stored_runs(sql, refused_db)] == [(alone["files_new"], alone["articles_added"])]

    # With --wait the second run waits for the first, then finds nothing left to read.
    db = tmp_path / "waited" / "incidents.duckdb"
    first = start_writing_run(inbox, db)
    with paused(first):
        second = start_cli("run", "--inbox", str(inbox), "--db", str(db), "--wait", "60")
        assert wait_until(lambda: holds_open(second, db.with_name(db.name + ".lock")) or second.poll() is not None)
        assert second.poll() is None, second.communicate()[1]
        waiting_since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    first_result, second_result = finish(first), finish(second)

    assert first_result["files_new"] == alone["files_new"] > 0
    nothing_new = ("files_new", "files_changed", "articles_added", "articles_updated", "mentions_extracted")
    assert {key: second_result[key] for key in nothing_new} == dict.fromkeys(nothing_new, 0)
    # Its copy of the database was taken after the first run's swap: it knew every file.
    assert second_result["files_unchanged"] == first_result["files_new"]
    runs = stored_runs(sql, db)
    assert [row[0] for row in runs] == [first_result["run_id"], second_result["run_id"]] == [1, 2]
    assert runs[1][1] < waiting_since
    waited, single = table_state(db), table_state(refused_db)
    waited.pop("pipeline_runs"), single.pop("pipeline_runs")
    assert waited == single


def test_refused_run_prints_only_one_line(inbox, db_path):
    (inbox / "report.txt").write_text("سقط صاروخ على قاعدة بلد الجوية فجر اليوم.", encoding="utf-8")
    with RunLock(db_path):
        refused = run_cli("run", "--inbox", str(inbox), "--db", str(db_path))
    assert refused.returncode == 3
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert not db_path.exists()
