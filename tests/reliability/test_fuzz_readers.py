"""Whatever bytes and names the inbox holds, each file ends as articles or as rejections with a
reason, never as an exception; and no file larger than the limit is read into memory."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tasks.read
from conftest import run_flow, query
from incidents.htmltext import read_html
from incidents.model import InboxFile, ReadResult, StoredFiles
from incidents.textfiles import CONTROL_RE, Unreadable
from tasks.discover import plan_reads, walk_inbox
from tasks.read import read_file, read_jsonl


def plan_first_run(root: Path):
    """What a run over a new database would read from ``root``: every listed file is new."""
    listing = walk_inbox(root)
    return plan_reads(listing, StoredFiles(frozenset(listing.files), frozenset(), frozenset()))


REASONS = {"binary", "empty", "link_outside_inbox", "malformed_json", "malformed_sidecar", "no_text",
           "not_a_file", "orphan_sidecar", "too_large", "undecodable", "unreadable", "unsupported_type",
           "bad_file_name", "link_not_followed"}
SUFFIXES = [".txt", ".json", ".jsonl", ".html", ".htm", ".meta.json", ".md", ""]
LIMIT = 256 * 1024
REPORT = "سقطت ثلاثة صواريخ كاتيوشا على قاعدة بلد الجوية مساء الاثنين دون خسائر بشرية."
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def storable(text) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_ends_well(result: ReadResult) -> None:
    """Articles that the database can store, or rejections that say why: one or the other."""
    assert not result.deferred, "a file nobody writes is never deferred"
    assert result.articles or result.rejections
    for article in result.articles:
        assert article.text.strip() and storable(article.text) and not CONTROL_RE.search(article.text)
        for value in (article.title, article.source, article.url, article.external_id):
            assert value is None or storable(value)
        if article.published_at is not None:
            assert article.published_at.tzinfo is not None
            article.published_at.astimezone(dt.timezone.utc)
    for rejection in result.rejections:
        assert rejection.reason in REASONS and rejection.detail and storable(rejection.detail)


def read_as(data: bytes, name: str, limit: int = LIMIT) -> ReadResult:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / name).write_bytes(data)
        info = os.stat(root / name)
        return read_file(root, InboxFile(name, info.st_size, info.st_mtime_ns), limit, "Asia/Baghdad")


# ------------------------------------------------------------------------------------------------
# Contents

ARABIC = st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), min_size=1, max_size=200)
ANY_TEXT = st.one_of(ARABIC, st.text(max_size=300), st.text(alphabet="صاروخ قصف \n\r\t.،؟\"«»0123456789", max_size=300))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1256", "latin-1", "utf-32"]


@st.composite
def encoded_text(draw) -> bytes:
    """Text in one or two encodings, perhaps cut in the middle of a character."""
    parts = draw(st.lists(st.tuples(ANY_TEXT, st.sampled_from(ENCODINGS)), min_size=1, max_size=3))
    data = b"".join(text.encode(encoding, errors="replace") for text, encoding in parts)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        position = draw(st.integers(0, len(data)))
        data = data[:position] + b"\x00" * draw(st.integers(1, 4)) + data[position:]
    return data


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), ANY_TEXT)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)
DATES = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                 timezones=st.one_of(st.none(), st.timezones())).map(dt.datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2021-02-30", "yesterday", "Z",
                     "2021-06-22T13:20:00+03:00"]),
    ANY_TEXT,
)


@st.composite
def article_objects(draw):
    article = {"text": draw(st.one_of(ANY_TEXT, st.just(REPORT), JSON_VALUES))}
    for key, values in (("published_at", DATES), ("id", JSON_VALUES), ("title", JSON_VALUES),
                        ("source", JSON_VALUES), ("url", ANY_TEXT)):
        if draw(st.booleans()):
            article[key] = draw(values)
    return draw(st.one_of(st.just(article), JSON_VALUES))


@st.composite
def json_documents(draw) -> bytes:
    text = json.dumps(draw(article_objects()), ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        # A JSON escape for half a UTF-16 pair: valid JSON, and text Python cannot encode.
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(["\\ud800", "\\udfff", "\\u0000"])) + text[position:]
    data = text.encode("utf-8")
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


@st.composite
def jsonl_documents(draw) -> bytes:
    lines = draw(st.lists(json_documents(), min_size=1, max_size=5))
    return draw(st.sampled_from([b"\n", b"\r\n"])).join(lines)


HTML_PIECES = st.one_of(
    st.sampled_from(["<p>", "</p>", "<div class='nav menu'>", "<div>", "</div>", "<article>", "</article>",
                     "<script>document.write('x')</script>", "<script>", "<style>p{}</style>", "<!--", "-->",
                     "<![CDATA[", "]]>", "&amp;", "&#xD800;", "&#0;", "&#x110000;", "&bogus;", "<", ">",
                     "<meta charset='windows-1256'>", "<meta charset='utf-8'>", "<title>", "</title>",
                     "<meta property='article:published_time' content='0001-01-01T00:00:00+14:00'>",
                     "<meta property='og:title' content='\u202e'>", "<br/>", "<li>", "<main>", "<table><tr><td>",
                     "<footer>", "<svg><script>1</script></svg>", "<iframe src='file:///etc/passwd'>"]),
    ANY_TEXT, st.just(REPORT),
)


@st.composite
def html_documents(draw) -> bytes:
    page = "".join(draw(st.lists(HTML_PIECES, max_size=40)))
    return page.encode(draw(st.sampled_from(["utf-8", "cp1256", "utf-16"])), errors="replace")


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(data, suffix):
    assert_ends_well(read_as(data, "file" + suffix))


@FUZZ
@given(data=encoded_text(), suffix=st.sampled_from([".txt", ".html", ".json"]))
def test_mixed_and_truncated_encodings(data, suffix):
    assert_ends_well(read_as(data, "article" + suffix))


@FUZZ
@given(data=json_documents())
def test_json_articles(data):
    assert_ends_well(read_as(data, "article.json"))


@FUZZ
@given(data=jsonl_documents())
def test_jsonl_feeds(data):
    result = read_as(data, "feed.jsonl")
    assert_ends_well(result)
    try:
        articles, rejections = read_jsonl(data, "feed.jsonl", "Asia/Baghdad")
    except Unreadable:
        return
    # A feed's lines are kept apart: each good line is an article, each bad one a rejection.
    assert {a.source_file for a in articles}.isdisjoint({r.source_file for r in rejections})


@FUZZ
@given(data=html_documents())
def test_html_pages(data):
    assert_ends_well(read_as(data, "page.html"))
    try:
        article = read_html(data, "page.html", "Asia/Baghdad")
    except Unreadable:
        return
    assert "document.write" not in article.text


@FUZZ
@given(data=encoded_text(), sidecar=json_documents())
def test_text_with_any_sidecar(data, sidecar):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a.txt").write_bytes(data)
        (root / "a.meta.json").write_bytes(sidecar)
        delta = plan_first_run(root)
        assert [file.source_file for file in delta.to_read] == ["a.txt"]
        assert_ends_well(read_file(root, delta.to_read[0], LIMIT, "Asia/Baghdad"))


NAME_CHARACTERS = st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))


@FUZZ
@given(stem=st.text(alphabet=NAME_CHARACTERS, min_size=1, max_size=40), suffix=st.sampled_from(SUFFIXES),
       raw_bytes=st.binary(min_size=1, max_size=8))
def test_odd_file_names(stem, suffix, raw_bytes):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        names = [stem + suffix, os.fsdecode(raw_bytes.replace(b"/", b"_").replace(b"\x00", b"_") + b".txt")]
        for name in names:
            if name in (".", "..") or len(os.fsencode(name)) > 255:
                continue
            (root / name).write_text(REPORT, encoding="utf-8")
        delta = plan_first_run(root)
        for rejection in delta.rejected:
            assert rejection.reason in REASONS and storable(rejection.source_file)
        for file in delta.to_read:
            assert storable(file.source_file)
            assert_ends_well(read_file(root, file, LIMIT, "Asia/Baghdad"))


# ------------------------------------------------------------------------------------------------
# Sizes and shapes no generator reaches in a few hundred examples

ENORMOUS = {
    "one 2 MB line": ("article.txt", (REPORT[:-1] + " ") * 26000),
    "a JSON line of 2 MB": ("feed.jsonl", json.dumps({"text": REPORT * 14000}, ensure_ascii=False)),
    "JSON nested 100 000 deep": ("deep.json", "[" * 100_000 + "]" * 100_000),
    "JSON object nested 100 000 deep": ("deep.json", '{"a":' * 100_000 + "1" + "}" * 100_000),
    "JSONL of deep lines": ("deep.jsonl", "\n".join(["[" * 50_000 + "]" * 50_000] * 3)),
    "a JSON array of 200 000 numbers": ("big.json", json.dumps(list(range(200_000)))),
    "HTML nested 50 000 deep": ("deep.html", "<div>" * 50_000 + f"<p>{REPORT}</p>" + "</div>" * 50_000),
    "HTML of 100 000 unclosed tags": ("open.html", "<p><b><i>" * 33_000 + REPORT),
    "HTML with only scripts": ("script.html", "<script>" + "x=1;" * 100_000 + "</script>"),
    "100 000 empty lines": ("blank.txt", "\n" * 100_000),
}


@pytest.mark.parametrize("shape", sorted(ENORMOUS))
def test_enormous_and_deep_inputs(shape):
    name, text = ENORMOUS[shape]
    assert_ends_well(read_as(text.encode("utf-8"), name, limit=20 * 1024 * 1024))


def test_file_over_the_limit_is_never_opened(tmp_path, monkeypatch):
    (tmp_path / "huge.txt").write_bytes(b"x" * (LIMIT + 1))
    opened = []
    monkeypatch.setattr(tasks.read, "open", lambda *args, **kwargs: opened.append(args), raising=False)
    result = read_file(tmp_path, InboxFile("huge.txt", LIMIT + 1, 0), LIMIT, "Asia/Baghdad")
    assert [r.reason for r in result.rejections] == ["too_large"] and opened == []


def test_file_that_grew_past_the_limit_is_read_no_further(tmp_path):
    path = tmp_path / "growing.txt"
    with open(path, "wb") as handle:
        handle.truncate(1024 ** 3)  # a sparse 1 GB file: discovery saw it when it held 100 bytes
    tracemalloc.start()
    try:
        result = read_file(tmp_path, InboxFile("growing.txt", 100, 0), LIMIT, "Asia/Baghdad")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.reason for r in result.rejections] == ["too_large"]
    assert peak < 3 * LIMIT, f"{peak} bytes allocated to read a file with a {LIMIT}-byte limit"


def test_permission_denied_is_a_rejection(tmp_path, monkeypatch):
    (tmp_path / "locked.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "open.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "open.meta.json").write_text('{"source": "INA"}', encoding="utf-8")
    real_open = open

    def denied(path, *args, **kwargs):
        if Path(path).name in ("locked.txt", "open.meta.json"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    # As root (as in CI) file modes do not stop reads: the refusal is made where the reader opens.
    monkeypatch.setattr(tasks.read, "open", denied, raising=False)
    delta = plan_first_run(tmp_path)
    results = {file.source_file: read_file(tmp_path, file, LIMIT, "Asia/Baghdad") for file in delta.to_read}
    assert [(r.reason, r.detail) for r in results["locked.txt"].rejections] == [
        ("unreadable", "permission denied: Permission denied")]
    assert results["open.txt"].articles[0].source is None
    assert [r.source_file for r in results["open.txt"].rejections] == ["open.meta.json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files and lists folders whatever their mode")
def test_unreadable_file_and_folder_by_mode(tmp_path):
    (tmp_path / "locked.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "inside.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "locked.txt").chmod(0)
    (tmp_path / "closed").chmod(0)
    try:
        delta = plan_first_run(tmp_path)
        results = [read_file(tmp_path, file, LIMIT, "Asia/Baghdad") for file in delta.to_read]
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert {r.source_file: r.reason for r in delta.rejected} == {"closed": "unreadable"}
    assert [r.reason for result in results for r in result.rejections] == ["unreadable"]


def test_link_loops_do_not_trap_discovery(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "report.txt").write_text(REPORT, encoding="utf-8")
    os.symlink(tmp_path, tmp_path / "sub" / "back_to_the_top")
    os.symlink(".", tmp_path / "sub" / "itself")
    os.symlink("loop.txt", tmp_path / "loop.txt")
    os.symlink("ping.txt", tmp_path / "pong.txt")
    os.symlink("pong.txt", tmp_path / "ping.txt")
    os.symlink("nowhere.txt", tmp_path / "dangling.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    listing = walk_inbox(tmp_path)
    files, rejected = listing.files, listing.rejected
    assert list(files) == ["sub/report.txt"]
    assert {r.source_file: r.reason for r in rejected} == {
        "sub/back_to_the_top": "link_not_followed", "sub/itself": "link_not_followed",
        "loop.txt": "unreadable", "ping.txt": "unreadable", "pong.txt": "unreadable",
        "dangling.txt": "unreadable", "pipe.txt": "not_a_file"}


NASTY_FILES = {
    "bom then NUL.txt": codecs.BOM_UTF8 + b"\x00" * 10 + REPORT.encode(),
    "utf16 odd length.txt": codecs.BOM_UTF16_LE + REPORT.encode("utf-16-le")[:-1],
    "cut in a character.txt": REPORT.encode()[:-1],
    "surrogate escape.json": ('{"text": "%s \\ud800"}' % REPORT).encode(),
    "year one at +14.json": json.dumps({"text": REPORT, "published_at": "0001-01-01T00:00:00+14:00"}).encode(),
    "half a line.jsonl": json.dumps({"text": REPORT}, ensure_ascii=False).encode() + b'\n{"text": "',
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "broken.html": f"<html><body><p>{REPORT}<div><script>x".encode(),
    "new\nline.txt": REPORT.encode(),
    " spaces .txt": REPORT.encode(),
    "\u202eright to left\u202c.txt": REPORT.encode(),
    "e\u0301\u0301\u0301 combining.txt": REPORT.encode(),
}


def test_a_run_over_every_kind_of_bad_input_accounts_for_each_file(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    for name, data in NASTY_FILES.items():
        (inbox / name).write_bytes(data)
    (inbox / os.fsdecode(b"not utf8 \xff\xfe.txt")).write_bytes(REPORT.encode())
    os.symlink(inbox, inbox / "sub" / "loop")
    os.symlink("ping.txt", inbox / "pong.txt")
    os.symlink("pong.txt", inbox / "ping.txt")
    os.mkfifo(inbox / "pipe.txt")
    db = tmp_path / "incidents.duckdb"
    run_flow(inbox, db)

    read = {row[0].split("#")[0] for row in query(db, "SELECT source_file FROM articles")}
    rejected = {row[0].split("#")[0] for row in query(db, "SELECT source_file FROM rejected_files")}
    expected = set(NASTY_FILES) | {"not utf8 \\xff\\xfe.txt", "sub/loop", "ping.txt", "pong.txt", "pipe.txt"}
    assert read | rejected == expected
    assert query(db, "SELECT reason FROM rejected_files WHERE source_file LIKE 'not utf8%'") == [("bad_file_name",)]
