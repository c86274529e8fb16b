"""Where a run is: the flow times its stages here and counts the files its workers have prepared;
a terminal shows them, the benchmark samples them.

A module-level display keeps the flow free of any terminal code; with none installed (tests,
deployments, CI) reporting costs nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

_display: "_TerminalDisplay | None" = None
_current: str | None = None

# What a terminal shows for each stage while it runs.
STAGE_NAMES = {"list": "listing the inbox", "prepare": "reading and extracting", "dedupe": "finding copies",
               "load": "loading", "reconcile": "regrouping into incidents"}


def current_stage() -> str | None:
    """The stage the running flow is in (None between stages and outside a run)."""
    return _current


def announce(what: str) -> None:
    """Shows what the run is doing before it has stages (starting Prefect)."""
    if _display is not None:
        _display.show(what)


def files_prepared(done: int, to_do: int) -> None:
    """``done`` of the run's ``to_do`` files have been read and extracted by the workers."""
    if _display is not None:
        _display.count(done, to_do)


class StageClock:
    """Wall seconds per stage, added up over the slices a run reads its inbox in."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        global _current
        _current = name
        announce(STAGE_NAMES.get(name, name))
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began
            _current = None

    def rounded(self) -> dict[str, float]:
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}


class _TerminalDisplay:
    """One line on stderr: what the run does, files done of files to do, the rate, the time."""

    def __init__(self, bar, task) -> None:
        self.bar, self.task = bar, task
        self.first_counted: float | None = None
        self.counted_from = 0

    def show(self, what: str) -> None:
        self.bar.update(self.task, what=what)

    def count(self, done: int, to_do: int) -> None:
        now = time.monotonic()
        if self.first_counted is None and done:
            # Measured from the first files done, not from the workers' start (seconds of
            # loading the lexicons, which would make the early rate look slow).
            self.first_counted, self.counted_from = now, done
        elapsed = now - (self.first_counted or now)
        rate = f"{(done - self.counted_from) / elapsed:,.0f} files/s" if elapsed > 0 and done > self.counted_from else ""
        # Drawn at once (a few hundred batches a run at most): no count is skipped between two
        # of the display's own refreshes.
        self.bar.update(self.task, files=f"{done:,}/{to_do:,} files", rate=rate, refresh=True)


@contextlib.contextmanager
def terminal_progress(title: str) -> Iterator[None]:
    """The run's progress line on stderr, for runs started from a terminal."""
    global _display
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn(f"{title}: {{task.fields[what]}}"), TextColumn("{task.fields[files]}"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True, refresh_per_second=4) as bar:
        _display = _TerminalDisplay(bar, bar.add_task(title, what="starting", files="", rate=""))
        try:
            yield
        finally:
            _display = None
