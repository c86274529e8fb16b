"""Quiet interpreter teardown after Prefect runs.

DuckDB's nanobind bindings report 'leaked' objects when the interpreter tears down while
Prefect's worker threads still hold DuckDB type objects. Nothing leaks in use; the report only
buries the real output (a test run's closing line, a command's result). Registered early, the
handler runs last among the exit handlers, after everything meant to be read was printed.
"""

from __future__ import annotations

import atexit
import os
import sys


def silence_stderr_at_exit() -> None:
    def close_stderr() -> None:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)

    atexit.register(close_stderr)
