"""The `incidents` command as a user runs it: `make run`'s command on the sample inbox, queries."""

from __future__ import annotations

import csv
import io
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_INBOX

INCIDENTS = [sys.executable, "-m", "incidents.cli"]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """The database `make run` builds, made the way `make run` makes it (a separate process)."""
    db = tmp_path_factory.mktemp("sample") / "incidents.duckdb"
    done = subprocess.run([*INCIDENTS, "run", "--inbox", str(SAMPLE_INBOX), "--db", str(db), "--summary"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return db, done.stdout


def test_make_run_prints_where_the_database_is_and_a_summary(sample_db):
    db, output = sample_db
    assert f"Database: {db}" in output
    assert "Incidents:" in output and "Rejected files:" in output and "README.pdf" in output


def test_make_run_shows_each_attack_of_the_sample_once(sample_db):
    """The sample inbox tells seven attacks; AFP and Shafaq both tell the Baghdad airport drones.
    A new user's first summary must not show an attack twice (a launch site read as a second
    scene once made a Radwaniyah incident beside the airport's)."""
    db, _ = sample_db
    query = ("SELECT event_date, location_name, source_count FROM incidents WHERE NOT is_background "
             "ORDER BY event_date")
    done = subprocess.run([*INCIDENTS, "sql", "--db", str(db), "--format", "json", query],
                          capture_output=True, text=True, check=True)
    attacks = [(row["event_date"][:10], row["location_name"], row["source_count"]) for row in json.loads(done.stdout)]
    assert [(day, sources) for day, _, sources in attacks] == [
        ("2020-09-08", 1), ("2021-05-25", 1), ("2021-07-04", 2), ("2021-12-05", 1), ("2022-03-22", 1),
        ("2022-10-13", 1), ("2023-12-03", 1)], attacks
    assert attacks[2][1] == "Baghdad International Airport"


def test_the_query_hint_of_the_summary_runs_as_printed(tmp_path):
    """`Query it: …` names the command so that pasting it works where the user is."""
    script = Path(sys.executable).parent / "incidents"
    done = subprocess.run([str(script), "run", "--inbox", str(SAMPLE_INBOX), "--db", "here.duckdb", "--summary"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    hint = next(line for line in done.stdout.splitlines() if line.startswith("Query it: "))
    query = subprocess.run(shlex.split(hint.removeprefix("Query it: ")), cwd=tmp_path, capture_output=True, text=True)
    assert query.returncode == 0, (hint, query.stderr)
    assert query.stdout.splitlines()[0].split(" | ")[0].strip() == "incident_id"


def test_sql_prints_a_table_csv_and_json(sample_db):
    db, _ = sample_db
    query = "SELECT incident_id, weapon_type, location_name FROM incidents WHERE NOT is_background ORDER BY 1"
    table = subprocess.run([*INCIDENTS, "sql", "--db", str(db), query], capture_output=True, text=True, check=True)
    assert table.stdout.splitlines()[0].split(" | ")[0].strip() == "incident_id"
    as_csv = subprocess.run([*INCIDENTS, "sql", "--db", str(db), "--format", "csv", query],
                            capture_output=True, text=True, check=True)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    as_json = subprocess.run([*INCIDENTS, "sql", "--db", str(db), "--format", "json", query],
                             capture_output=True, text=True, check=True)
    assert [r["incident_id"] for r in rows] == [r["incident_id"] for r in json.loads(as_json.stdout)]
    assert len(rows) >= 5


def test_sql_is_read_only_with_a_one_line_error(sample_db):
    db, _ = sample_db
    done = subprocess.run([*INCIDENTS, "sql", "--db", str(db), "DELETE FROM incidents"], capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "read-only" in done.stderr.lower()
    after = subprocess.run([*INCIDENTS, "sql", "--db", str(db), "--format", "csv", "SELECT count(*) AS n FROM incidents"],
                           capture_output=True, text=True, check=True)
    assert int(after.stdout.splitlines()[1]) > 0


def test_arabic_cells_are_isolated_so_columns_stay_aligned():
    from incidents.cli import display_width, format_table

    text = format_table(["place", "n"], [("المنطقة الخضراء", 1), ("Baghdad", 22)])
    lines = text.splitlines()
    assert "\u2068المنطقة الخضراء\u2069" in lines[2]
    assert len({display_width(lines[i].split(" | ")[0]) for i in (0, 2, 3)}) == 1
