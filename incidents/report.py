"""A report to look at: one self-contained HTML page (`incidents report --db PATH --out DIR`).

The page has a map of the incidents over the borders of Iraq and its neighbours, a timeline of incidents and
casualties per month, the latest incidents with their sources and evidence sentences, the fields
where sources disagree, and the history of pipeline runs. Everything is inline (CSS, SVG, a few
lines of script): the page opens from a file, offline, and can be mailed as one attachment.

The page only reads the database through a read-only connection and the views of
``sql/views`` (``v_incidents``, ``v_incident_sources``, ``v_conflicts``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb

from incidents import LEXICON_DIR

OUTLINE_PATH = LEXICON_DIR / "boundaries.geojson"

WEAPON_COLOURS = {
    "rocket": "#d62728", "mortar": "#ff7f0e", "missile": "#9467bd", "drone": "#1f77b4",
    "airstrike": "#17becf", "ied": "#8c564b", "gunfire": "#2ca02c", "unknown": "#7f7f7f",
}
KILLED_COLOUR, INJURED_COLOUR = "#7f1d1d", "#f59e0b"

# What the map shows: Iraq, eastern Syria to Damascus, north-eastern Jordan, Kuwait, and the
# borderlands of Turkey, Iran and Saudi Arabia, where attacks linked to Iraqi armed groups were
# reported (borders: lexicons/boundaries.geojson, Natural Earth).
MAP_WEST, MAP_EAST, MAP_SOUTH, MAP_NORTH = 35.6, 49.0, 28.6, 38.0
MAP_WIDTH = 600
FOCUS_COUNTRY = "Iraq"
MIN_MARK_RADIUS, MAX_MARK_RADIUS = 4.0, 22.0

RECENT_LIMIT = 30
CONFLICT_LIMIT = 40
RUN_LIMIT = 30


# ------------------------------------------------------------------------------------------------
# What the page shows, read from the database


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
        inside = MAP_WEST <= place["longitude"] <= MAP_EAST and MAP_SOUTH <= place["latitude"] <= MAP_NORTH
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


# ------------------------------------------------------------------------------------------------
# Drawing


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _arabic(text) -> str:
    if not text:
        return ""
    return f'<span dir="rtl" lang="ar">{_e(text)}</span>'


def _safe_href(url) -> str | None:
    # Article metadata comes from the inbox: only web links become links.
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


class MapFrame:
    """Longitude/latitude to SVG pixels: equirectangular, x shrunk by cos(latitude) mid-map."""

    def __init__(self, width: float = MAP_WIDTH):
        self.scale_x = width / (MAP_EAST - MAP_WEST)
        self.scale_y = self.scale_x / math.cos(math.radians((MAP_NORTH + MAP_SOUTH) / 2))
        self.width = width
        self.height = (MAP_NORTH - MAP_SOUTH) * self.scale_y

    def project(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (longitude - MAP_WEST) * self.scale_x, (MAP_NORTH - latitude) * self.scale_y


def load_outline(path: Path = OUTLINE_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _place_radius(place: dict, most: int) -> float:
    """Area in proportion to the place's incidents, up to MAX_MARK_RADIUS for the busiest."""
    return MIN_MARK_RADIUS + (MAX_MARK_RADIUS - MIN_MARK_RADIUS) * math.sqrt((place["incidents"] - 1) / max(most - 1, 1))


def _weapons_by_use(place: dict) -> list[str]:
    """A place's weapons, the most used first (ties in the legend's order)."""
    order = list(WEAPON_COLOURS)
    return sorted(place["weapons"], key=lambda w: (-place["weapons"][w], order.index(w) if w in order else len(order)))


def _date_text(event_date, precision: str | None) -> str:
    if event_date is None:
        return "date unknown"
    if precision == "month":
        return event_date.strftime("%Y-%m")
    if precision == "year":
        return str(event_date.year)
    return ("within a week of " if precision == "week" else "") + event_date.isoformat()


def _date_cell(incident: dict) -> str:
    when, precision = incident["event_date"], incident["date_precision"]
    approximate = when is not None and precision == "week"
    text = when.isoformat() if approximate else _date_text(when, precision)
    notes = [note for note in ("within a week of it" if approximate else None, incident["time_of_day"]) if note]
    return f'<span class="nowrap">{_e(text)}</span><br><small>{_e(", ".join(notes))}</small>'


def _figure(low, high) -> str:
    if low is None:
        return "–"
    return f"{low}–{high}" if high is not None and high != low else str(low)


