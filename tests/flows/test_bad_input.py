"""Every file becomes an article or a rejected_files row with a reason; none stops the run."""

from __future__ import annotations

import json
import os

import pytest

ARTICLE = "أفاد مصدر أمني بسقوط ثلاثة صواريخ كاتيوشا على قاعدة بلد الجوية مساء الاثنين دون خسائر بشرية."


def _write_valid(inbox):
    (inbox / "good.txt").write_text(ARTICLE, encoding="utf-8")


BAD_INPUTS = {
    "empty": lambda inbox: (inbox / "empty.txt").write_bytes(b""),
    "blank": lambda inbox: (inbox / "blank.txt").write_text("  \n\t \n", encoding="utf-8"),
    "binary": lambda inbox: (inbox / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
    "undecodable": lambda inbox: (inbox / "latin.txt").write_bytes("Ünïcödé façade ".encode("latin-1") * 20),
    "unknown extension": lambda inbox: (inbox / "report.docx").write_bytes(b"PK\x03\x04 not an article"),
    "malformed json": lambda inbox: (inbox / "broken.json").write_text('{"text": "نص", ', encoding="utf-8"),
    "json without text": lambda inbox: (inbox / "notext.json").write_text('{"title": "x"}', encoding="utf-8"),
    "too large": lambda inbox: (inbox / "huge.txt").write_text(ARTICLE * 400, encoding="utf-8"),
    "orphan sidecar": lambda inbox: (inbox / "lonely.meta.json").write_text('{"source": "x"}', encoding="utf-8"),
}
EXPECTED_REASON = {
    "empty": ("empty.txt", "empty"), "blank": ("blank.txt", "empty"), "binary": ("photo.txt", "binary"),
    "undecodable": ("latin.txt", "undecodable"), "unknown extension": ("report.docx", "unsupported_type"),
    "malformed json": ("broken.json", "malformed_json"), "json without text": ("notext.json", "malformed_json"),
    "too large": ("huge.txt", "too_large"), "orphan sidecar": ("lonely.meta.json", "orphan_sidecar"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_file_is_rejected_with_reason(kind, inbox, db_path, run, sql):
    _write_valid(inbox)
    BAD_INPUTS[kind](inbox)
    result = run(inbox, db_path, max_file_bytes=64 * 1024)
    name, reason = EXPECTED_REASON[kind]
    rows = sql(db_path, "SELECT reason, detail FROM rejected_files WHERE source_file = ?", (name,))
    assert rows and rows[0][0] == reason and rows[0][1]
    assert sql(db_path, "SELECT source_file FROM articles") == [("good.txt",)]
    assert result["files_rejected"] == 1


def test_jsonl_keeps_good_lines(inbox, db_path, run, sql):
    lines = [json.dumps({"id": "a1", "text": ARTICLE}, ensure_ascii=False), "{not json", "",
             json.dumps({"id": "a2", "text": ARTICLE.replace("بلد", "التاجي"), "published_at": "2023-05-02T10:00:00+03:00"},
                        ensure_ascii=False), json.dumps(["no", "object"])]
    (inbox / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    run(inbox, db_path)
    assert sql(db_path, "SELECT source_file FROM articles ORDER BY 1") == [("feed.jsonl#1",), ("feed.jsonl#4",)]
    assert sql(db_path, "SELECT source_file, reason FROM rejected_files ORDER BY 1") == [
        ("feed.jsonl#2", "malformed_json"), ("feed.jsonl#5", "malformed_json")]


def test_link_outside_inbox_is_not_followed(tmp_path, inbox, db_path, run, sql):
    secret = tmp_path / "outside.txt"
    secret.write_text(ARTICLE, encoding="utf-8")
    os.symlink(secret, inbox / "link.txt")
    os.symlink(tmp_path, inbox / "folder_link")
    _write_valid(inbox)
    run(inbox, db_path)
    reasons = dict(sql(db_path, "SELECT source_file, reason FROM rejected_files"))
    assert reasons == {"link.txt": "link_outside_inbox", "folder_link": "link_not_followed"}
    assert sql(db_path, "SELECT source_file FROM articles") == [("good.txt",)]


def test_encodings_and_formats_are_read(inbox, db_path, run, sql):
    (inbox / "bom.txt").write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"))
    (inbox / "utf16.txt").write_bytes(ARTICLE.replace("بلد", "حرير").encode("utf-16"))
    (inbox / "arabic_windows.txt").write_bytes(ARTICLE.replace("بلد", "التاجي").encode("cp1256"))
    (inbox / "sub").mkdir()
    (inbox / "sub" / "page.html").write_text(
        "<html><head><title>عنوان الخبر</title>"
        '<meta property="article:published_time" content="2023-05-01T21:00:00+03:00"></head>'
        "<body><nav><a>الرئيسية</a><a>سياسة</a></nav><script>alert('x')</script>"
        f"<article><p>{ARTICLE}</p></article><footer>جميع الحقوق محفوظة</footer></body></html>",
        encoding="utf-8")
    (inbox / "one.json").write_text(json.dumps({"text": ARTICLE, "source": "INA", "title": "t"}), encoding="utf-8")
    run(inbox, db_path)
    rows = dict((r[0], r[1:]) for r in sql(db_path, "SELECT source_file, encoding, title, text, published_at FROM articles"))
    assert set(rows) == {"bom.txt", "utf16.txt", "arabic_windows.txt", "sub/page.html", "one.json"}
    assert rows["arabic_windows.txt"][0] == "cp1256" and "التاجي" in rows["arabic_windows.txt"][2]
    assert rows["utf16.txt"][0] == "utf-16"
    html = rows["sub/page.html"]
    assert html[1] == "عنوان الخبر" and "الرئيسية" not in html[2] and "alert" not in html[2] and "محفوظة" not in html[2]
    assert str(html[3]) == "2023-05-01 18:00:00"
    assert sql(db_path, "SELECT count(*) FROM rejected_files") == [(0,)]
