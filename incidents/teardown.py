"""What a run leaves behind when it ends: nothing, however it ends.

DuckDB's nanobind bindings report 'leaked' objects when the interpreter tears down while
Prefect's worker threads still hold DuckDB type objects; nothing leaks in use, but the report
buries the real output (a test run's closing line, a command's result), so stderr is closed last
of all (``silence_stderr_at_exit``).

`incidents run` does its work in a child process of a process group of its own (see
``incidents.cli``), where the temporary Prefect server, the worker processes and a local Dask
cluster also land. When the command is killed with SIGKILL it cannot stop that group itself: a
watchman (``GroupGuard``), started in a session of its own so that a Ctrl-C does not reach it,
holds the read end of a pipe whose write end only the command holds. The kernel closes that end
when the command dies, whatever killed it, and the watchman then kills the group it was told of.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys


def silence_stderr_at_exit() -> None:
    # Registered early, the handler runs last among the exit handlers, after everything meant to
    # be read was printed.
    def close_stderr() -> None:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)

    atexit.register(close_stderr)


class GroupGuard:
    """Kills the process group it watches when this process dies without releasing it."""

    def __init__(self) -> None:
        read_end, self._write_end = os.pipe()   # neither is inherited by children started later
        subprocess.Popen([sys.executable, "-m", "incidents.teardown"], stdin=read_end, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(read_end)

    def watch(self, pgid: int) -> None:
        os.write(self._write_end, f"{pgid}\n".encode())

    def close_in_child(self) -> None:
        """A forked child must not hold the write end, or the pipe outlives the watched process."""
        os.close(self._write_end)

    def release(self) -> None:
        """The group was stopped by this process: nothing for the watchman to do."""
        os.write(self._write_end, b"0\n")


def _watch() -> None:
    pgid = 0
    for line in sys.stdin:   # ends when the watched process has died or exited
        pgid = int(line)
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    _watch()
