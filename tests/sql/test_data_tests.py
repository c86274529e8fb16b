"""The data tests of sql/tests: each returns the rows that break its rule (none = the rule holds).

They hold on a database the real flow built from the dev set, and each of them catches the
breakage it is written for (checked on a copy of that database, one broken row at a time).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import REPO
from incidents.store import read_only_connection, sql_statements

DATA_TESTS_DIR = REPO / "sql" / "tests"

# One way to break each rule, applied to a single row.
BREAKAGES = {
    "vocabulary_weapon_type":
        "UPDATE incidents SET weapon_type = 'catapult' WHERE rowid = (SELECT min(rowid) FROM incidents)",
    "vocabulary_target_type":
        "UPDATE incidents SET target_type = 'moon' WHERE rowid = (SELECT min(rowid) FROM incidents)",
    "vocabulary_date_precision":
        "UPDATE incidents SET date_precision = 'decade' WHERE rowid = (SELECT min(rowid) FROM incidents)",
    "vocabulary_source_role":
        "UPDATE incident_sources SET role = 'secondary' WHERE rowid = (SELECT min(rowid) FROM incident_sources)",
    "figures_within_their_range":
        "UPDATE incidents SET killed = 5, killed_max = 2 WHERE rowid = (SELECT min(rowid) FROM incidents)",
    "incident_has_source":
        "DELETE FROM incident_sources WHERE incident_id = (SELECT min(incident_id) FROM incidents)",
    "incident_sources_articles_exist":
        "UPDATE incident_sources SET article_id = 'art_gone' WHERE rowid = (SELECT min(rowid) FROM incident_sources)",
    "field_values_incidents_exist":
        "UPDATE incident_field_values SET incident_id = 'inc_gone' "
        "WHERE rowid = (SELECT min(rowid) FROM incident_field_values)",
    "day_dates_have_evidence":
        "UPDATE incident_field_values SET evidence = '' WHERE field = 'event_date' AND incident_id = "
        "(SELECT min(incident_id) FROM incidents WHERE date_precision = 'day')",
    "coordinates_in_range":
        "UPDATE incidents SET latitude = 123.4 "
        "WHERE rowid = (SELECT min(rowid) FROM incidents WHERE latitude IS NOT NULL)",
    "citations_one_per_incident":
        "DELETE FROM incident_citations WHERE incident_id = (SELECT min(incident_id) FROM incidents)",
    "cited_once_per_field":
        "UPDATE incident_field_values SET cited = true "
        "WHERE rowid = (SELECT min(rowid) FROM incident_field_values WHERE chosen AND NOT cited AND length(evidence) > 0)",
    "incident_articles_match_sources":
        "INSERT INTO incident_articles SELECT * FROM incident_articles WHERE rowid = (SELECT min(rowid) FROM incident_articles)",
    "retired_ids_not_live":
        "INSERT INTO incident_id_map SELECT min(incident_id), 'inc_elsewhere', TIMESTAMP '2024-01-01', 1 FROM incidents",
}


def _data_tests() -> list[Path]:
    return sorted(DATA_TESTS_DIR.glob("*.sql"))



def _offending_rows(conn, path: Path) -> list[tuple]:
    statements = sql_statements(path.read_text(encoding="utf-8"))
    assert len(statements) == 1, f"{path.name} must be one SELECT"
    return conn.execute(statements[0]).fetchall()


def test_every_data_test_can_fail():
    assert sorted(p.stem for p in _data_tests()) == sorted(BREAKAGES)
    for path in _data_tests():
        assert path.read_text(encoding="utf-8").startswith("-- Assertion: "), path.name


@pytest.mark.parametrize("path", _data_tests(), ids=lambda p: p.stem)
def test_data_test_passes_on_the_dev_set(devset_db, path):
    conn = read_only_connection(devset_db)
    try:
        offending = _offending_rows(conn, path)
    finally:
        conn.close()
    assert offending == [], f"{path.name}: {offending[:5]}"


@pytest.mark.parametrize("path", _data_tests(), ids=lambda p: p.stem)
def test_data_test_catches_its_breakage(devset_db, path, tmp_path):
    broken = tmp_path / "broken.duckdb"
    shutil.copyfile(devset_db, broken)
    with duckdb.connect(str(broken)) as conn:
        conn.execute(BREAKAGES[path.stem])
        assert _offending_rows(conn, path), f"{path.name} did not notice: {BREAKAGES[path.stem]}"
