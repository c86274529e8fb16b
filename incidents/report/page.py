"""The report's page: one self-contained HTML file of the drawings and tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from incidents.report.charts import (INJURED_COLOUR, KILLED_COLOUR, WEAPON_COLOURS, escape, load_outline, map_svg,
                                     timeline_svg, weapon_legend)
from incidents.report.data import ReportData, collect


def _arabic(text) -> str:
    if not text:
        return ""
    return f'<span dir="rtl" lang="ar">{escape(text)}</span>'


def _safe_href(url) -> str | None:
    # Article metadata comes from the inbox: only web links become links.
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


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
    return f'<span class="nowrap">{escape(text)}</span><br><small>{escape(", ".join(notes))}</small>'


def _figure(low, high) -> str:
    if low is None:
        return "–"
    return f"{low}–{high}" if high is not None and high != low else str(low)


def _sources_cell(incident: dict) -> str:
    items = []
    for source in incident["sources"]:
        name = escape(source["outlet"] or source["source_file"])
        href = _safe_href(source["url"])
        title = f'<span class="title" dir="auto">{escape(source["title"])}</span>' if source["title"] else ""
        link = f'<a href="{escape(href)}" rel="noreferrer">{title or "article"}</a>' if href else title
        notes = []
        if source["published_at"]:
            notes.append(source["published_at"].strftime("%Y-%m-%d"))
        if source["role"] == "background":
            notes.append("recalls it")
        if source["duplicate_of"]:
            notes.append("copy")
        items.append(f'<li><b><bdi>{name}</bdi></b> <small>{escape(", ".join(notes))}</small> {link}</li>')
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
        place = ", ".join(escape(p) for p in dict.fromkeys(
            (incident["location_name"], incident["city"], incident["admin1"], incident["country"])) if p)
        colour = WEAPON_COLOURS.get(incident["weapon_type"], WEAPON_COLOURS["unknown"])
        attack = f'<i class="dot" style="background:{colour}"></i>{escape(incident["weapon_type"])}'
        if incident["projectile_count"]:
            attack += f' ×{incident["projectile_count"]}'
        attack += f'<br><small>on {escape(incident["target_type"])}'
        if incident["target_name"] and incident["target_name"] != incident["target_type"]:
            attack += f' ({escape(incident["target_name"])})'
        attack += "</small>"
        actors = []
        if incident["perpetrator_claimed"]:
            disowned = " (claim denied)" if incident["claim_disowned"] else ""
            actors.append(f'claimed: {escape(incident["perpetrator_claimed"])}{disowned}')
        if incident["perpetrator_accused"]:
            actors.append(f'accused: {escape(incident["perpetrator_accused"])}')
        rows.append(
            f'<tr id="row-{escape(incident["incident_id"])}">'
            f'<td>{_date_cell(incident)}</td>'
            f'<td>{place or "–"}<br>{_arabic(incident["location_name_ar"])}</td>'
            f'<td class="nowrap">{attack}</td>'
            f'<td class="num">{_figure(incident["killed"], incident["killed_max"])}</td>'
            f'<td class="num">{_figure(incident["injured"], incident["injured_max"])}</td>'
            f'<td>{"<br>".join(actors) or "–"}</td>'
            f'<td>{_sources_cell(incident)}<small class="id">{escape(incident["incident_id"])}</small></td>'
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
            f'<bdi>{escape(s["outlet"])}</bdi>: <b>{escape(s["value"])}</b>' if s["chosen"]
            else f'<bdi>{escape(s["outlet"])}</bdi>: {escape(s["value"])}'
            for s in conflict["sources"])
        rows.append(f'<tr><td class="nowrap">{escape(conflict["event_date"] or "")}</td>'
                    f'<td>{escape(conflict["location_name"] or "")}</td><td>{escape(conflict["field"])}</td>'
                    f'<td>{said}</td><td><small class="id">{escape(conflict["incident_id"])}</small></td></tr>')
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
    head = "".join(f"<th>{escape(label)}</th>" for _, label in RUN_COLUMNS) + "<th>seconds</th>"
    rows = []
    for run in data.runs:
        cells = []
        for key, _ in RUN_COLUMNS:
            value = run.get(key)
            if isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%d %H:%M:%S")
            cells.append(f'<td class="{"num" if isinstance(value, int) else ""}">{escape(value)}</td>')
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
        map_notes.append(f"{sum(p['incidents'] for p in data.unmapped)} incident(s) lie outside the map ({escape(places)}).")
    if totals["no_place"]:
        map_notes.append(f'{totals["no_place"]} incident(s) have no known place.')
    timeline_note = (f"{data.undated} incident(s) without a date to the month are not shown."
                     if data.undated else "")
    about_outline = escape(outline.get("properties", {}).get("source", ""))
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
<div class="meta">Database <code>{escape(data.db_label)}</code> · generated {escape(data.generated_at.strftime("%Y-%m-%d %H:%M UTC"))}
 · incidents dated {escape(period)}</div>
<div class="stats">{"".join(f'<div class="stat"><b>{escape(v)}</b>{escape(label)}</div>' for v, label in stats)}</div>
</header>
<section class="overview">
<div>
<h2>Where</h2>
{map_svg(data, outline)}
<div class="legend">{weapon_legend()}</div>
<p class="note">One circle per place: its area grows with the incidents there, its colour is the weapon used
most there, and a ring marks a place known only to the governorate. Hover for the counts; click to find the
place's latest incident in the table below. Squares are governorate capitals.
{" ".join(map_notes)}</p>
</div>
<div>
<h2>When</h2>
{timeline_svg(data)}
<div class="legend">{weapon_legend()}<span class="key"><i style="background:{KILLED_COLOUR}"></i>killed</span><span class="key"><i style="background:{INJURED_COLOUR}"></i>injured</span></div>
<p class="note">Attacks the reports are about, by month of the event date; casualties are the conservative
figures (the lowest credible across sources). {escape(timeline_note)}</p>
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
