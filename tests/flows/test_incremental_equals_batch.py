"""Ten nightly slices give the same incidents as one run over the whole corpus, and a full regroup
of the nightly database afterwards changes nothing."""

from __future__ import annotations

import shutil

from conftest import DEVSET_INBOX, incident_tables

INCIDENT_FIELDS = ("event_date", "date_precision", "country", "admin1", "city", "location_name", "weapon_type",
                   "projectile_count", "projectile_count_max", "killed", "killed_max", "injured", "injured_max",
                   "target_type", "launch_site", "perpetrator_claimed", "source_count", "is_background")


def incidents_by_articles(sql, db) -> dict:
    """The incidents keyed by the files that report them, so that ids do not enter the comparison.

    An article that reports two attacks, alone, gives two incidents with one key: both are kept,
    in a fixed order (a key that kept one of them compared whichever the query returned last)."""
    rows = sql(db, f"""
        SELECT list(DISTINCT a.source_file || ':' || s.role ORDER BY a.source_file || ':' || s.role),
               {', '.join('i.' + f for f in INCIDENT_FIELDS)}
        FROM incidents i JOIN incident_sources s USING (incident_id) JOIN articles a USING (article_id)
        GROUP BY ALL""")
    by_key: dict[tuple, list] = {}
    for row in rows:
        by_key.setdefault(tuple(row[0]), []).append(row[1:])
    return {key: sorted(values, key=repr) for key, values in by_key.items()}


def test_ten_nightly_slices_equal_one_batch(tmp_path, run, sql):
    batch_db = tmp_path / "batch.duckdb"
    run(DEVSET_INBOX, batch_db, slice_size=7)  # extracted and loaded seven articles at a time

    files = sorted(p for p in DEVSET_INBOX.rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))
    nightly_inbox = tmp_path / "nightly"
    nightly_db = tmp_path / "nightly.duckdb"
    for night in range(10):
        for path in files[night::10]:
            target = nightly_inbox / path.relative_to(DEVSET_INBOX)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            sidecar = path.with_name(path.stem + ".meta.json")
            if sidecar.exists():
                shutil.copy2(sidecar, target.with_name(sidecar.name))
        result = run(nightly_inbox, nightly_db)
        assert result["files_changed"] == 0

    assert incidents_by_articles(sql, nightly_db) == incidents_by_articles(sql, batch_db)
    assert sql(nightly_db, "SELECT count(*) FROM articles") == sql(batch_db, "SELECT count(*) FROM articles")
    retired = sql(nightly_db, "SELECT retired_id, surviving_id FROM incident_id_map")
    live = {row[0] for row in sql(nightly_db, "SELECT incident_id FROM incidents")}
    assert all(surviving in live for _, surviving in retired), "every retired id resolves to a live incident"

    nightly = incident_tables(sql, nightly_db)
    result = run(nightly_inbox, nightly_db, full_reconcile=True)
    assert (result["incidents_new"], result["incidents_updated"], result["incidents_retired"]) == (0, 0, 0)
    assert incident_tables(sql, nightly_db) == nightly
