"""Incidents out of the database into files that other tools read: CSV, Parquet, GeoJSON.

Every function takes a read-only DuckDB connection (``store.read_only_connection``). That
connection may not touch files, so DuckDB's own COPY is not an option: the rows come out as an
Arrow table and pyarrow or json writes them. A file is written beside its target and renamed
into place, so an export that fails leaves no half-written file behind.

Two layouts:

- the incidents layout: every column of ``v_incidents``, background incidents included (see
  ``is_background``);
- the ACLED-like layout (``acled_table``): one row per attack the reports are about, with ACLED's
  column names and codes, so that the rows can be set beside an ACLED export. How weapons map to
  ACLED's event types is in ``ACLED_SQL`` and in docs/analyst-guide.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet", "geojson")

INCIDENTS_SQL = "SELECT * FROM v_incidents ORDER BY event_date DESC NULLS LAST, incident_id"

# ACLED's codebook: time_precision 1 = the day is known, 2 = the week, 3 = the month (or only a
# coarser period); geo_precision 1 = the town or site itself, 2 = a point near it or a part of a
# town, 3 = only the governorate or a larger area. event_type/sub_event_type follow the weapon:
# indirect fire (rockets, mortars, missiles) is "Shelling/artillery/missile attack", drones and
# aircraft are "Air/drone strike", roadside bombs are "Remote explosive/landmine/IED"; gunfire is
# "Violence against civilians/Attack" when civilians were the target and "Battles/Armed clash"
# otherwise. An unknown weapon is "Violence against civilians/Attack" when civilians were the
# target and left blank otherwise: ACLED would need a coder to read the report.
ACLED_SQL = """
WITH countries(country, iso3, iso) AS (
    VALUES ('Iraq', 'IRQ', 368), ('Syria', 'SYR', 760), ('Iran', 'IRN', 364), ('Kuwait', 'KWT', 414),
           ('Jordan', 'JOR', 400), ('Saudi Arabia', 'SAU', 682), ('Turkey', 'TUR', 792),
           ('Lebanon', 'LBN', 422), ('Israel', 'ISR', 376)
)
SELECT
    coalesce(c.iso3, 'XXX') || substr(i.incident_id, 5) AS event_id_cnty,
    strftime(i.event_date, '%Y-%m-%d') AS event_date,
    year(i.event_date) AS year,
    CASE i.date_precision WHEN 'day' THEN 1 WHEN 'week' THEN 2 WHEN 'month' THEN 3 WHEN 'year' THEN 3 END
        AS time_precision,
    CASE
        WHEN i.weapon_type IN ('rocket', 'mortar', 'missile', 'drone', 'airstrike', 'ied')
            THEN 'Explosions/Remote violence'
        WHEN i.target_type = 'civilian' THEN 'Violence against civilians'
        WHEN i.weapon_type = 'gunfire' THEN 'Battles'
    END AS event_type,
    CASE
        WHEN i.weapon_type IN ('rocket', 'mortar', 'missile') THEN 'Shelling/artillery/missile attack'
        WHEN i.weapon_type IN ('drone', 'airstrike') THEN 'Air/drone strike'
        WHEN i.weapon_type = 'ied' THEN 'Remote explosive/landmine/IED'
        WHEN i.target_type = 'civilian' THEN 'Attack'
        WHEN i.weapon_type = 'gunfire' THEN 'Armed clash'
    END AS sub_event_type,
    i.perpetrator_claimed AS actor1,
    CASE WHEN i.target_type = 'civilian' THEN 'Civilian targeting' END AS civilian_targeting,
    c.iso,
    i.country,
    i.admin1,
    coalesce(i.city, i.location_name, i.admin1) AS location,
    i.latitude,
    i.longitude,
    CASE i.geo_precision WHEN 'site' THEN 1 WHEN 'city' THEN 1 WHEN 'district' THEN 2
                         WHEN 'governorate' THEN 3 WHEN 'country' THEN 3 END AS geo_precision,
    array_to_string(i.outlets, '; ') AS source,
    i.evidence AS notes,
    i.killed AS fatalities,
    i.incident_id
FROM v_incidents i
LEFT JOIN countries c ON c.country = i.country
WHERE NOT i.is_background
ORDER BY i.event_date DESC NULLS LAST, i.incident_id
"""


def incidents_table(conn: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every incident with its sources and evidence (the columns of ``v_incidents``)."""
    return conn.sql(INCIDENTS_SQL).to_arrow_table()


def acled_table(conn: duckdb.DuckDBPyConnection) -> pa.Table:
    """The attacks the reports are about, in ACLED's column layout."""
    return conn.sql(ACLED_SQL).to_arrow_table()


def _flat_for_csv(table: pa.Table) -> pa.Table:
    """CSV has no lists and no time zones: lists become '; '-joined text, times ISO 8601."""
    columns = []
    for column in table.columns:
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            column = pa.array(["; ".join(str(item) for item in items) if items is not None else None
                               for items in column.to_pylist()], pa.string())
        elif pa.types.is_timestamp(column.type):
            column = pc.strftime(column.cast(pa.timestamp("s"), safe=False), "%Y-%m-%dT%H:%M:%S")
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def geojson_document(table: pa.Table) -> dict:
    """A FeatureCollection: a Point per row (null geometry where no place is known)."""
    features = []
    for row in table.to_pylist():
        longitude, latitude = row.pop("longitude", None), row.pop("latitude", None)
        geometry = (
            {"type": "Point", "coordinates": [longitude, latitude]}
            if longitude is not None and latitude is not None else None
        )
        properties = {key: _json_value(value) for key, value in row.items()}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def _write_in_place(out: Path, write) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        write(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def write_table(table: pa.Table, fmt: str, out: Path) -> None:
    if fmt == "csv":
        _write_in_place(out, lambda path: pa_csv.write_csv(_flat_for_csv(table), path))
    elif fmt == "parquet":
        _write_in_place(out, lambda path: pq.write_table(table, path))
    elif fmt == "geojson":
        text = json.dumps(geojson_document(table), ensure_ascii=False)
        _write_in_place(out, lambda path: path.write_text(text + "\n", encoding="utf-8"))
    else:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")


def export(conn: duckdb.DuckDBPyConnection, fmt: str, out: Path, acled: bool = False) -> int:
    """Writes the incidents (or their ACLED-like rows) to ``out``; returns the number of rows."""
    table = acled_table(conn) if acled else incidents_table(conn)
    write_table(table, fmt, out)
    return table.num_rows