def map_svg(data: ReportData, outline: dict) -> str:
    frame = MapFrame()
    parts = [f'<svg id="map" viewBox="0 0 {frame.width:.0f} {frame.height:.0f}" role="img" '
             f'aria-label="Map of incidents">']
    parts.append(f'<rect width="{frame.width:.0f}" height="{frame.height:.0f}" class="beyond"/>')
    labels = []
    for feature in outline["features"]:
        geometry, properties = feature["geometry"], feature["properties"]
        if geometry["type"] in ("Polygon", "MultiPolygon"):
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            # One path per country (holes cut out by the even-odd rule); Iraq drawn as the focus.
            path = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (frame.project(*p) for p in ring)) + "Z"
                            for polygon in polygons for ring in polygon)
            kind = "land" if properties.get("name") == FOCUS_COUNTRY else "land neighbour"
            parts.append(f'<path class="{kind}" fill-rule="evenodd" d="{path}"><title>{_e(properties.get("name"))}</title></path>')
        elif geometry["type"] == "Point" and properties.get("kind") == "capital":
            x, y = frame.project(*geometry["coordinates"])
            side = properties.get("label", "right")
            dx, dy, anchor = {"right": (5, 3.5, "start"), "left": (-5, 3.5, "end"),
                              "above": (0, -6, "middle"), "below": (0, 13, "middle")}[side]
            parts.append(f'<rect class="capital" x="{x - 2.5:.1f}" y="{y - 2.5:.1f}" width="5" height="5">'
                         f'<title>{_e(properties["name"])}, capital of {_e(properties["governorate"])}</title></rect>')
            labels.append(f'<text class="capital-label" x="{x + dx:.1f}" y="{y + dy:.1f}" '
                          f'text-anchor="{anchor}">{_e(properties["name"])}</text>')
    most = max((place["incidents"] for place in data.places), default=1)
    for place in data.places:
        x, y = frame.project(place["longitude"], place["latitude"])
        by_use = _weapons_by_use(place)
        colour = WEAPON_COLOURS.get(by_use[0], WEAPON_COLOURS["unknown"])
        style = f'stroke="{colour}" fill="none" stroke-width="2"' if place["approximate"] else f'fill="{colour}" fill-opacity="0.8"'
        weapons = ", ".join(f"{weapon} {place['weapons'][weapon]}" for weapon in by_use)
        period = (f' · {place["first_date"]} to {place["last_date"]}' if place["first_date"] else "")
        tooltip = (f'{place["name"] or ""}{" (governorate)" if place["approximate"] else ""} · '
                   f'{place["incidents"]} incident{"s" if place["incidents"] != 1 else ""} ({weapons}){period} · '
                   f'killed {place["killed"]}, injured {place["injured"]}')
        parts.append(f'<circle class="place" data-incidents="{place["incidents"]}" data-incident="{_e(place["latest_id"])}" '
                     f'cx="{x:.1f}" cy="{y:.1f}" r="{_place_radius(place, most):.1f}" {style}>'
                     f'<title>{_e(tooltip)}</title></circle>')
    parts += labels
    parts.append("</svg>")
    return "".join(parts)


def _weapon_legend() -> str:
    return "".join(f'<span class="key"><i style="background:{colour}"></i>{weapon}</span>'
                   for weapon, colour in WEAPON_COLOURS.items())


