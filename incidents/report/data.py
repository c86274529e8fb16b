"""What the report shows, read from the database through a read-only connection and the views of
``sql/views``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from incidents.report.charts import in_map_frame

RECENT_LIMIT = 30
CONFLICT_LIMIT = 40
RUN_LIMIT = 30


@dataclass
class ReportData:
    db_label: str
    generated_at: dt.datetime
    totals: dict
    places: list[dict]          # places of attacks inside the map's frame, one mark each
    unmapped: list[dict]        # places of attacks outside it
    months: list[dict]
    undated: int                # attacks the timeline cannot place in a month
    recent: list[dict]
    conflicts: list[dict]
    runs: list[dict]


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _timeline(conn: duckdb.DuckDBPyConnection) -> tuple[list[dict], int]:
    rows = _rows(conn, """
        SELECT date_trunc('month', event_date)::DATE AS month, weapon_type, count(*) AS incidents,
               coalesce(sum(killed), 0) AS killed, coalesce(sum(injured), 0) AS injured
        FROM incidents
        WHERE NOT is_background AND event_date IS NOT NULL AND date_precision IN ('day', 'week', 'month')
        GROUP BY ALL""")
    undated = conn.execute("""
        SELECT count(*) FROM incidents
        WHERE NOT is_background AND (event_date IS NULL OR date_precision NOT IN ('day', 'week', 'month'))
    """).fetchone()[0]
    if not rows:
        return [], undated
    by_month = {m: {"month": m, "weapons": {}, "killed": 0, "injured": 0}
                for m in _months_between(min(r["month"] for r in rows), max(r["month"] for r in rows))}
    for row in rows:
        bucket = by_month[row["month"]]
        bucket["weapons"][row["weapon_type"]] = row["incidents"]
        bucket["killed"] += row["killed"]
        bucket["injured"] += row["injured"]
    return list(by_month.values()), undated


def _places(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """The places of the attacks, one per point of the gazetteer (and whether it stands for a
    governorate or a country), with their incidents by weapon: a map mark per place keeps the
    page the same size at a million incidents, and incidents at one place would overlap anyway.
    The largest come first, so that smaller marks are drawn on top and can be pointed at."""
    return _rows(conn, """
        SELECT latitude, longitude, geo_precision IN ('governorate', 'country') AS approximate,
               min(coalesce(location_name, admin1, country)) AS name, histogram(weapon_type) AS weapons,
               count(*) AS incidents, coalesce(sum(killed), 0) AS killed, coalesce(sum(injured), 0) AS injured,
               min(event_date) AS first_date, max(event_date) AS last_date,
               -- the one the table of latest incidents would list first
               first(incident_id ORDER BY event_date DESC NULLS LAST, incident_id) AS latest_id
        FROM incidents WHERE NOT is_background AND latitude IS NOT NULL
        GROUP BY latitude, longitude, approximate
        ORDER BY incidents DESC, name, latitude, longitude""")


def collect(conn: duckdb.DuckDBPyConnection, db_label: str, recent_limit: int = RECENT_LIMIT) -> ReportData:
    """Everything the page shows, read through one read-only connection."""
    totals = _rows(conn, """
        SELECT count(*) FILTER (WHERE NOT is_background) AS incidents,
               count(*) FILTER (WHERE is_background) AS background,
               coalesce(sum(killed) FILTER (WHERE NOT is_background), 0) AS killed,
               coalesce(sum(injured) FILTER (WHERE NOT is_background), 0) AS injured,
               count(*) FILTER (WHERE NOT is_background AND single_source) AS single_source,
               min(event_date) FILTER (WHERE NOT is_background) AS first_date,
               max(event_date) FILTER (WHERE NOT is_background) AS last_date
        FROM incidents""")[0]
    totals.update(_rows(conn, """
        SELECT count(*) AS articles, count(DISTINCT source) AS outlets, count(duplicate_of) AS copies,
               (SELECT count(*) FROM rejected_files) AS rejected
        FROM articles""")[0])
    mapped, unmapped = [], []
    for place in _places(conn):
        inside = in_map_frame(place["longitude"], place["latitude"])
        (mapped if inside else unmapped).append(place)
    totals["no_place"] = conn.execute(
        "SELECT count(*) FROM incidents WHERE NOT is_background AND latitude IS NULL").fetchone()[0]
    months, undated = _timeline(conn)
    recent = _rows(conn, """
        SELECT incident_id, event_date, date_precision, time_of_day, location_name, location_name_ar, city, admin1,
               country, weapon_type, weapon_detail, projectile_count, target_type, target_name, killed, killed_max,
               injured, injured_max, perpetrator_claimed, claim_disowned, perpetrator_accused, source_count,
               evidence, event_date_evidence, killed_evidence, injured_evidence
        FROM v_incidents WHERE NOT is_background
        ORDER BY event_date DESC NULLS LAST, incident_id LIMIT ?""", [recent_limit])
    sources = _rows(conn, """
        SELECT incident_id, role, outlet, source_file, title, url, published_at, duplicate_of
        FROM v_incident_sources WHERE incident_id IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY incident_id, role DESC, published_at NULLS LAST, article_id""",
        [[r["incident_id"] for r in recent]])
    for incident in recent:
        incident["sources"] = [s for s in sources if s["incident_id"] == incident["incident_id"]]
    conflicts = _rows(conn, """
        SELECT c.incident_id, i.event_date, i.location_name, c.field,
               list({'value': c.value, 'outlet': coalesce(c.outlet, c.article_id), 'chosen': c.chosen}
                    ORDER BY c.published_at NULLS LAST, c.article_id) AS sources
        FROM v_conflicts c JOIN incidents i ON i.incident_id = c.incident_id
        WHERE NOT i.is_background
        GROUP BY ALL ORDER BY i.event_date DESC NULLS LAST, c.incident_id, c.field LIMIT ?""", [CONFLICT_LIMIT])
    runs = _rows(conn, "SELECT * FROM pipeline_runs ORDER BY run_id DESC LIMIT ?", [RUN_LIMIT])
    totals["runs"] = conn.execute("SELECT count(*) FROM pipeline_runs").fetchone()[0]
    return ReportData(db_label, dt.datetime.now(dt.timezone.utc).replace(microsecond=0), totals, mapped, unmapped,
                      months, undated, recent, conflicts, runs)


def latest_incidents_rows(conn: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict]:
    """The rows of the run's table artifact: the latest incidents, as plain text values.

    The 20 are picked from ``incidents`` before their outlets are joined: ``v_incidents`` with a
    limit would join every incident's citations first."""
    rows = _rows(conn, """
        WITH latest AS (
            SELECT incident_id, event_date, date_precision, coalesce(city, admin1, country) AS place, location_name,
                   weapon_type, target_type, killed, injured, perpetrator_claimed
            FROM incidents WHERE NOT is_background
            ORDER BY event_date DESC NULLS LAST, incident_id LIMIT ?)
        SELECT l.*, array_to_string(c.outlets, '; ') AS sources
        FROM latest l LEFT JOIN incident_citations c USING (incident_id)
        ORDER BY l.event_date DESC NULLS LAST, l.incident_id""", [limit])
    return [{key: ("" if value is None else str(value)) for key, value in row.items()} for row in rows]
