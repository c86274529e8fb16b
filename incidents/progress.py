"""Progress of a run, shown on a terminal: the CLI installs a reporter, the flow reports stages.

A module-level reporter keeps the flow free of any terminal code; with none installed (tests,
deployments, CI) reporting costs nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

STAGES = ("read", "dedupe", "extract", "load", "reconcile")
_reporter = None


def stage_done(stage: str, detail: str = "") -> None:
    if _reporter is not None:
        _reporter(stage, detail)


@contextlib.contextmanager
def terminal_progress(title: str) -> Iterator[None]:
    """A bar over the run's stages on stderr, for runs started from a terminal."""
    global _reporter
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} stages"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(title, total=len(STAGES))

        def report(stage: str, detail: str) -> None:
            bar.update(task, advance=1, description=f"{title}: {stage} done {detail}".rstrip())

        _reporter = report
        try:
            yield
        finally:
            _reporter = None
