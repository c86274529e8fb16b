"""Layers point one way: the core library (Arabic text, store, linkage, report) knows nothing of
Prefect, the flows, the tasks, the deployments or the CLI; the tasks know nothing of the flows.
A core that imports the orchestrator cannot be reused without it (a notebook, another scheduler),
and a cycle between layers is how a module ends up holding more than one idea."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The top of the `incidents` package: what runs the flow and talks to the user.
ENTRY_POINTS = {"incidents/cli.py", "incidents/runner.py", "incidents/report_text.py"}
ORCHESTRATION = ("prefect", "prefect_dask", "flows", "tasks", "deployments")
TOP = ("incidents.cli", "incidents.runner", "incidents.report_text")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _names(folder: str) -> list[str]:
    return sorted(str(p.relative_to(REPO)) for p in (REPO / folder).rglob("*.py"))


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


@pytest.mark.parametrize("name", [n for n in _names("incidents") if n not in ENTRY_POINTS])
def test_the_core_library_imports_no_orchestration_and_no_entry_point(name):
    wrong = sorted(m for m in _imports(REPO / name) if _within(m, ORCHESTRATION + TOP))
    assert wrong == [], f"{name} reaches up a layer: {wrong}"


@pytest.mark.parametrize("name", _names("tasks"))
def test_tasks_never_import_the_flows_or_the_entry_points(name):
    wrong = sorted(m for m in _imports(REPO / name) if _within(m, ("flows", "deployments") + TOP))
    assert wrong == [], f"{name} reaches up a layer: {wrong}"


def test_the_check_sees_an_import_that_reaches_up(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import json\nfrom prefect.artifacts import create_table_artifact\n"
                      "def f():\n    from flows.pipeline import incident_pipeline\n")
    assert {m for m in _imports(module) if _within(m, ORCHESTRATION)} == {"prefect.artifacts", "flows.pipeline"}
