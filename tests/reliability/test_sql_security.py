"""`incidents sql` only reads: it opens the database read-only, with file access and extension
loading off and the configuration locked, so a query can neither write nor reach the machine.
HTML is parsed as data, never run, and external entities are not resolved."""

from __future__ import annotations

import hashlib

import pytest
from reliability_support import run_cli

from conftest import run_flow
from incidents.cli import build_parser, cmd_sql
from incidents.htmltext import read_html

REPORT = "سقطت ثلاثة صواريخ كاتيوشا على قاعدة بلد الجوية مساء الاثنين دون خسائر بشرية."

REFUSED = {
    "copy to a file": "COPY incidents TO '{out}/incidents.csv'",
    "copy to parquet": "COPY (SELECT 1 AS x) TO '{out}/x.parquet' (FORMAT parquet)",
    "export the database": "EXPORT DATABASE '{out}/export'",
    "write after a harmless statement": "SELECT 1; COPY articles TO '{out}/articles.csv'",
    "install an extension": "INSTALL httpfs",
    "load an external extension": "LOAD httpfs",
    "attach another file": "ATTACH '{out}/other.duckdb' AS other",
    "create a table": "CREATE TABLE notes (x INTEGER)",
    "insert": "INSERT INTO rejected_files (source_file, reason, seen_at) VALUES ('x', 'y', now())",
    "delete": "DELETE FROM incidents",
    "drop": "DROP TABLE incidents",
    "turn file access back on": "SET enable_external_access = true",
    "unlock the configuration": "SET lock_configuration = false",
    "profile into a file": "SET profiling_output = '{out}/profile.json'",
    "read /etc/passwd as CSV": "SELECT * FROM read_csv('/etc/passwd')",
    "read /etc/passwd as text": "SELECT * FROM read_text('/etc/passwd')",
    "list a folder": "SELECT * FROM glob('/etc/*')",
    "read JSON from a file": "SELECT * FROM read_json('/etc/os-release')",
    "store a secret": "CREATE SECRET leak (TYPE s3, KEY_ID 'a', SECRET 'b')",
}
# Allowed, and harmless: what they touch lives in memory or is compiled into DuckDB.
HARMLESS = {
    "load a built-in extension": "LOAD json",
    "a temporary table": "CREATE TEMP TABLE scratch AS SELECT * FROM incidents",
    "a checkpoint": "CHECKPOINT",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    path = tmp_path_factory.mktemp("data") / "incidents.duckdb"
    run_flow(inbox, path)
    return path


def files_under(*folders) -> set:
    return {path for folder in folders for path in folder.rglob("*")}


def sql_command(db, query: str, capsys) -> tuple[int, str]:
    """`incidents sql` in this process (the command's own code, without a start-up per query)."""
    capsys.readouterr()
    code = cmd_sql(build_parser().parse_args(["sql", "--db", str(db), query]))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("attempt", sorted(REFUSED))
def test_query_that_would_write_or_reach_the_machine_fails(attempt, db, tmp_path, capsys):
    digest, before = hashlib.sha256(db.read_bytes()).hexdigest(), files_under(db.parent, tmp_path)
    code, stderr = sql_command(db, REFUSED[attempt].format(out=tmp_path), capsys)
    assert code != 0
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("incidents: query failed: ")
    assert files_under(db.parent, tmp_path) == before
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("statement", sorted(HARMLESS))
def test_harmless_statements_leave_no_trace(statement, db, capsys):
    digest, before = hashlib.sha256(db.read_bytes()).hexdigest(), files_under(db.parent)
    code, stderr = sql_command(db, HARMLESS[statement], capsys)
    assert code == 0, stderr
    assert files_under(db.parent) == before
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_refused_query_exits_non_zero_from_the_command_line(db, tmp_path):
    result = run_cli("sql", "--db", str(db), f"COPY incidents TO '{tmp_path}/incidents.csv'")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'incidents: query failed: Permission Error: Cannot access file "{tmp_path}/incidents.csv" - '
        "file system operations are disabled by configuration"]
    assert list(tmp_path.iterdir()) == []


def test_html_is_parsed_never_run(tmp_path):
    marker = tmp_path / "ran"
    page = f"""<!DOCTYPE html [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
    <html><head><script>require('fs').writeFileSync('{marker}', 'x')</script>
    <meta http-equiv="refresh" content="0; url=file:///etc/passwd">
    <link rel="import" href="file:///etc/passwd"><style>@import url(file:///etc/passwd);</style></head>
    <body onload="document.write('مكتوب بالسكربت')"><iframe src="file:///etc/passwd"></iframe>
    <img src="x" onerror="alert(1)"><object data="file:///etc/passwd"></object>
    <article><p>{REPORT} &secret;</p><script>document.write('نص من سكربت')</script></article></body></html>"""
    article = read_html(page.encode("utf-8"), "page.html", "Asia/Baghdad")
    assert REPORT in article.text
    assert "root:" not in article.text and "سكربت" not in article.text and "writeFileSync" not in article.text
    assert not marker.exists()
