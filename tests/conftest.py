"""Shared fixtures: one Prefect test server per session, the seed articles, fresh inboxes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
SAMPLE_INBOX = REPO / "sample_inbox"
DEVSET_INBOX = REPO / "tests" / "devset" / "inbox"

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from incidents.teardown import silence_stderr_at_exit  # noqa: E402

silence_stderr_at_exit()


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    """Every test that runs a flow shares one temporary Prefect server."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def seeds_dir() -> Path:
    if not SHARED_SEEDS.exists():
        pytest.skip(f"the seed articles are not here ({SHARED_SEEDS} is absent)")
    return SHARED_SEEDS


def load_module(name: str, path: Path):
    """A script that is not a package module (tests/devset/score.py, realset/*.py), under its own name.
    Its folder is put on the path, as running the script would, so that it imports its neighbours
    (score.py imports field_match.py); last, so that its modules do not hide others of their name
    (realset/score.py and tests/devset/score.py)."""
    import importlib.util
    import sys

    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def copy_tree(source: Path, target: Path, pattern: str = "*") -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob(pattern)):
        if path.is_file():
            shutil.copy2(path, target / path.name)
    return target


def incident_tables(sql, db) -> tuple:
    """Every row of the incident tables, sorted: equal when two databases hold the same incidents."""
    return tuple(sorted(sql(db, f"SELECT * FROM {table}"), key=repr)
                 for table in ("incidents", "incident_sources", "incident_field_values", "incident_id_map",
                               "incident_articles", "incident_citations"))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "incidents.duckdb"


def run_flow(inbox: Path, db: Path, **options) -> dict:
    from incidents.runner import run_pipeline

    return run_pipeline(inbox=str(inbox), db=str(db), **options)


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    from incidents.store import read_only_connection

    conn = read_only_connection(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def run():
    """Runs the real flow once: ``run(inbox, db, **options)`` returns the run's counts."""
    return run_flow


@pytest.fixture
def sql():
    """Read-only query on a database file: ``sql(db, "SELECT ...")`` returns the rows."""
    return query


@pytest.fixture(scope="session")
def devset_db(prefect_server, tmp_path_factory) -> Path:
    """The dev set run once through the real flow; shared read-only by the tests that query it."""
    folder = tmp_path_factory.mktemp("devset")
    inbox = shutil.copytree(DEVSET_INBOX, folder / "inbox")
    db = folder / "incidents.duckdb"
    run_flow(inbox, db)
    return db


DATE_KINDS = ("day", "week", "month", "year", "yearless", "none")


def random_date_fields(rng, day, weights) -> dict:
    """A mention's date fields for ``day`` as a report may give it: to the day, the days before
    its article, the month, the year, a day and month without a year, or nothing, drawn with these
    ``weights`` (one per DATE_KINDS)."""
    kind = rng.choices(DATE_KINDS, weights)[0]
    if kind in ("day", "week"):
        return dict(event_date=day.isoformat(), event_year=day.year, event_month=day.month, event_day=day.day,
                    date_precision=kind)
    if kind == "month":
        return dict(event_year=day.year, event_month=day.month, date_precision="month")
    if kind == "year":
        return dict(event_year=day.year, date_precision="year")
    if kind == "yearless":
        return dict(event_month=day.month, event_day=rng.choice((day.day, None)), date_precision="unknown")
    return dict(date_precision="unknown")
