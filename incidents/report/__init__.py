"""A report to look at: one self-contained HTML page (`incidents report --db PATH --out DIR`).

The page has a map of the incidents over the borders of Iraq and its neighbours, a timeline of incidents and
casualties per month, the latest incidents with their sources and evidence sentences, the fields
where sources disagree, and the history of pipeline runs. Everything is inline (CSS, SVG, a few
lines of script): the page opens from a file, offline, and can be mailed as one attachment.

The page only reads the database through a read-only connection and the views of
``sql/views`` (``v_incidents``, ``v_incident_sources``, ``v_conflicts``).
"""

from incidents.report.data import latest_incidents_rows
from incidents.report.page import write_report

__all__ = ["latest_incidents_rows", "write_report"]
