"""Analysts query the database while a run writes: they keep working and see the state before
the run until its swap. A run never writes the live file, so their read-only opens never clash."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from reliability_support import add_devset_copies, paused, run_cli, staging_file, start_cli, wait_until

COUNT = "SELECT count(*) FROM articles"


def count_with_duckdb(db) -> int:
    """A plain read-only open from another process.

    In this process it would not be fresh: DuckDB shares one open database per path among a
    process's connections, and the notebook below keeps the file it opened.
    """
    script = f"import duckdb; print(duckdb.connect({str(db)!r}, read_only=True).execute({COUNT!r}).fetchone()[0])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def count_with_cli(db) -> int:
    result = run_cli("sql", "--db", str(db), "--format", "csv", COUNT)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.splitlines()[1])


@pytest.mark.slow
def test_queries_during_a_run_see_the_state_before_it(tmp_path):
    inbox = add_devset_copies(tmp_path / "inbox", range(0, 1))
    db = tmp_path / "data" / "incidents.duckdb"
    assert run_cli("run", "--inbox", str(inbox), "--db", str(db)).returncode == 0
    old_count = count_with_duckdb(db)
    add_devset_copies(inbox, range(1, 3))

    notebook = duckdb.connect(str(db), read_only=True)  # an analyst's session, open across the run
    run = start_cli("run", "--inbox", str(inbox), "--db", str(db))
    assert wait_until(lambda: staging_file(db).exists() or run.poll() is not None)
    # Held inside its write window, the run cannot finish before the queries are done.
    with paused(run):
        counts_during_the_write = [
            (count_with_cli(db), count_with_duckdb(db), notebook.execute(COUNT).fetchone()[0]) for _ in range(3)]
        assert staging_file(db).exists()
    # Queries go on working while it writes and swaps: they see one state or the other, whole.
    counts_while_it_goes_on = []
    while run.poll() is None:
        counts_while_it_goes_on += [count_with_cli(db), count_with_duckdb(db)]
        assert notebook.execute(COUNT).fetchone()[0] == old_count
    _, stderr = run.communicate()
    assert run.returncode == 0, stderr

    assert counts_during_the_write == [(old_count, old_count, old_count)] * 3
    new_count = count_with_duckdb(db)
    assert new_count > old_count
    assert set(counts_while_it_goes_on) <= {old_count, new_count}
    assert notebook.execute(COUNT).fetchone()[0] == old_count, "an open session keeps the file it opened"
    notebook.close()
    assert count_with_cli(db) == new_count
