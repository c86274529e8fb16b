"""A run killed with SIGKILL at any point leaves the database exactly as it was, and the next run
does the whole job as if nothing had happened.

The runs are real `incidents run` processes over about 170 new articles. The points are set by
what the run has done, not by the clock alone: the staged copy beside the database appears when
the run has the lock and starts copying, and disappears with the rename that ends its write;
kills land at shares of that window, measured on an uninterrupted run of the same work. Each run
is stopped (SIGSTOP) just before the kill, so the test knows whether it died before or after the
rename, and expects the old state or the complete new one accordingly.
"""

from __future__ import annotations

import hashlib
import time

import duckdb
import pytest
from reliability_support import (
    add_devset_copies, copy_database, run_cli, run_process_id, staging_file, start_cli, stop_run, table_state, wait_until,
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


def kill_at(inbox, db, anchor: str, amount: float, window: float) -> str:
    """Kills a run at the given point; returns what it was doing then: starting, writing or swapped."""
    started = time.time()
    process = start_cli("run", "--inbox", str(inbox), "--db", str(db))
    try:
        if anchor == "after start":
            time.sleep(amount)
        else:
            assert wait_until(lambda: staged_since(db, started) or process.poll() is not None)
            run_process_id(process)   # found before the pause, so that finding it does not delay the stop
            time.sleep(amount * window)
        # Stopped first, so that what it was doing can be seen before it dies: the staged copy
        # exists from the start of the write to the rename that ends it.
        stop_run(process)
        if staged_since(db, started):
            return "writing"
        return "starting" if anchor == "after start" else "swapped"
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

    doing_when_killed = []
    for doing, anchor, amount in KILL_POINTS:
        doing_when_killed.append(kill_at(inbox, db, anchor, amount, window))
        state = table_state(db)
        if doing_when_killed[-1] == "swapped":
            # Killed after the atomic rename, the run had done all its work. Once one run has
            # swapped, a later one finds nothing new and only records itself in pipeline_runs.
            runs, expected_runs = state.pop("pipeline_runs"), uninterrupted["pipeline_runs"]
            assert state == {k: v for k, v in uninterrupted.items() if k != "pipeline_runs"}, \
                f"killed after the swap while {doing}: the work is not all there"
            assert set(expected_runs) <= set(runs)
            state["pipeline_runs"] = runs
            before_state, before_digest = state, sha256(db)
        else:
            assert state == before_state, f"killed while {doing}: the database changed"
            assert sha256(db) == before_digest, f"killed while {doing}: the file changed"
    assert doing_when_killed.count("writing") >= 2, doing_when_killed

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
