"""Every link explained, and analysts' corrections: `incidents link` and the links views on the dev set."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import DEVSET_INBOX, REPO, query, run_flow

INCIDENTS = [sys.executable, "-m", "incidents.cli"]
W_COLUMNS = ("w_date", "w_weekday", "w_place", "w_weapon", "w_projectile_count", "w_killed", "w_injured",
             "w_time_of_day", "w_launch_site", "w_claimants", "w_target", "w_text", "w_copies")


@pytest.fixture(scope="module")
def linked_db(prefect_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("links")
    inbox = shutil.copytree(DEVSET_INBOX, folder / "inbox")
    db = folder / "incidents.duckdb"
    run_flow(inbox, db)
    return inbox, db


def link(db, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([*INCIDENTS, "link", *arguments, "--db", str(db)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def assignment(db) -> dict[str, str]:
    return dict(query(db, "SELECT mention_id, incident_id FROM incident_sources"))


def test_why_these_are_one_incident_is_a_query_and_the_parts_add_up(linked_db):
    from incidents.linkage import weights

    _, db = linked_db
    rows = query(db, f"SELECT weight, {', '.join(W_COLUMNS)}, is_link, levels FROM v_links WHERE same_incident")
    assert rows, "the dev set's reports of one attack are linked"
    prior = weights.load().prior
    for weight, *parts, is_link, levels in rows:
        assert weight == pytest.approx(prior + sum(parts[:len(W_COLUMNS)]), abs=1e-6)
        assert levels
    confidence = query(db, "SELECT min(link_confidence), max(link_confidence), count(*) FILTER "
                           "(WHERE link_confidence IS NULL AND article_count > 1) FROM incidents")
    low, high, missing = confidence[0]
    assert 0.5 < low <= high <= 1.0 and missing == 0


def test_why_a_report_is_alone_is_a_query(linked_db):
    _, db = linked_db
    rows = query(db, "SELECT mention_id, other_mention, why_apart FROM v_lone_reports WHERE rank = 1")
    alone = query(db, "SELECT count(*) FROM (SELECT incident_id FROM incident_sources GROUP BY 1 HAVING count(*) = 1)")
    assert len(rows) == alone[0][0] > 0
    assert all(why for _, _, why in rows)


def test_cannot_link_and_must_link_hold_in_the_next_runs(linked_db):
    inbox, db = linked_db
    together = query(db, "SELECT mention_a, mention_b, incident_a FROM v_links WHERE same_incident "
                         "AND decision IS NULL ORDER BY weight LIMIT 1")[0]
    first, second, incident = together
    singles = [row[0] for row in query(db, "SELECT incident_id FROM incident_sources GROUP BY 1 "
                                           "HAVING count(*) = 1 ORDER BY 1 LIMIT 2")]
    lone_reports = [assignment_of(db, incident) for incident in singles]
    done = link(db, "cannot", first, second, "--note", "two outlets, two attacks")
    assert done.returncode == 0, done.stderr
    assert "cannot_link" in done.stdout and "next run" in done.stdout
    done = link(db, "must", *singles)
    assert done.returncode == 0, done.stderr
    for _ in range(2):      # the run that applies them, and one after it
        run_flow(inbox, db)
        now = assignment(db)
        assert now[first] != now[second]
        assert now[lone_reports[0]] == now[lone_reports[1]], "must-link kept together"
    assert incident in set(now.values()), "the incident keeps its id where most of its reports are"
    decided = query(db, "SELECT count(*) FROM v_links WHERE decision = 'cannot_link' AND NOT same_incident")
    assert decided[0][0] >= 1


def assignment_of(db, incident_id: str) -> str:
    """The one report of a single-report incident."""
    return query(db, "SELECT mention_id FROM incident_sources WHERE incident_id = ?", (incident_id,))[0][0]


def test_a_name_that_stands_for_nothing_is_refused_with_one_line(linked_db):
    _, db = linked_db
    done = link(db, "must", "inc_000000000000", "no_such_article")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["incidents: inc_000000000000 names no stored incident, article or "
                                                "report"]
