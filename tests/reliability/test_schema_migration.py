"""A database made by an older version of the schema is brought up to date in place by the next
run: its data kept, each migration recorded, and a migration that fails changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import duckdb
import pytest

import incidents.store as store

REPORT = "سقطت ثلاثة صواريخ كاتيوشا على قاعدة بلد الجوية مساء الاثنين دون خسائر بشرية."
OLD_ARTICLE = ("art_old", "old/report.txt", "sha-content", "sha-normalized", "none", "نص مقال قديم عن هجوم صاروخي.")


def migrations_folder(target, extra: dict[str, str], only_first: bool = False):
    """The real migrations (or only the first) plus ``extra``, numbered after the last real one."""
    target.mkdir()
    real = sorted(store.database.MIGRATIONS_DIR.glob("*.sql"))
    for path in real[:1] if only_first else real:
        shutil.copy(path, target / path.name)
    number = store.schema_version_of_code()
    for offset, (name, sql) in enumerate(extra.items(), start=1):
        (target / f"{number + offset:03d}_{name}.sql").write_text(sql, encoding="utf-8")
    return target


@pytest.fixture
def old_database(tmp_path, db_path, monkeypatch):
    """A database with only migration 001 applied, and an article in it (today's views need the
    later tables; a version-1 database had its own, replaced by every migration)."""
    monkeypatch.setattr(store.database, "MIGRATIONS_DIR", migrations_folder(tmp_path / "v1", {}, only_first=True))
    (tmp_path / "no_views").mkdir()
    monkeypatch.setattr(store.database, "VIEWS_DIR", tmp_path / "no_views")
    db_path.parent.mkdir(parents=True)
    engine = store.engine_for(db_path)
    with engine.begin() as conn:
        store.migrate(conn)
        conn.exec_driver_sql(
            "INSERT INTO articles (article_id, source_file, content_sha256, normalized_sha256, published_at_origin, "
            "text, ingested_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*OLD_ARTICLE, dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 1)))
    engine.dispose()
    monkeypatch.undo()
    return db_path


def versions(db) -> list[tuple]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute("SELECT version, description FROM schema_version ORDER BY version").fetchall()
    finally:
        conn.close()


def test_run_applies_new_migrations_in_place_and_keeps_the_data(old_database, inbox, run, sql, tmp_path,
                                                                 monkeypatch):
    newer = migrations_folder(tmp_path / "v2", {
        "test": "-- a column and a table added by a later version\n"
                "ALTER TABLE articles ADD COLUMN reviewed BOOLEAN DEFAULT false;\n"
                "CREATE TABLE review_notes (article_id VARCHAR, note VARCHAR);\n",
    })
    monkeypatch.setattr(store.database, "MIGRATIONS_DIR", newer)
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    result = run(inbox, old_database)

    latest = store.schema_version_of_code()
    assert versions(old_database)[0] == (1, "initial")
    assert versions(old_database)[-1] == (latest, "test")
    assert [row[0] for row in versions(old_database)] == list(range(1, latest + 1))
    rows = sql(old_database, "SELECT source_file, article_id, text, reviewed FROM articles")
    stored = {row[0]: row[1:] for row in rows}
    assert stored["old/report.txt"] == ("art_old", OLD_ARTICLE[-1], False)
    assert stored["report.txt"][1:] == (REPORT, False) and len(stored) == 2
    assert result["articles_added"] == 1
    assert sql(old_database, "SELECT count(*) FROM review_notes") == [(0,)]

    engine = store.engine_for(old_database)
    with engine.begin() as conn:
        assert store.migrate(conn) == [], "a second migration finds nothing to do"
    engine.dispose()


def test_failing_migration_changes_nothing(old_database, inbox, run, tmp_path, monkeypatch):
    digest = hashlib.sha256(old_database.read_bytes()).hexdigest()
    broken = migrations_folder(tmp_path / "broken", {
        "good": "ALTER TABLE articles ADD COLUMN reviewed BOOLEAN;\n",
        "broken": "ALTER TABLE no_such_table ADD COLUMN x INTEGER;\n",
    })
    monkeypatch.setattr(store.database, "MIGRATIONS_DIR", broken)
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    with pytest.raises(Exception, match="no_such_table"):
        run(inbox, old_database)
    assert hashlib.sha256(old_database.read_bytes()).hexdigest() == digest
    assert versions(old_database) == [(1, "initial")]


def test_incidents_stored_before_version_2_get_their_citations(inbox, db_path, run, sql):
    """Schema version 2 keeps who reported an incident and the sentences it cites in tables; the
    first run after the upgrade builds them for the incidents already stored, and v_incidents
    then reads as it did when it computed them on every query."""
    from conftest import REPO, copy_tree

    copy_tree(REPO / "sample_inbox", inbox)
    run(inbox, db_path)
    cited = sql(db_path, "SELECT * FROM v_incidents ORDER BY incident_id")
    sources = sql(db_path, "SELECT * FROM v_incident_sources ORDER BY incident_id, article_id")
    assert any(row[-5] for row in cited) and any(row[-4] for row in cited), "evidence and dates are cited"
    conn = duckdb.connect(str(db_path))
    try:  # back to what version 1 stored: no derived tables, no `cited` column, no linkage
        conn.execute("DROP TABLE incident_citations")
        conn.execute("DROP TABLE incident_articles")
        conn.execute("ALTER TABLE incident_field_values DROP COLUMN cited")
        for table in ("report_links", "link_keys", "link_overrides"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP SEQUENCE link_override_id_seq")
        conn.execute("DROP VIEW v_incidents")
        conn.execute("ALTER TABLE incidents DROP COLUMN link_confidence")
        conn.execute("ALTER TABLE mentions DROP COLUMN event_weekday")
        conn.execute("DROP TABLE article_words")
        conn.execute("DELETE FROM schema_version WHERE version >= 2")
        # Written by the rules of version 1: the next run regroups everything once (section 8 of
        # docs/reconciliation.md), which fills the linkage's tables.
        conn.execute("UPDATE pipeline_runs SET settings = replace(settings, 'linkage', 'older rules')")
    finally:
        conn.close()

    result = run(inbox, db_path)
    assert result["articles_added"] == 0 and result["incidents_updated"] == 0
    assert versions(db_path)[-1][0] == store.schema_version_of_code()
    assert sql(db_path, "SELECT * FROM v_incidents ORDER BY incident_id") == cited
    assert sql(db_path, "SELECT * FROM v_incident_sources ORDER BY incident_id, article_id") == sources
    assert sql(db_path, "SELECT count(*) FROM articles ANTI JOIN article_words USING (article_id)") == [(0,)], \
        "the stored articles' words are read for the linkage"
