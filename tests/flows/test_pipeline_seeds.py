"""The seed articles through the real flow into a real DuckDB file."""

from __future__ import annotations

import datetime as dt

import pytest

CONTRACT_COLUMNS = {
    "articles": ["article_id", "source_file", "content_sha256", "published_at", "source", "title", "text",
                 "ingested_at", "duplicate_of"],
    "incidents": ["incident_id", "event_date", "date_precision", "country", "admin1", "city", "location_name",
                  "latitude", "longitude", "weapon_type", "projectile_count", "killed", "injured", "target_type",
                  "launch_site", "perpetrator_claimed", "source_count", "is_background"],
    "incident_sources": ["incident_id", "article_id", "role"],
    "incident_field_values": ["incident_id", "field", "value", "article_id", "evidence"],
    "rejected_files": ["source_file", "reason", "detail", "seen_at"],
    "pipeline_runs": ["run_id", "started_at", "finished_at", "status"],
}


def primary_groups(sql, db) -> dict[str, set[str]]:
    rows = sql(db, """
        SELECT s.incident_id, a.source_file FROM incident_sources s JOIN articles a USING (article_id)
        JOIN incidents i USING (incident_id) WHERE s.role = 'primary' AND NOT i.is_background""")
    groups: dict[str, set[str]] = {}
    for incident_id, source_file in rows:
        groups.setdefault(incident_id, set()).add(source_file.split("/")[-1][:3])
    return groups


@pytest.mark.parametrize("folder", ["with-metadata", "raw"])
def test_seeds_make_four_incidents(seeds_dir, inbox, db_path, run, sql, folder):
    from conftest import copy_tree

    source = seeds_dir / "with-metadata" if folder == "with-metadata" else seeds_dir
    copy_tree(source, inbox, "0*")
    result = run(inbox, db_path)
    assert result["articles_added"] == 5
    assert result["files_rejected"] == 0
    for table, columns in CONTRACT_COLUMNS.items():
        present = {row[0] for row in sql(db_path, "SELECT column_name FROM information_schema.columns WHERE table_name = ?", (table,))}
        assert set(columns) <= present, f"{table} lacks {set(columns) - present}"
    groups = sorted(sorted(g) for g in primary_groups(sql, db_path).values())
    assert groups == [["000", "004"], ["001"], ["002"], ["003"]]


def test_seed_fields_with_metadata(seeds_dir, inbox, db_path, run, sql):
    from conftest import copy_tree

    copy_tree(seeds_dir / "with-metadata", inbox)
    run(inbox, db_path)
    rows = sql(db_path, """
        SELECT list(a.source_file ORDER BY a.source_file)[1][1:3], i.event_date, i.date_precision, i.country, i.city,
               i.weapon_type, i.projectile_count, i.killed, i.injured, i.target_type, i.perpetrator_claimed
        FROM incidents i JOIN incident_sources s USING (incident_id) JOIN articles a USING (article_id)
        WHERE s.role = 'primary' AND NOT i.is_background GROUP BY ALL ORDER BY 1""")
    by_label = {row[0]: row[1:] for row in rows}
    assert by_label["000"][:5] == (dt.date(2020, 11, 17), "day", "Iraq", "Baghdad", "rocket")
    assert by_label["000"][5:8] == (7, 1, 5)
    assert by_label["000"][8] == "diplomatic" and "Kahf" in by_label["000"][9]
    assert by_label["001"][:8] == (dt.date(2020, 12, 20), "day", "Iraq", "Baghdad", "rocket", 8, 0, 1)
    assert by_label["002"][0] in (dt.date(2022, 1, 13), dt.date(2022, 1, 14))
    assert by_label["002"][5:8] == (None, None, 2)
    assert by_label["003"][:8] == (dt.date(2021, 7, 29), "day", "Iraq", "Baghdad", "rocket", 2, 0, 0)


def test_every_incident_value_has_its_sentence(seeds_dir, inbox, db_path, run, sql):
    from conftest import copy_tree

    copy_tree(seeds_dir / "with-metadata", inbox)
    run(inbox, db_path)
    missing = sql(db_path, """
        SELECT i.incident_id, f.field FROM incidents i,
        (VALUES ('event_date'), ('weapon_type'), ('killed'), ('injured'), ('location_name')) f(field)
        WHERE NOT i.is_background
          AND CASE f.field WHEN 'event_date' THEN i.event_date IS NOT NULL AND i.date_precision = 'day'
                           WHEN 'weapon_type' THEN i.weapon_type <> 'unknown'
                           WHEN 'killed' THEN i.killed IS NOT NULL
                           WHEN 'injured' THEN i.injured IS NOT NULL
                           ELSE i.location_name IS NOT NULL END
          AND NOT EXISTS (SELECT 1 FROM incident_field_values v WHERE v.incident_id = i.incident_id
                          AND v.field = f.field AND v.chosen AND length(v.evidence) > 0)""")
    assert missing == []
    spans = sql(db_path, """
        SELECT count(*) FROM incident_field_values v JOIN articles a USING (article_id)
        WHERE strpos(a.text, v.evidence) = 0""")
    assert spans == [(0,)], "every evidence sentence is a piece of its article's original text"
