"""`incidents export`: CSV, Parquet and GeoJSON files, and the ACLED-like layout."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from conftest import query
from incidents import export
from incidents.cli import main
from incidents.store import read_only_connection

ACLED_COLUMNS = ["event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1",
                 "civilian_targeting", "iso", "country", "admin1", "location", "latitude", "longitude",
                 "geo_precision", "source", "notes", "fatalities", "incident_id"]

# pyarrow writes NULL as an empty field and '' as "".
NULL_IS_EMPTY = pa_csv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)

WEAPONS = ("rocket", "mortar", "drone", "ied", "missile", "airstrike", "gunfire", "unknown")


def acled_types(weapon: str, civilian_target: bool) -> tuple[str | None, str | None]:
    """The mapping as docs/analyst-guide.md states it."""
    if weapon in ("rocket", "mortar", "missile"):
        return "Explosions/Remote violence", "Shelling/artillery/missile attack"
    if weapon in ("drone", "airstrike"):
        return "Explosions/Remote violence", "Air/drone strike"
    if weapon == "ied":
        return "Explosions/Remote violence", "Remote explosive/landmine/IED"
    if civilian_target:
        return "Violence against civilians", "Attack"
    if weapon == "gunfire":
        return "Battles", "Armed clash"
    return None, None



def _export(db: Path, fmt: str, out: Path, acled: bool = False) -> int:
    # One connection at a time: DuckDB shares one instance per file within a process.
    conn = read_only_connection(db)
    try:
        return export.export(conn, fmt, out, acled)
    finally:
        conn.close()


def test_csv_holds_every_incident_with_lists_joined(devset_db, tmp_path):
    out = tmp_path / "incidents.csv"
    assert _export(devset_db, "csv", out) == query(devset_db, "SELECT count(*) FROM incidents")[0][0]
    table = pa_csv.read_csv(out, convert_options=NULL_IS_EMPTY)
    view_columns = [row[0] for row in query(devset_db, "SELECT column_name FROM information_schema.columns "
                                                       "WHERE table_name = 'v_incidents' ORDER BY ordinal_position")]
    assert table.column_names == view_columns
    rows = {row["incident_id"]: row for row in table.to_pylist()}
    expected = query(devset_db, """
        SELECT incident_id, location_name_ar, array_to_string(outlets, '; '),
               strftime(first_published_at, '%Y-%m-%dT%H:%M:%S')
        FROM v_incidents""")
    for incident_id, arabic_name, outlets, first_published in expected:
        row = rows[incident_id]
        assert row["location_name_ar"] == arabic_name
        assert (row["outlets"] or "") == outlets
        assert (str(row["first_published_at"]).replace(" ", "T") if row["first_published_at"] else None) == \
            first_published


def test_parquet_keeps_the_types(devset_db, tmp_path):
    out = tmp_path / "incidents.parquet"
    _export(devset_db, "parquet", out)
    table = pq.read_table(out)
    assert str(table.schema.field("outlets").type) == "list<element: string>"
    assert str(table.schema.field("event_date").type) == "date32[day]"
    assert table.num_rows == query(devset_db, "SELECT count(*) FROM incidents")[0][0]
    killed = dict(query(devset_db, "SELECT incident_id, killed FROM incidents"))
    assert {r["incident_id"]: r["killed"] for r in table.select(["incident_id", "killed"]).to_pylist()} == killed


def test_geojson_has_a_point_per_placed_incident(devset_db, tmp_path):
    out = tmp_path / "incidents.geojson"
    _export(devset_db, "geojson", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    places = {row[0]: row[1:] for row in query(devset_db, "SELECT incident_id, longitude, latitude FROM incidents")}
    assert len(document["features"]) == len(places)
    for feature in document["features"]:
        longitude, latitude = places[feature["properties"]["incident_id"]]
        if latitude is None:
            assert feature["geometry"] is None
        else:
            assert feature["geometry"] == {"type": "Point", "coordinates": [longitude, latitude]}
        assert "latitude" not in feature["properties"]
    assert any(f["properties"]["evidence"] for f in document["features"])


def test_acled_layout_on_the_dev_set(devset_db, tmp_path):
    out = tmp_path / "acled.csv"
    count = _export(devset_db, "csv", out, acled=True)
    assert count == query(devset_db, "SELECT count(*) FROM incidents WHERE NOT is_background")[0][0]
    table = pa_csv.read_csv(out, convert_options=NULL_IS_EMPTY)
    assert table.column_names == ACLED_COLUMNS
    incidents = {row[0]: row[1:] for row in query(devset_db, """
        SELECT incident_id, weapon_type, target_type, date_precision, killed, country, geo_precision FROM incidents""")}
    precision = {"day": 1, "week": 2, "month": 3, "year": 3, "unknown": None}
    for row in table.to_pylist():
        weapon, target, date_precision, killed, country, geo_precision = incidents[row["incident_id"]]
        assert (row["event_type"], row["sub_event_type"]) == acled_types(weapon, target == "civilian")
        assert row["time_precision"] == precision[date_precision]
        assert row["fatalities"] == killed
        assert row["geo_precision"] in ({1} if geo_precision in ("site", "city") else {2} if geo_precision == "district"
                                        else {3} if geo_precision else {None})
        if country == "Iraq":
            assert row["event_id_cnty"] == "IRQ" + row["incident_id"].removeprefix("inc_") and row["iso"] == 368


def test_acled_mapping_covers_every_weapon_and_target():
    """Every weapon, against civilians and against anything else, on a stand-in v_incidents."""
    conn = duckdb.connect()
    conn.execute("""
        CREATE TABLE v_incidents (incident_id VARCHAR, event_date DATE, date_precision VARCHAR, weapon_type VARCHAR,
            target_type VARCHAR, perpetrator_claimed VARCHAR, country VARCHAR, admin1 VARCHAR, city VARCHAR,
            location_name VARCHAR, latitude DOUBLE, longitude DOUBLE, geo_precision VARCHAR, outlets VARCHAR[],
            evidence VARCHAR, killed INTEGER, is_background BOOLEAN)""")
    cases = {f"inc_{number:012d}": (weapon, civilian)
             for number, (weapon, civilian) in enumerate((w, c) for w in WEAPONS for c in (True, False))}
    for incident_id, (weapon, civilian) in cases.items():
        conn.execute("INSERT INTO v_incidents VALUES (?, DATE '2021-05-03', 'day', ?, ?, NULL, 'Iraq', 'Anbar', "
                     "NULL, 'Ain al-Asad Air Base', 33.8, 42.44, 'site', ['INA', 'AFP'], 'جملة', 1, false)",
                     [incident_id, weapon, "civilian" if civilian else "military"])
    rows = export.acled_table(conn).to_pylist()
    assert len(rows) == len(cases)
    for row in rows:
        weapon, civilian = cases[row["incident_id"]]
        assert (row["event_type"], row["sub_event_type"]) == acled_types(weapon, civilian), (weapon, civilian)
        assert row["civilian_targeting"] == ("Civilian targeting" if civilian else None)
        assert row["source"] == "INA; AFP" and row["location"] == "Ain al-Asad Air Base" and row["geo_precision"] == 1


def test_cli_export_takes_the_format_from_the_file_name(devset_db, tmp_path, capsys):
    out = tmp_path / "nested" / "points.geojson"
    assert main(["export", "--db", str(devset_db), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    assert "points.geojson" in capsys.readouterr().out
    acled = tmp_path / "acled.data"
    assert main(["export", "--db", str(devset_db), "--format", "csv", "--acled", "--out", str(acled)]) == 0
    assert acled.read_text(encoding="utf-8").startswith('"event_id_cnty","event_date"')


def test_cli_export_failures_are_one_line(devset_db, tmp_path, capsys):
    assert main(["export", "--db", str(devset_db), "--out", str(tmp_path / "out.xlsx")]) == 2
    assert main(["export", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x.csv")]) == 1
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["export", "--db", str(devset_db), "--out", str(blocker / "x.csv")]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(line.startswith("incidents: ") for line in errors)


def test_a_failed_write_leaves_no_file(tmp_path):
    out = tmp_path / "incidents.csv"
    with pytest.raises(ValueError):
        export.write_table(pa.table({"incident_id": ["inc_1"]}), "xlsx", out)

    def write_half_then_fail(path: Path) -> None:
        path.write_text("incident_id\ninc_", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        export._write_in_place(out, write_half_then_fail)
    assert list(tmp_path.iterdir()) == []
