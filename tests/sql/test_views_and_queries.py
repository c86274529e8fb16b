"""The analyst views and the example queries, on a database the real flow built from the dev set."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, query
from incidents.store import read_only_connection, sql_statements

QUERIES_DIR = REPO / "sql" / "queries"

VIEW_COLUMNS = {
    "v_incidents": ["incident_id", "event_date", "date_precision", "location_name", "location_name_ar", "killed",
                    "killed_max", "injured", "is_background", "article_count", "outlets", "urls",
                    "first_published_at", "last_published_at", "evidence", "event_date_evidence", "killed_evidence",
                    "injured_evidence", "location_evidence"],
    "v_incident_sources": ["incident_id", "article_id", "role", "outlet", "title", "url", "published_at",
                           "duplicate_of", "evidence"],
    "v_conflicts": ["incident_id", "field", "n_values", "n_sources", "value", "chosen", "article_id", "outlet",
                    "published_at", "evidence"],
    "v_daily": ["event_date", "country", "admin1", "incidents", "approximate_dates", "killed", "injured", "rocket",
                "mortar", "drone", "ied", "missile", "airstrike", "gunfire", "unknown_weapon"],
    "v_incident_ids": ["incident_id", "live_id", "is_live", "retired_at", "merges"],
}

QUERY_COLUMNS = {
    "attacks_per_month_by_weapon": ["month", "weapon_type", "incidents", "killed", "injured"],
    "most_targeted_places": ["location_name", "location_name_ar", "admin1", "country", "incidents", "first_attack",
                             "last_attack", "killed", "injured", "weapons"],
    "single_source_incidents": ["incident_id", "event_date", "date_precision", "location_name", "weapon_type",
                                "target_type", "outlet", "title", "url", "published_at", "duplicate_of", "evidence"],
    "conflicting_casualty_figures": ["incident_id", "event_date", "location_name", "field", "incident_value",
                                     "highest_value", "values_by_source", "n_sources"],
    "claims_by_group": ["claimant", "incidents", "disowned", "first_claimed_attack", "last_claimed_attack", "weapons",
                        "targets", "killed"],
    "diplomatic_targets_baghdad": ["incident_id", "event_date", "date_precision", "time_of_day", "location_name",
                                   "location_name_ar", "target_name", "weapon_type", "projectile_count", "killed",
                                   "injured", "perpetrator_claimed", "outlets", "evidence"],
    "recent_week_with_evidence": ["incident_id", "event_date", "date_precision", "place", "location_name",
                                  "weapon_type", "target_type", "killed", "injured", "outlets", "evidence",
                                  "event_date_evidence", "killed_evidence", "injured_evidence"],
}



def _columns(db: Path, relation: str) -> list[str]:
    return [row[0] for row in query(db, "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                         "ORDER BY ordinal_position", (relation,))]


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_view_has_its_columns(devset_db, view):
    present = _columns(devset_db, view)
    assert present, f"{view} is missing"
    assert set(VIEW_COLUMNS[view]) <= set(present), f"{view} lacks {set(VIEW_COLUMNS[view]) - set(present)}"


def test_v_incidents_is_incidents_with_sources_and_evidence(devset_db):
    incident_columns = _columns(devset_db, "incidents")
    assert _columns(devset_db, "v_incidents")[: len(incident_columns)] == incident_columns
    assert query(devset_db, "SELECT count(*), count(DISTINCT incident_id) FROM v_incidents") == \
        query(devset_db, "SELECT count(*), count(*) FROM incidents")
    wrong = query(devset_db, """
        SELECT v.incident_id FROM v_incidents v
        WHERE v.outlets <> (SELECT list_sort(list(DISTINCT a.source)) FROM incident_sources s
                            JOIN articles a USING (article_id)
                            WHERE s.incident_id = v.incident_id AND a.source IS NOT NULL)
           OR v.first_published_at > v.last_published_at""")
    assert wrong == []
    unexplained = query(devset_db, """
        SELECT incident_id FROM v_incidents
        WHERE NOT is_background AND (evidence IS NULL
           OR (date_precision = 'day' AND event_date_evidence IS NULL)
           OR (killed IS NOT NULL AND killed_evidence IS NULL))""")
    assert unexplained == []
    # the sentences are quoted from the articles, not rebuilt
    not_quoted = query(devset_db, """
        SELECT c.incident_id, c.field FROM stg_chosen_evidence c JOIN articles a USING (article_id)
        WHERE strpos(a.text, c.evidence) = 0""")
    assert not_quoted == []


def test_v_incident_sources_lists_every_linked_article_once(devset_db):
    assert query(devset_db, "SELECT count(*) FROM v_incident_sources") == \
        query(devset_db, "SELECT count(*) FROM (SELECT DISTINCT incident_id, article_id FROM incident_sources)")
    assert query(devset_db, "SELECT DISTINCT role FROM v_incident_sources ORDER BY 1") == \
        [("background",), ("primary",)]
    copies = query(devset_db, "SELECT count(*) FROM v_incident_sources WHERE duplicate_of IS NOT NULL")[0][0]
    assert copies > 0, "the dev set has copies: they are marked"


def test_v_conflicts_shows_each_source_of_a_disputed_field(devset_db):
    rows = query(devset_db, """
        SELECT incident_id, field, any_value(n_values), count(DISTINCT value), count(*), count(DISTINCT article_id),
               bool_or(chosen)
        FROM v_conflicts GROUP BY ALL""")
    assert rows, "the dev set has reports that disagree"
    for incident_id, field, n_values, distinct, sources, articles, any_chosen in rows:
        assert n_values == distinct >= 2, (incident_id, field)
        assert sources == articles >= 2, (incident_id, field)
    casualties = query(devset_db, """
        SELECT c.incident_id, c.field, c.value, CASE c.field WHEN 'killed' THEN i.killed ELSE i.injured END
        FROM v_conflicts c JOIN incidents i USING (incident_id) WHERE c.field IN ('killed', 'injured') AND c.chosen""")
    assert casualties, "the dev set has disputed casualty figures"
    assert all(value == str(held) for _, _, value, held in casualties)


def test_v_daily_adds_up_to_the_dated_incidents(devset_db):
    daily = query(devset_db, """
        SELECT sum(incidents), sum(rocket + mortar + drone + ied + missile + airstrike + gunfire + unknown_weapon),
               sum(killed), sum(injured) FROM v_daily""")
    direct = query(devset_db, """
        SELECT count(*), count(*), sum(killed), sum(injured) FROM incidents
        WHERE NOT is_background AND event_date IS NOT NULL""")
    assert daily == direct
    assert query(devset_db, "SELECT count(*) FROM (SELECT DISTINCT event_date, country, admin1 FROM v_daily)") == \
        query(devset_db, "SELECT count(*) FROM v_daily")


def test_v_incident_ids_resolves_live_and_retired_ids(devset_db, tmp_path):
    live = query(devset_db, "SELECT count(*) FROM v_incident_ids WHERE is_live AND incident_id = live_id")
    assert live == query(devset_db, "SELECT count(*) FROM incidents")
    # Merges chain: a retired id whose survivor was itself merged later resolves to the last survivor.
    copy = tmp_path / "merged.duckdb"
    shutil.copyfile(devset_db, copy)
    with duckdb.connect(str(copy)) as conn:
        survivor = conn.execute("SELECT min(incident_id) FROM incidents").fetchone()[0]
        conn.execute("""
            INSERT INTO incident_id_map VALUES
              ('inc_first_retired', 'inc_then_retired', TIMESTAMP '2024-01-01 00:00:00', 1),
              ('inc_then_retired', ?, TIMESTAMP '2024-02-01 00:00:00', 2),
              ('inc_merged_into_dropped', 'inc_dropped', TIMESTAMP '2024-03-01 00:00:00', 3)""", [survivor])
    resolved = dict((row[0], row[1:]) for row in query(copy, """
        SELECT incident_id, live_id, is_live, merges FROM v_incident_ids WHERE NOT is_live"""))
    assert resolved == {
        "inc_first_retired": (survivor, False, 2),
        "inc_then_retired": (survivor, False, 1),
        "inc_merged_into_dropped": (None, False, 1),
    }


def test_every_query_file_is_tested():
    assert sorted(p.stem for p in QUERIES_DIR.glob("*.sql")) == sorted(QUERY_COLUMNS)


@pytest.mark.parametrize("name", sorted(QUERY_COLUMNS))
def test_example_query_answers_on_the_dev_set(devset_db, name):
    text = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    assert text.startswith("-- Question: "), "each query says first which question it answers"
    statements = sql_statements(text)
    assert len(statements) == 1 and statements[0].upper().startswith(("SELECT", "WITH"))
    conn = read_only_connection(devset_db)
    try:
        cursor = conn.execute(statements[0])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        conn.close()
    assert columns == QUERY_COLUMNS[name]
    assert rows, f"{name} returned no rows on the dev set"


def test_incidents_sql_reads_the_views(devset_db, capsys):
    from incidents.cli import main

    assert main(["sql", "--db", str(devset_db), "--format", "csv",
                 "SELECT incident_id, outlets FROM v_incidents ORDER BY incident_id LIMIT 2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "incident_id,outlets" and len(lines) == 3
