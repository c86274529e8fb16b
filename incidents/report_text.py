"""The one-screen summary printed after a run (`make run`, `incidents run --summary`)."""

from __future__ import annotations

import shlex
from pathlib import Path

from incidents.cli import format_table
from incidents.store import read_only_connection

_RECENT = """
SELECT incident_id, event_date, date_precision AS precision, coalesce(city, admin1, country) AS place,
       location_name, weapon_type AS weapon, projectile_count AS projectiles, killed, injured,
       target_type AS target, source_count AS sources
FROM incidents WHERE NOT is_background
ORDER BY event_date DESC NULLS LAST, incident_id LIMIT 10
"""


def run_summary_text(db: Path, result: dict, program: str = "incidents") -> str:
    """``program`` is the command as the user can type it again (``.venv/bin/incidents`` in the repo)."""
    lines = [f"Database: {db.resolve()}", ""]
    lines.append(
        "Run {run_id}: {files_seen} files seen ({files_new} new, {files_changed} changed, "
        "{files_unchanged} unchanged, {files_rejected} rejected, {files_deferred} deferred)".format(**result)
    )
    lines.append(
        "Articles: {articles_added} added, {articles_updated} updated, copies of earlier reports: {duplicates_found}; "
        "{mentions_extracted} attack mentions read".format(**result)
    )
    lines.append(
        "Incidents: {incidents_total} in all ({incidents_new} new, {incidents_updated} updated, "
        "{incidents_retired} merged away)".format(**result)
    )
    conn = read_only_connection(db)
    try:
        cursor = conn.execute(_RECENT)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        rejected = conn.execute("SELECT source_file, reason, detail FROM rejected_files ORDER BY source_file LIMIT 5").fetchall()
        background = conn.execute("SELECT count(*) FROM incidents WHERE is_background").fetchone()[0]
    finally:
        conn.close()
    lines += ["", f"Latest incidents ({background} recalled background events not shown):", format_table(columns, rows, 28)]
    if rejected:
        lines += ["", "Rejected files:", format_table(["source_file", "reason", "detail"], rejected, 50)]
    lines += ["", f"Query it: {program} sql --db {shlex.quote(str(db))} \"SELECT * FROM v_incidents LIMIT 5\""]
    return "\n".join(lines)
