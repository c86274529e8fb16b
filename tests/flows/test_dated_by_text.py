"""An article without a publication time is dated by the date line its page prints (origin
``dateline``); one with metadata keeps it; one whose text gives no year stays undated."""

from __future__ import annotations

import datetime as dt
import json

PAGE_DATED = ("قذائف هاون على معسكر للجيش\n\nالأحد 14 مارس 2021 / 21:40\n\n"
              "سقطت ثلاث قذائف هاون مساء اليوم الأحد على معسكر للجيش في التاجي دون إصابات.")
NO_YEAR = "قالت مصادر أمنية إن صاروخ كاتيوشا سقط اليوم الأحد داخل المنطقة الخضراء في بغداد دون وقوع إصابات."


def test_article_dated_by_its_page(inbox, db_path, run, sql):
    (inbox / "page.txt").write_text(PAGE_DATED, encoding="utf-8")
    (inbox / "noyear.txt").write_text(NO_YEAR, encoding="utf-8")
    (inbox / "meta.txt").write_text(PAGE_DATED.replace("التاجي", "بلد"), encoding="utf-8")
    (inbox / "meta.meta.json").write_text(json.dumps({"published_at": "2021-03-15T08:00:00+03:00"}), encoding="utf-8")
    run(inbox, db_path)
    rows = sql(db_path, "SELECT a.source_file, a.published_at_origin, "
                        "CAST(a.published_at + to_minutes(a.published_utc_offset_minutes) AS DATE), "
                        "m.event_date, m.date_precision FROM articles a JOIN mentions m USING (article_id) "
                        "WHERE m.role = 'primary' ORDER BY 1")
    assert rows == [
        ("meta.txt", "metadata", dt.date(2021, 3, 15), dt.date(2021, 3, 14), "day"),
        ("noyear.txt", "none", None, None, "unknown"),
        ("page.txt", "dateline", dt.date(2021, 3, 14), dt.date(2021, 3, 14), "day"),
    ]


def test_an_undated_report_keeps_its_weekday_and_its_words_for_the_linkage(inbox, db_path, run, sql):
    """A report that says "Sunday" but whose year nobody knows: its weekday is stored (0 = Monday)
    and so are its article's uncommon words, which linkage compares (docs/reconciliation.md)."""
    (inbox / "noyear.txt").write_text(NO_YEAR, encoding="utf-8")
    run(inbox, db_path)
    assert sql(db_path, "SELECT event_date, event_weekday FROM mentions WHERE role = 'primary'") == [(None, 6)]
    (words,) = sql(db_path, "SELECT words FROM article_words")[0]
    assert {"المنطقه", "الخضراء", "بغداد"} <= set(words.split())
    assert {"قالت", "كاتيوشا"}.isdisjoint(words.split()), "function words and the attack vocabulary are left out"
