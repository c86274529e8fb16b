"""`incidents export`: CSV, Parquet and GeoJSON files, and the ACLED-like layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from conftest import DEVSET_INBOX, query, run_flow
from incidents import export
from incidents.cli import main
from incidents.store import read_only_connection

ACLED_COLUMNS = ["event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1",
                 "civilian_targeting", "iso", "country", "admin1", "location", "latitude", "longitude",
                 "geo_precision", "source", "notes", "fatalities", "incident_id"]

# The mapping as docs/analyst-guide.md states it: (weapon, target is civilian) -> ACLED types.
ACLED_TYPES = {
    ("rocket", False): ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("mortar", False): ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("missile", True): ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("drone", False): ("Explosions/Remote violence", "Air/drone strike"),
    ("airstrike", True): ("Explosions/Remote violence", "Air/drone strike"),
    ("ied", False): ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    ("gunfire", True): ("Violence against civilians", "Attack"),
    ("gunfire", False): ("Battles", "Armed clash"),
    ("unknown", True): ("Violence against civilians", "Attack"),
    ("unknown", False): (None, None),
}


@pytest.fixture(scope="module")
def devset_db(prefect_server, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("devset")
    inbox = shutil.copytree(DEVSET_INBOX, folder / "inbox")
    db = folder / "incidents.duckdb"
    run_flow(inbox, db)
    return db


@pytest.fixture
def conn(devset_db):
    connection = read_only_connection(devset_db)
    yield connection
    connection.close()


def test_csv_holds_every_incident_with_lists_joined(conn, devset_db, tmp_path):
    out = tmp_path / "incidents.csv"
    assert export.export(conn, "csv", out) == query(devset_db, "SELECT count(*) FROM incidents")[0][0]
    table = pa_csv.read_csv(out)
    view_columns = [d[0] for d in conn.execute("SELECT * FROM v_incidents LIMIT 0").description]
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


def test_parquet_keeps_the_types(conn, devset_db, tmp_path):
    out = tmp_path / "incidents.parquet"
    export.export(conn, "parquet", out)
    table = pq.read_table(out)
    assert str(table.schema.field("outlets").type) == "list<element: string>"
    assert str(table.schema.field("event_date").type) == "date32[day]"
    assert table.num_rows == query(devset_db, "SELECT count(*) FROM incidents")[0][0]
    killed = dict(query(devset_db, "SELECT incident_id, killed FROM incidents"))
    assert {r["incident_id"]: r["killed"] for r in table.select(["incident_id", "killed"]).to_pylist()} == killed


def test_geojson_has_a_point_per_placed_incident(conn, devset_db, tmp_path):
    out = tmp_path / "incidents.geojson"
    export.export(conn, "geojson", out)
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


def test_acled_layout_on_the_dev_set(conn, devset_db, tmp_path):
    out = tmp_path / "acled.csv"
    count = export.export(conn, "csv", out, acled=True)
    assert count == query(devset_db, "SELECT count(*) FROM incidents WHERE NOT is_background")[0][0]
    table = pa_csv.read_csv(out, convert_options=pa_csv.ConvertOptions(strings_can_be_null=True))
    assert table.column_names == ACLED_COLUMNS
    incidents = {row[0]: row[1:] for row in query(devset_db, """
        SELECT incident_id, weapon_type, target_type, date_precision, killed, country, geo_precision FROM incidents""")}
    precision = {"day": 1, "week": 2, "month": 3, "year": 3, "unknown": None}
    for row in table.to_pylist():
        weapon, target, date_precision, killed, country, geo_precision = incidents[row["incident_id"]]
        assert (row["event_type"], row["sub_event_type"]) == ACLED_TYPES.get(
            (weapon, target == "civilian"), ACLED_TYPES.get((weapon, not target == "civilian")))
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
    for number, (weapon, civilian) in enumerate(ACLED_TYPES):
        conn.execute("INSERT INTO v_incidents VALUES (?, DATE '2021-05-03', 'day', ?, ?, NULL, 'Iraq', 'Anbar', "
                     "NULL, 'Ain al-Asad Air Base', 33.8, 42.44, 'site', ['INA', 'AFP'], 'جملة', 1, false)",
                     [f"inc_{number:012d}", weapon, "civilian" if civilian else "military"])
    rows = export.acled_table(conn).to_pylist()
    weapons = {row["incident_id"]: key for row, key in zip(
        sorted(rows, key=lambda r: r["incident_id"]), ACLED_TYPES)}
    for row in rows:
        assert (row["event_type"], row["sub_event_type"]) == ACLED_TYPES[weapons[row["incident_id"]]]
        assert row["civilian_targeting"] == ("Civilian targeting" if weapons[row["incident_id"]][1] else None)
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


def test_a_failed_write_leaves_no_file(conn, tmp_path):
    table = export.incidents_table(conn)
    out = tmp_path / "incidents.csv"
    with pytest.raises(ValueError):
        export.write_table(table, "xlsx", out)
    with pytest.raises(TypeError):
        export.write_table(table.append_column("bad", [[object()] * table.num_rows]), "geojson", out)
    assert list(tmp_path.iterdir()) == []