def timeline_svg(data: ReportData) -> str:
    if not data.months:
        return '<p class="empty">No dated incidents yet.</p>'
    width, panel, gap, left, right, bottom = 720, 130, 34, 36, 12, 20
    height = 2 * panel + gap + bottom
    step = (width - left - right) / len(data.months)
    bar = max(step * 0.8, 1)
    most_incidents = max(sum(m["weapons"].values()) for m in data.months) or 1
    most_casualties = max(m["killed"] + m["injured"] for m in data.months) or 1
    parts = [f'<svg id="timeline" viewBox="0 0 {width} {height}" role="img" aria-label="Incidents and casualties per month">']
    for top, label, peak in ((0, "incidents", most_incidents), (panel + gap, "killed + injured", most_casualties)):
        base = top + panel
        parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
        parts.append(f'<text class="tick" x="{left - 4}" y="{top + 12}" text-anchor="end">{peak}</text>')
        parts.append(f'<text class="tick" x="{left - 4}" y="{base}" text-anchor="end">0</text>')
        parts.append(f'<text class="panel-label" x="{left + 4}" y="{top + 10}">{label} per month</text>')
    for index, month in enumerate(data.months):
        x = left + index * step + (step - bar) / 2
        label = month["month"].strftime("%Y-%m")
        y = panel
        for weapon, colour in WEAPON_COLOURS.items():
            count = month["weapons"].get(weapon, 0)
            if count:
                h = count / most_incidents * (panel - 14)
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                             f'<title>{label}: {count} {weapon}</title></rect>')
        y = 2 * panel + gap
        for figure, colour in (("killed", KILLED_COLOUR), ("injured", INJURED_COLOUR)):
            if month[figure]:
                h = month[figure] / most_casualties * (panel - 14)
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                             f'<title>{label}: {month[figure]} {figure}</title></rect>')
        tick_x = left + index * step
        if month["month"].month == 1 or index == 0:
            parts.append(f'<line class="grid" x1="{tick_x:.1f}" y1="0" x2="{tick_x:.1f}" y2="{2 * panel + gap}"/>')
            if tick_x + 28 <= width:  # a year that starts at the right edge has no room for its label
                parts.append(f'<text class="tick" x="{tick_x + 2:.1f}" y="{height - 6}">{month["month"].year}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _sources_cell(incident: dict) -> str:
    items = []
    for source in incident["sources"]:
        name = _e(source["outlet"] or source["source_file"])
        href = _safe_href(source["url"])
        title = f'<span class="title" dir="auto">{_e(source["title"])}</span>' if source["title"] else ""
        link = f'<a href="{_e(href)}" rel="noreferrer">{title or "article"}</a>' if href else title
        notes = []
        if source["published_at"]:
            notes.append(source["published_at"].strftime("%Y-%m-%d"))
        if source["role"] == "background":
            notes.append("recalls it")
        if source["duplicate_of"]:
            notes.append("copy")
        items.append(f'<li><b><bdi>{name}</bdi></b> <small>{_e(", ".join(notes))}</small> {link}</li>')
    return f'<ul class="sources">{"".join(items)}</ul>'


def _evidence_cell(incident: dict) -> str:
    shown = []
    for label, key in (("report", "evidence"), ("date", "event_date_evidence"),
                       ("killed", "killed_evidence"), ("injured", "injured_evidence")):
        sentence = incident[key]
        if sentence and sentence not in (s for _, s in shown):
            shown.append((label, sentence))
    return "".join(f'<p class="evidence"><small>{label}</small> {_arabic(sentence)}</p>' for label, sentence in shown)


def recent_table(data: ReportData) -> str:
    if not data.recent:
        return '<p class="empty">No incidents yet.</p>'
    rows = []
    for incident in data.recent:
        place = ", ".join(_e(p) for p in dict.fromkeys(
            (incident["location_name"], incident["city"], incident["admin1"], incident["country"])) if p)
        colour = WEAPON_COLOURS.get(incident["weapon_type"], WEAPON_COLOURS["unknown"])
        attack = f'<i class="dot" style="background:{colour}"></i>{_e(incident["weapon_type"])}'
        if incident["projectile_count"]:
            attack += f' ×{incident["projectile_count"]}'
        attack += f'<br><small>on {_e(incident["target_type"])}'
        if incident["target_name"] and incident["target_name"] != incident["target_type"]:
            attack += f' ({_e(incident["target_name"])})'
        attack += "</small>"
        actors = []
        if incident["perpetrator_claimed"]:
            disowned = " (claim denied)" if incident["claim_disowned"] else ""
            actors.append(f'claimed: {_e(incident["perpetrator_claimed"])}{disowned}')
        if incident["perpetrator_accused"]:
            actors.append(f'accused: {_e(incident["perpetrator_accused"])}')
        rows.append(
            f'<tr id="row-{_e(incident["incident_id"])}">'
            f'<td>{_date_cell(incident)}</td>'
            f'<td>{place or "–"}<br>{_arabic(incident["location_name_ar"])}</td>'
            f'<td class="nowrap">{attack}</td>'
            f'<td class="num">{_figure(incident["killed"], incident["killed_max"])}</td>'
            f'<td class="num">{_figure(incident["injured"], incident["injured_max"])}</td>'
            f'<td>{"<br>".join(actors) or "–"}</td>'
            f'<td>{_sources_cell(incident)}<small class="id">{_e(incident["incident_id"])}</small></td>'
            f'<td class="evidence-cell">{_evidence_cell(incident)}</td></tr>'
        )
    return ('<table id="recent"><thead><tr><th>Date</th><th>Place</th><th>Attack</th><th>Killed</th>'
            '<th>Injured</th><th>Perpetrator</th><th>Sources</th><th>Evidence</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def conflicts_table(data: ReportData) -> str:
    if not data.conflicts:
        return '<p class="empty">The sources agree on every incident.</p>'
    rows = []
    for conflict in data.conflicts:
        said = "; ".join(
            f'<bdi>{_e(s["outlet"])}</bdi>: <b>{_e(s["value"])}</b>' if s["chosen"]
            else f'<bdi>{_e(s["outlet"])}</bdi>: {_e(s["value"])}'
            for s in conflict["sources"])
        rows.append(f'<tr><td class="nowrap">{_e(conflict["event_date"] or "")}</td>'
                    f'<td>{_e(conflict["location_name"] or "")}</td><td>{_e(conflict["field"])}</td>'
                    f'<td>{said}</td><td><small class="id">{_e(conflict["incident_id"])}</small></td></tr>')
    return ('<table id="conflicts"><thead><tr><th>Date</th><th>Place</th><th>Field</th>'
            '<th>What each source says (bold: the value the incident holds)</th><th>Incident</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


RUN_COLUMNS = (
    ("run_id", "run"), ("started_at", "started (UTC)"), ("status", "status"), ("files_seen", "files seen"),
    ("files_new", "new"), ("files_changed", "changed"), ("files_rejected", "rejected"),
    ("articles_added", "articles added"), ("duplicates_found", "copies"), ("mentions_extracted", "mentions"),
    ("incidents_new", "incidents new"), ("incidents_updated", "updated"), ("incidents_retired", "merged away"),
    ("incidents_total", "incidents in all"),
)


def runs_table(data: ReportData) -> str:
    if not data.runs:
        return '<p class="empty">No runs recorded.</p>'
    head = "".join(f"<th>{_e(label)}</th>" for _, label in RUN_COLUMNS) + "<th>seconds</th>"
    rows = []
    for run in data.runs:
        cells = []
        for key, _ in RUN_COLUMNS:
            value = run.get(key)
            if isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%d %H:%M:%S")
            cells.append(f'<td class="{"num" if isinstance(value, int) else ""}">{_e(value)}</td>')
        seconds = ((run["finished_at"] - run["started_at"]).total_seconds()
                   if run.get("finished_at") and run.get("started_at") else None)
        cells.append(f'<td class="num">{"" if seconds is None else f"{seconds:.1f}"}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table id="runs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


STYLE = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --paper: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px; color: var(--ink); background: var(--paper);
       font: 14px/1.45 system-ui, "Segoe UI", "DejaVu Sans", Roboto, Arial, sans-serif; }
[lang="ar"] { font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "Geeza Pro", Tahoma, "DejaVu Sans", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta, small, .note { color: var(--muted); }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; flex: 1 1 0; min-width: 96px; font-size: 12px; }
.stat b { display: block; font-size: 20px; }
.overview { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 7fr); gap: 24px; align-items: start; }
svg { width: 100%; height: auto; display: block; }
.beyond { fill: #f3f6f9; }
.land { fill: #fbfaf5; stroke: #8a8f98; stroke-width: 1.2; }
.land.neighbour { fill: #f1efe6; stroke-width: 0.8; }
.capital { fill: #374151; }
.capital-label { font-size: 10px; fill: #374151; paint-order: stroke; stroke: #fbfaf5; stroke-width: 3px; }
.incident { fill-opacity: 0.75; cursor: pointer; }
.incident:hover { stroke: #111827; stroke-width: 2; }
.axis { stroke: #9ca3af; } .grid { stroke: #eef0f3; }
.tick { font-size: 10px; fill: var(--muted); } .panel-label { font-size: 11px; fill: var(--ink); }
.legend { margin: 6px 0; } .key { margin-right: 12px; white-space: nowrap; font-size: 12px; }
.key i, .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f9fafb; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
.sources { margin: 0; padding-left: 16px; min-width: 200px; } .sources li { margin-bottom: 4px; }
.sources a, .sources .title { display: block; }
.evidence-cell { min-width: 300px; }
.evidence { margin: 0 0 4px; } .evidence small { display: block; text-align: left; }
.evidence [dir="rtl"] { display: block; text-align: right; }
.id { font-family: ui-monospace, monospace; font-size: 11px; }
tr.flash { background: #fef3c7; transition: background 0.6s; }
#filter { padding: 5px 8px; width: 320px; margin-bottom: 8px; }
.empty { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { .overview { grid-template-columns: 1fr; } }
"""

# Readiness marker: the last statement sets data-report-script="done" on <html>, so a headless
# browser's DOM dump shows whether the script ran to its end without an error.
SCRIPT = """
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('#recent tbody tr'));
  var filter = document.getElementById('filter');
  if (filter) {
    filter.addEventListener('input', function () {
      var wanted = filter.value.trim().toLowerCase();
      rows.forEach(function (row) {
        row.hidden = wanted !== '' && row.textContent.toLowerCase().indexOf(wanted) < 0;
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('[data-incident]'), function (point) {
    point.addEventListener('click', function () {
      var row = document.getElementById('row-' + point.getAttribute('data-incident'));
      if (!row) { return; }
      row.hidden = false;
      row.scrollIntoView({behavior: 'smooth', block: 'center'});
      row.classList.add('flash');
      setTimeout(function () { row.classList.remove('flash'); }, 1500);
    });
  });
  document.documentElement.setAttribute('data-report-script', 'done');
})();
"""


def render(data: ReportData, outline: dict) -> str:
    totals = data.totals
    period = (f'{totals["first_date"]} to {totals["last_date"]}' if totals["first_date"] else "no dated incidents")
    stats = [
        (totals["incidents"], "incidents"), (totals["killed"], "killed (conservative)"),
        (totals["injured"], "injured (conservative)"), (totals["single_source"], "rest on one source"),
        (totals["articles"], "articles"), (totals["outlets"], "outlets"), (totals["copies"], "copies found"),
        (totals["background"], "recalled earlier events"), (totals["rejected"], "files rejected"),
    ]
    map_notes = []
    if data.unmapped:
        places = ", ".join(sorted({p["name"] or "?" for p in data.unmapped}))
        map_notes.append(f"{sum(p['incidents'] for p in data.unmapped)} incident(s) lie outside the map ({_e(places)}).")
    if totals["no_place"]:
        map_notes.append(f'{totals["no_place"]} incident(s) have no known place.')
    timeline_note = (f"{data.undated} incident(s) without a date to the month are not shown."
                     if data.undated else "")
    about_outline = _e(outline.get("properties", {}).get("source", ""))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident report</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Attacks reported in Arabic news: incident report</h1>
<div class="meta">Database <code>{_e(data.db_label)}</code> · generated {_e(data.generated_at.strftime("%Y-%m-%d %H:%M UTC"))}
 · incidents dated {_e(period)}</div>
<div class="stats">{"".join(f'<div class="stat"><b>{_e(v)}</b>{_e(label)}</div>' for v, label in stats)}</div>
</header>
<section class="overview">
<div>
<h2>Where</h2>
{map_svg(data, outline)}
<div class="legend">{_weapon_legend()}</div>
<p class="note">One circle per place: its area grows with the incidents there, its colour is the weapon used
most there, and a ring marks a place known only to the governorate. Hover for the counts; click to find the
place's latest incident in the table below. Squares are governorate capitals.
{" ".join(map_notes)}</p>
</div>
<div>
<h2>When</h2>
{timeline_svg(data)}
<div class="legend">{_weapon_legend()}<span class="key"><i style="background:{KILLED_COLOUR}"></i>killed</span><span class="key"><i style="background:{INJURED_COLOUR}"></i>injured</span></div>
<p class="note">Attacks the reports are about, by month of the event date; casualties are the conservative
figures (the lowest credible across sources). {_e(timeline_note)}</p>
</div>
</section>
<section>
<h2>Latest incidents</h2>
<input id="filter" type="search" placeholder="Filter: a place, weapon, outlet, word of the evidence…" aria-label="Filter the incidents">
{recent_table(data)}
<p class="note">A range such as 0–1 means sources disagree: the first figure is the conservative one.
Sentences are quoted from the articles as published.</p>
</section>
<section>
<h2>Where sources disagree</h2>
{conflicts_table(data)}
</section>
<section>
<h2>Pipeline runs</h2>
{runs_table(data)}
<p class="note">The latest {len(data.runs)} of {totals["runs"]} runs. A run that failed changed nothing and has no row
(its reason is in the <code>.runs.jsonl</code> file beside the database).</p>
</section>
<footer><p class="note">Map outline: {about_outline}; approximate, for display only.</p></footer>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_report(conn: duckdb.DuckDBPyConnection, out_dir: Path, db_label: str) -> Path:
    """Writes ``out_dir/index.html`` and returns its path."""
    page = render(collect(conn, db_label), load_outline())
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    partial = out_dir / ".index.html.partial"
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target


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


def publish_incident_table(db_path: Path) -> None:
    """A Prefect table artifact of the latest incidents (call it inside a flow, after the run)."""
    from prefect.artifacts import create_table_artifact

    from incidents.store import read_only_connection

    conn = read_only_connection(Path(db_path))
    try:
        rows = latest_incidents_rows(conn)
    finally:
        conn.close()
    create_table_artifact(table=rows, key="incident-latest",
                          description="The latest incidents in the database after this run")
