"""A run killed with SIGKILL at any point leaves the database exactly as it was, and the next run
does the whole job as if nothing had happened.

The runs are real `incidents run` processes over about 280 new articles. Where each one is killed
is set by what it has done (the staged copy beside the database appears when the run has taken
the lock and starts copying; it disappears with the swap), measured on an uninterrupted run of
the same work, so no test depends on how fast this machine is.
"""

from __future__ import annotations

import hashlib
import time

import duckdb
import pytest
from reliability_support import (
    add_devset_copies, copy_database, run_cli, staging_file, start_cli, table_state, wait_until,
)

NEW_COPIES = range(1, 4)
# (what the run is doing, seconds after start) or (..., share of the staged-copy window).
KILL_POINTS = [
    ("starting Python and Prefect", "after start", 0.5),
    ("copying the database", "of the window", 0.0),
    ("extracting", "of the window", 0.5),
    ("loading and reconciling", "of the window", 0.9),
    ("checkpointing before the swap", "of the window", 0.98),
]


def runs_that_read(db) -> list[tuple]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(
            "SELECT files_seen, files_new, files_changed, files_rejected, articles_added, duplicates_found, "
            "mentions_extracted, incidents_total FROM pipeline_runs WHERE files_new + files_changed > 0 "
            "ORDER BY run_id").fetchall()
    finally:
        conn.close()


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_and_time_staged_window(inbox, db) -> float:
    """Runs to the end, returning how long the staged copy existed (the run's write window)."""
    process = start_cli("run", "--inbox", str(inbox), "--db", str(db))
    assert wait_until(lambda: staging_file(db).exists() or process.poll() is not None)
    appeared = time.monotonic()
    assert wait_until(lambda: not staging_file(db).exists())
    window = time.monotonic() - appeared
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return window


def staged_since(db, moment: float) -> bool:
    """The staged copy exists and was made after ``moment``: not the leftover of a killed run."""
    try:
        return staging_file(db).stat().st_mtime >= moment
    except FileNotFoundError:
        return False


def kill_at(inbox, db, anchor: str, amount: float, window: float) -> None:
    started = time.time()
    process = start_cli("run", "--inbox", str(inbox), "--db", str(db))
    try:
        if anchor == "after start":
            time.sleep(amount)
        else:
            assert wait_until(lambda: staged_since(db, started) or process.poll() is not None)
            time.sleep(amount * window)
        assert process.poll() is None, "the run finished before it could be killed"
    finally:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_sigkill_at_any_point_keeps_the_database_and_the_next_run_completes(tmp_path):
    inbox = add_devset_copies(tmp_path / "inbox", range(0, 1))
    db = tmp_path / "data" / "incidents.duckdb"
    first = run_cli("run", "--inbox", str(inbox), "--db", str(db))
    assert first.returncode == 0, first.stderr
    before_state, before_digest = table_state(db), sha256(db)
    add_devset_copies(inbox, NEW_COPIES)

    reference = copy_database(db, tmp_path / "reference" / "incidents.duckdb")
    window = run_and_time_staged_window(inbox, reference)
    uninterrupted = table_state(reference)
    assert uninterrupted != before_state

    for doing, anchor, amount in KILL_POINTS:
        kill_at(inbox, db, anchor, amount, window)
        state = table_state(db)
        # Killed after the atomic rename, a run has done all its work: also whole, never half.
        assert state in (before_state, uninterrupted), f"killed while {doing}: the database is half-written"
        if state == before_state:
            assert sha256(db) == before_digest, f"killed while {doing}: the file changed"
        else:
            before_state, before_digest = state, sha256(db)

    # The last killed run held the lock; the kernel dropped it, so this run does not wait.
    recovery = run_cli("run", "--inbox", str(inbox), "--db", str(db))
    assert recovery.returncode == 0, recovery.stderr
    assert not staging_file(db).exists()
    assert not staging_file(db).with_name(staging_file(db).name + ".wal").exists()
    # A run killed after its swap had done all the work: the next one finds nothing to do, and
    # adds only its own pipeline_runs row.
    assert runs_that_read(db) == runs_that_read(reference)
    recovered = table_state(db)
    recovered.pop("pipeline_runs")
    uninterrupted.pop("pipeline_runs")
    assert recovered == uninterrupted
