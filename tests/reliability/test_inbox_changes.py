"""The inbox changes while a run reads it: files appear, grow, vanish or are swapped for links.

Each change is made for real on disk, at a chosen moment of a real flow run: the test wraps the
reader's (or discovery's) own function so that the change lands exactly between two steps.
"""

from __future__ import annotations

import json
import os
import time

import flows.pipeline
import tasks.read

REPORT = "سقطت ثلاثة صواريخ كاتيوشا على قاعدة بلد الجوية مساء الاثنين دون خسائر بشرية."
MORE = "\nوأضاف المصدر أن فرق الهندسة عثرت على منصة الإطلاق في بستان قرب ناحية يثرب."
OTHER = "انفجرت عبوة ناسفة على رتل للدعم اللوجستي في قضاء المحمودية جنوب بغداد صباح اليوم."
AN_HOUR_AGO = time.time() - 3600


def before_reading(monkeypatch, name: str, change) -> None:
    """Makes ``change`` when the reader opens the file ``name``, after it took its first stat."""
    real = tasks.read._read_bytes

    def hooked(root, path, limit):
        if path.name == name:
            change(path)
        return real(root, path, limit)

    monkeypatch.setattr(tasks.read, "_read_bytes", hooked)


def articles(sql, db) -> dict[str, str]:
    return dict(sql(db, "SELECT source_file, text FROM articles"))


def test_file_growing_while_read_is_left_for_the_next_run(inbox, db_path, run, sql, monkeypatch):
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")

    def writer_appends(path):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(MORE)

    before_reading(monkeypatch, "report.txt", writer_appends)
    result = run(inbox, db_path)
    assert result["files_deferred"] == 1
    assert articles(sql, db_path) == {}
    assert sql(db_path, "SELECT count(*) FROM rejected_files") == [(0,)]
    assert sql(db_path, "SELECT count(*) FROM inbox_files") == [(0,)], "not recorded: the next run reads it"

    monkeypatch.undo()
    assert run(inbox, db_path)["files_new"] == 1
    assert articles(sql, db_path) == {"report.txt": REPORT + MORE}


def test_file_deleted_while_read_is_neither_article_nor_rejection(inbox, db_path, run, sql, monkeypatch):
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    (inbox / "other.txt").write_text(OTHER, encoding="utf-8")
    before_reading(monkeypatch, "report.txt", lambda path: path.unlink())
    result = run(inbox, db_path)
    assert result["files_deferred"] == 1
    assert articles(sql, db_path) == {"other.txt": OTHER}
    assert sql(db_path, "SELECT count(*) FROM rejected_files") == [(0,)]


def test_file_appearing_during_a_run_is_read_by_the_next(inbox, db_path, run, sql, monkeypatch):
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    before_reading(monkeypatch, "report.txt",
                   lambda path: (inbox / "late.txt").write_text(OTHER, encoding="utf-8"))
    run(inbox, db_path)
    assert articles(sql, db_path) == {"report.txt": REPORT}

    monkeypatch.undo()
    result = run(inbox, db_path)
    assert (result["files_new"], result["files_unchanged"]) == (1, 1)
    assert articles(sql, db_path) == {"report.txt": REPORT, "late.txt": OTHER}


def test_file_still_being_written_waits_for_min_file_age(inbox, db_path, run, sql):
    path = inbox / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    result = run(inbox, db_path, min_file_age_seconds=600)
    assert (result["files_deferred"], result["files_new"]) == (1, 0)
    assert articles(sql, db_path) == {}
    assert sql(db_path, "SELECT count(*) FROM rejected_files") == [(0,)]

    with open(path, "a", encoding="utf-8") as handle:
        handle.write(MORE)
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))  # the writer finished long ago
    assert run(inbox, db_path, min_file_age_seconds=600)["files_new"] == 1
    assert articles(sql, db_path) == {"report.txt": REPORT + MORE}


def test_half_written_jsonl_line_is_rejected_then_read_when_complete(inbox, db_path, run, sql):
    path = inbox / "feed.jsonl"
    complete = json.dumps({"id": "a", "text": REPORT}, ensure_ascii=False)
    last = json.dumps({"id": "b", "text": OTHER}, ensure_ascii=False)
    path.write_text(complete + "\n" + last[: len(last) // 2], encoding="utf-8")
    run(inbox, db_path)
    assert articles(sql, db_path) == {"feed.jsonl#1": REPORT}
    assert sql(db_path, "SELECT source_file, reason FROM rejected_files") == [("feed.jsonl#2", "malformed_json")]

    path.write_text(complete + "\n" + last + "\n", encoding="utf-8")
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    run(inbox, db_path)
    assert articles(sql, db_path) == {"feed.jsonl#1": REPORT, "feed.jsonl#2": OTHER}
    assert sql(db_path, "SELECT count(*) FROM rejected_files") == [(0,)]


def test_file_swapped_for_a_link_outside_after_discovery_is_not_read(tmp_path, inbox, db_path, run, sql,
                                                                      monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("كلمة المرور لخادم قاعدة البيانات هي ذهب وفضة ونحاس.", encoding="utf-8")
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    (inbox / "other.txt").write_text(OTHER, encoding="utf-8")
    (inbox / "other.meta.json").write_text('{"source": "INA"}', encoding="utf-8")
    real_plan = flows.pipeline.plan_reads

    def plan_then_swap(*args, **kwargs):
        delta = real_plan(*args, **kwargs)
        for name in ("report.txt", "other.meta.json"):
            (inbox / name).unlink()
            os.symlink(secret, inbox / name)
        return delta

    monkeypatch.setattr(flows.pipeline, "plan_reads", plan_then_swap)
    run(inbox, db_path)
    assert articles(sql, db_path) == {"other.txt": OTHER}
    assert sql(db_path, "SELECT source FROM articles") == [(None,)]
    assert dict(sql(db_path, "SELECT source_file, reason FROM rejected_files")) == {
        "report.txt": "link_outside_inbox", "other.meta.json": "link_outside_inbox"}
    assert sql(db_path, "SELECT count(*) FROM articles WHERE text LIKE '%ذهب وفضة%'") == [(0,)]
