"""Helpers for the reliability tests: real `incidents` processes, a large inbox, table states.

Not a conftest: a second ``conftest`` module would shadow ``tests/conftest.py`` for the tests
that import helpers from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import duckdb

from conftest import DEVSET_INBOX
from incidents.textfiles import decode_text

# Columns that differ between two correct runs over the same inbox: when and by which run.
VOLATILE_COLUMNS = {"run_id", "created_run_id", "updated_run_id", "last_run_id", "superseded_by_run",
                    "flow_run_id", "settings", "inbox"}


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "incidents.cli", *args]


def cli_env() -> dict[str, str]:
    """The environment for `incidents` subprocesses: the session's Prefect server, not one each.

    Without an API URL every CLI run starts its own temporary Prefect server (~8 s).
    """
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return env


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(*args), env=cli_env(), capture_output=True, text=True, timeout=timeout)


def start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(cli_command(*args), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def staging_file(db: Path) -> Path:
    return db.with_name(f".{db.name}.staging")


def wait_until(condition, timeout: float = 120, interval: float = 0.01) -> bool:
    """Polls ``condition`` until it holds; False when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def _edited_text(text: str, copy: int) -> str:
    # A different article for the pipeline (new id, new hash), the same news for the extractor.
    return f"{text}\n\nوأضاف المراسل في تحديث رقم {copy} أن الحركة عادت إلى طبيعتها."


def _copy_edited(source: Path, target: Path, copy: int) -> None:
    name = source.name
    if name.endswith(".meta.json") or source.suffix not in (".txt", ".json", ".jsonl"):
        shutil.copy2(source, target)
    elif source.suffix == ".txt":
        text, encoding = decode_text(source.read_bytes())
        target.write_bytes(_edited_text(text, copy).encode(encoding))
    elif source.suffix == ".json":
        article = json.loads(source.read_text(encoding="utf-8"))
        article["text"] = _edited_text(article["text"], copy)
        article.pop("id", None)
        target.write_text(json.dumps(article, ensure_ascii=False), encoding="utf-8")
    else:
        lines = []
        for line in source.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            article["text"] = _edited_text(article["text"], copy)
            article.pop("id", None)
            lines.append(json.dumps(article, ensure_ascii=False))
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_devset_copies(inbox: Path, copies: range) -> Path:
    """Adds edited copies of the dev-set inbox (about 56 articles each) as folders ``copy_NN``.

    Copy 0 is the dev set verbatim.
    """
    for copy in copies:
        folder = inbox / f"copy_{copy:02d}"
        for source in sorted(DEVSET_INBOX.rglob("*")):
            if source.is_dir():
                continue
            target = folder / source.relative_to(DEVSET_INBOX)
            target.parent.mkdir(parents=True, exist_ok=True)
            if copy == 0:
                shutil.copy2(source, target)
            else:
                _copy_edited(source, target, copy)
    return inbox


def table_state(db: Path) -> dict[str, list[str]]:
    """Every table's rows (sorted), without timestamps and run ids: equal for equal content."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        state = {}
        for table in tables:
            columns = [name for name, kind in conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", (table,)).fetchall()
                if not kind.startswith("TIMESTAMP") and name not in VOLATILE_COLUMNS]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            state[table] = sorted(map(repr, rows))
        return state
    finally:
        conn.close()


def copy_database(db: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db, target)
    return target


_run_ids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # command -> its run's pid


def run_process_id(process: subprocess.Popen, timeout: float = 30) -> int:
    """The process that does the work of `incidents run`: the command forks it, in a process group
    of its own with the Prefect server and workers, and only waits for it (``incidents.cli``)."""
    if process in _run_ids:
        return _run_ids[process]
    command = Path(f"/proc/{process.pid}/cmdline").read_bytes()

    def forked() -> bool:
        for entry in Path("/proc").iterdir():
            try:
                if (entry.name.isdigit() and (entry / "stat").read_text().rpartition(")")[2].split()[1] == str(process.pid)
                        and (entry / "cmdline").read_bytes() == command):
                    _run_ids[process] = int(entry.name)
                    return True
            except OSError:
                continue
        return False

    assert wait_until(forked, timeout=timeout), "incidents run did not start its run"
    return _run_ids[process]


def stop_run(process: subprocess.Popen) -> None:
    """SIGSTOP to the command and, once it has started it, to the run's whole process group."""
    with contextlib.suppress(AssertionError, ProcessLookupError, FileNotFoundError):
        os.killpg(run_process_id(process, timeout=0.5), signal.SIGSTOP)
    os.kill(process.pid, signal.SIGSTOP)


@contextlib.contextmanager
def paused(process: subprocess.Popen):
    """Holds the run still (SIGSTOP) for the block: a run paused inside its write window keeps
    the lock and the staged copy for as long as a test needs, whatever the machine's speed."""
    group = run_process_id(process)
    os.killpg(group, signal.SIGSTOP)
    try:
        yield process
    finally:
        os.killpg(group, signal.SIGCONT)


def holds_open(process: subprocess.Popen, path: Path) -> bool:
    """Whether the run of ``process`` has ``path`` open (Linux): a run waiting for the lock keeps its lock file open."""
    try:
        folder = Path(f"/proc/{run_process_id(process, timeout=0.5)}/fd")
        return any(os.readlink(folder / fd) == str(path.resolve()) for fd in os.listdir(folder))
    except (AssertionError, OSError):
        return False
