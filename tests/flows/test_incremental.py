"""Runs are incremental, repeatable and all-or-nothing."""

from __future__ import annotations

import hashlib
import os
import time

import duckdb
import pytest

TABLES = ("articles", "incidents", "incident_sources", "incident_field_values", "rejected_files", "mentions")


def snapshot(sql, db) -> dict:
    out = {}
    for table in TABLES:
        columns = [r[0] for r in sql(db, "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                         "AND column_name NOT IN ('ingested_at', 'updated_at', 'seen_at', 'run_id', "
                                         "'created_run_id', 'updated_run_id') ORDER BY ordinal_position", (table,))]
        out[table] = sorted(map(repr, sql(db, f"SELECT {', '.join(columns)} FROM {table}")))
    return out


def test_second_run_changes_nothing(seeds_dir, inbox, db_path, run, sql):
    from conftest import copy_tree

    copy_tree(seeds_dir / "with-metadata", inbox)
    first = run(inbox, db_path)
    assert set(first["worker_cpu_seconds"]) == {"read", "sign", "extract"}
    assert first["worker_cpu_seconds"]["extract"] > 0
    before = snapshot(sql, db_path)
    result = run(inbox, db_path)
    assert result["files_new"] == result["files_changed"] == result["articles_added"] == 0
    assert result["files_unchanged"] == 5
    assert result["worker_cpu_seconds"] == {}, "nothing was read"
    assert snapshot(sql, db_path) == before
    os.utime(inbox / "000_89c9e4138a990f4e.txt")  # touched, same bytes: still nothing to do
    assert run(inbox, db_path)["articles_updated"] == 0
    assert snapshot(sql, db_path) == before


def test_file_touched_without_change_is_only_read(seeds_dir, inbox, db_path, run, sql):
    from conftest import copy_tree

    copy_tree(seeds_dir, inbox, "00*.txt")     # no sidecars: the file's bytes are all there is
    run(inbox, db_path)
    before = snapshot(sql, db_path)
    os.utime(inbox / "000_89c9e4138a990f4e.txt")
    touched = run(inbox, db_path)
    assert (touched["files_changed"], touched["files_unchanged"], touched["articles_updated"]) == (0, 5, 0)
    assert touched["mentions_extracted"] == 0
    assert snapshot(sql, db_path) == before


def test_new_file_is_the_only_one_read_and_joins_its_incident(seeds_dir, inbox, db_path, run, sql):
    from conftest import copy_tree

    copy_tree(seeds_dir / "with-metadata", inbox, "00[0-3]*")
    run(inbox, db_path)
    ids_before = dict(sql(db_path, "SELECT a.source_file, s.incident_id FROM incident_sources s "
                                   "JOIN articles a USING (article_id) WHERE s.role = 'primary'"))
    copy_tree(seeds_dir / "with-metadata", inbox, "004*")
    result = run(inbox, db_path)
    assert result["files_new"] == 1 and result["articles_added"] == 1
    ids_after = dict(sql(db_path, "SELECT a.source_file, s.incident_id FROM incident_sources s "
                                  "JOIN articles a USING (article_id) WHERE s.role = 'primary'"))
    for name, incident_id in ids_before.items():
        assert ids_after[name] == incident_id, "known incidents keep their ids"
    assert ids_after["004_7af0b437ec28a498.txt"] == ids_before["000_89c9e4138a990f4e.txt"]


def test_history_grouped_by_other_rules_is_regrouped_in_full_once(inbox, db_path, run, sql):
    import json

    from conftest import REPO, copy_tree

    def last_run() -> dict:
        return json.loads(sql(db_path, "SELECT settings FROM pipeline_runs ORDER BY run_id DESC LIMIT 1")[0][0])

    copy_tree(REPO / "sample_inbox", inbox, "s0[1-5]*")
    run(inbox, db_path)
    copy_tree(REPO / "sample_inbox", inbox, "s06*")
    run(inbox, db_path)
    assert last_run()["reconciled_in_full"] is False, "a night regroups only what its reports reach"

    # As a database written before the rules changed: its last run recorded older rules.
    with duckdb.connect(str(db_path)) as conn:
        conn.execute("UPDATE pipeline_runs SET settings = json_object('reconcile_rules', '1 older rules')")
    copy_tree(REPO / "sample_inbox", inbox, "s08*")
    run(inbox, db_path)
    assert last_run()["reconciled_in_full"] is True
    assert last_run()["reconcile_rules"] != "1 older rules"
    copy_tree(REPO / "sample_inbox", inbox, "s09*")
    run(inbox, db_path)
    assert last_run()["reconciled_in_full"] is False, "once is enough"


def test_changed_file_replaces_its_article(inbox, db_path, run, sql):
    path = inbox / "report.txt"
    path.write_text("سقط صاروخان على قاعدة عين الأسد الجوية فجر اليوم دون خسائر بشرية.", encoding="utf-8")
    sidecar = inbox / "report.meta.json"
    sidecar.write_text('{"source": "وكالة الأنباء", "url": "https://example.org/1"}', encoding="utf-8")
    run(inbox, db_path)
    (article_id, old_sha), = sql(db_path, "SELECT article_id, content_sha256 FROM articles")
    first_seen = sql(db_path, "SELECT source_file, first_seen_at, last_read_at FROM inbox_files ORDER BY 1")
    assert [row[0] for row in first_seen] == ["report.meta.json", "report.txt"]
    time.sleep(0.01)
    path.write_text("سقطت ثلاثة صواريخ على قاعدة عين الأسد الجوية فجر اليوم وأصيب جندي.", encoding="utf-8")
    sidecar.write_text('{"source": "وكالة الأنباء", "url": "https://example.org/2"}', encoding="utf-8")
    result = run(inbox, db_path)
    assert result["files_changed"] == 1 and result["articles_updated"] == 1
    reread = sql(db_path, "SELECT source_file, first_seen_at, last_read_at FROM inbox_files ORDER BY 1")
    assert [row[:2] for row in reread] == [row[:2] for row in first_seen], "a re-read file keeps when it was first seen"
    assert all(new[2] > old[2] for new, old in zip(reread, first_seen)), "and records when it was read again"
    rows = sql(db_path, "SELECT article_id, version, content_sha256 FROM articles")
    assert rows == [(article_id, 2, hashlib.sha256(path.read_text(encoding="utf-8").strip().encode()).hexdigest())]
    assert sql(db_path, "SELECT article_id, version, content_sha256 FROM article_versions") == [(article_id, 1, old_sha)]
    assert sql(db_path, "SELECT projectile_count, injured FROM incidents") == [(3, 1)]


def test_failed_load_leaves_database_as_it_was(seeds_dir, inbox, db_path, run, sql, monkeypatch):
    from conftest import copy_tree

    copy_tree(seeds_dir / "with-metadata", inbox, "00[0-2]*")
    run(inbox, db_path)
    before = snapshot(sql, db_path)
    digest = hashlib.sha256(db_path.read_bytes()).hexdigest()
    copy_tree(seeds_dir / "with-metadata", inbox, "00[34]*")

    from incidents import store

    def broken(*args, **kwargs):
        raise OSError("disk went away in the middle of the load")

    monkeypatch.setattr(store, "write_incidents", broken)
    with pytest.raises(Exception, match="disk went away"):
        run(inbox, db_path)
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest
    assert snapshot(sql, db_path) == before
    monkeypatch.undo()
    result = run(inbox, db_path)
    assert result["files_new"] == 2


def test_incidents_committed_in_parts_equal_written_at_once(tmp_path, run, sql, monkeypatch):
    from conftest import REPO, incident_tables

    from incidents import store

    at_once, in_parts = tmp_path / "at_once.duckdb", tmp_path / "in_parts.duckdb"
    run(REPO / "sample_inbox", at_once)
    monkeypatch.setattr(store.reconciliation, "INCIDENTS_PER_COMMIT", 2)
    run(REPO / "sample_inbox", in_parts)
    assert sql(in_parts, "SELECT count(*) FROM incidents")[0][0] > 2 * store.reconciliation.INCIDENTS_PER_COMMIT
    assert incident_tables(sql, in_parts) == incident_tables(sql, at_once)


def test_inbox_archived_away_is_recorded_in_committed_parts(inbox, db_path, run, sql, monkeypatch):
    """Users move processed files out of the inbox: a night that finds the whole backlog gone
    keeps every article and incident and records each file as deleted, part by part."""
    import shutil

    from conftest import REPO, copy_tree

    from incidents import store

    copy_tree(REPO / "sample_inbox", inbox)
    run(inbox, db_path)
    before = snapshot(sql, db_path)
    files = sql(db_path, "SELECT count(*) FROM inbox_files")[0][0]
    shutil.rmtree(inbox)
    inbox.mkdir()
    monkeypatch.setattr(store.database, "ROWS_PER_COMMIT", 3)
    commits = []
    checkpoint = store.Writer.checkpoint
    monkeypatch.setattr(store.Writer, "checkpoint", lambda writer: commits.append(1) or checkpoint(writer))
    result = run(inbox, db_path)
    assert result["files_seen"] == 0 and result["articles_added"] == 0
    assert len(commits) >= 2 * files // store.database.ROWS_PER_COMMIT, "deletes and inserts went in parts"
    assert sql(db_path, "SELECT outcome, count(*) FROM inbox_files GROUP BY 1") == [("deleted", files)]
    assert snapshot(sql, db_path) == before


def test_failure_after_a_committed_part_leaves_database_as_it_was(inbox, db_path, run, sql, monkeypatch):
    from conftest import REPO, copy_tree

    from incidents import store

    copy_tree(REPO / "sample_inbox", inbox, "s0[1-3]*")
    run(inbox, db_path)
    before = snapshot(sql, db_path)
    digest = hashlib.sha256(db_path.read_bytes()).hexdigest()
    copy_tree(REPO / "sample_inbox", inbox, "s0[4-9]*")

    parts = []
    insert_rows = store.Writer.insert_rows

    def failing_second_part(writer, table_name, rows):
        if table_name == "incidents":
            parts.append(len(rows))
            if len(parts) == 2:
                raise OSError("disk went away after the first part was committed")
        return insert_rows(writer, table_name, rows)

    monkeypatch.setattr(store.reconciliation, "INCIDENTS_PER_COMMIT", 1)
    monkeypatch.setattr(store.Writer, "insert_rows", failing_second_part)
    with pytest.raises(Exception, match="disk went away"):
        run(inbox, db_path)
    assert parts == [1, 1], "the first part was committed into the staged copy before the failure"
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest
    assert snapshot(sql, db_path) == before
    monkeypatch.undo()
    assert run(inbox, db_path)["files_new"] == 5
