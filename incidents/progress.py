"""Where a run is: the flow times its stages here, a terminal shows them, the benchmark samples them.

A module-level reporter keeps the flow free of any terminal code; with none installed (tests,
deployments, CI) reporting costs nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

_reporter = None
_current: str | None = None


def current_stage() -> str | None:
    """The stage the running flow is in (None between stages and outside a run)."""
    return _current


class StageClock:
    """Wall seconds per stage, added up over the slices a run reads its inbox in."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        global _current
        _current = name
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began
            _current = None
        if _reporter is not None:
            _reporter(name, detail)

    def rounded(self) -> dict[str, float]:
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}


@contextlib.contextmanager
def terminal_progress(title: str) -> Iterator[None]:
    """A line on stderr naming the stage just done, for runs started from a terminal."""
    global _reporter
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(title)

        def report(stage: str, detail: str) -> None:
            bar.update(task, description=f"{title}: {stage} done {detail}".rstrip())

        _reporter = report
        try:
            yield
        finally:
            _reporter = None
