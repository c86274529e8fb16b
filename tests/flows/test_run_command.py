"""`incidents run` and `incidents serve` as a user meets them at a terminal: mistakes reported at
once in the flags' words, Ctrl-C, kill -9, the progress line. Real processes and real signals.

A terminal's job is a process group of its own, which receives the Ctrl-C: the commands are
started in a session of their own here, and the SIGINT is sent to that group.
"""

from __future__ import annotations

import hashlib
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEVSET_INBOX, SAMPLE_INBOX, copy_tree

COMMAND = [sys.executable, "-m", "incidents.cli"]


def user_env(**extra: str) -> dict[str, str]:
    """A user's environment: none of the test session's Prefect settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(extra)
    return env


def session_api_env(**extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return user_env(PREFECT_API_URL=PREFECT_API_URL.value(), **extra)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def gone(pgid: int, timeout: float = 20) -> bool:
    """Whether the group's processes are gone (killed ones linger for a moment, until reaped)."""
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def run_group(command: subprocess.Popen, timeout: float = 60) -> int:
    """The process group `incidents run` does its work in: its child's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except (OSError, IndexError):
                continue
            # Its own group's leader, in the command's session (the watchman has a session of its own).
            if entry.name.isdigit() and fields[1] == str(command.pid) and fields[2] == entry.name != fields[3]:
                return int(entry.name)
        time.sleep(0.05)
    raise AssertionError("incidents run started no run")


def server_in_group(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rpartition(")")[2].split()[2] == str(pgid) \
                    and b"uvicorn" in (entry / "cmdline").read_bytes():
                return True
        except (OSError, IndexError):
            continue
    return False


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def bigger_inbox(tmp_path) -> Path:
    """The dev set three times over: a run of some seconds."""
    for copy in range(3):
        shutil.copytree(DEVSET_INBOX, tmp_path / "inbox" / f"copy_{copy}")
    return tmp_path / "inbox"


def test_mistakes_are_reported_at_once_in_the_flags_words_before_prefect_is_imported(tmp_path):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "incidents.cli", "run", "--inbox",
                           str(tmp_path / "missing"), "--db", str(tmp_path), "--wait", "-1"],
                          env=user_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert lines == [f"incidents: --inbox: {tmp_path / 'missing'} does not exist",
                     f"incidents: --db: {tmp_path} is a folder, not a database file",
                     "incidents: --wait: must be 0 or more"]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not {name for name in imported if name.split(".")[0] in ("prefect", "duckdb", "camel_tools")}


def test_serve_refuses_without_a_prefect_server_or_an_inbox(tmp_path):
    alone = subprocess.run([*COMMAND, "serve", "--inbox", str(SAMPLE_INBOX), "--db", str(tmp_path / "x.duckdb")],
                           env=user_env(PREFECT_HOME=str(tmp_path / "home")), capture_output=True, text=True,
                           timeout=120)
    assert alone.returncode == 2
    assert alone.stderr.splitlines() == [
        "incidents: serve needs a Prefect server that outlives it, or the schedule dies with this process: start "
        "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api"]

    missing = subprocess.run([*COMMAND, "serve", "--inbox", str(tmp_path / "nowhere")], env=session_api_env(),
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [f"incidents: --inbox: {tmp_path / 'nowhere'} does not exist"]


@pytest.mark.slow
def test_ctrl_c_ends_a_run_at_once_with_one_line_and_the_database_as_before(bigger_inbox, tmp_path):
    db = tmp_path / "data" / "incidents.duckdb"
    first = subprocess.run([*COMMAND, "run", "--inbox", str(DEVSET_INBOX), "--db", str(db)], env=session_api_env(),
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = digest(db)
    run = subprocess.Popen([*COMMAND, "run", "--inbox", str(bigger_inbox), "--db", str(db), "--task-runner", "processes"],
                           env=session_api_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    group = run_group(run)
    staged = db.with_name(f".{db.name}.staging")
    deadline = time.monotonic() + 240
    while not staged.exists():   # the run is writing, its workers busy
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)   # what the terminal does on Ctrl-C
    stdout, stderr = run.communicate(timeout=15)
    assert run.returncode == 130
    assert stderr.splitlines() == ["incidents: interrupted: the database is unchanged"]
    assert stdout == ""
    assert digest(db) == before
    assert gone(group)   # no worker, no leftover of the run


@pytest.mark.slow
def test_kill_9_of_a_run_leaves_no_temporary_prefect_server(bigger_inbox, tmp_path):
    db = tmp_path / "data" / "incidents.duckdb"
    # No PREFECT_API_URL: the run starts a temporary Prefect server of its own.
    run = subprocess.Popen([*COMMAND, "run", "--inbox", str(bigger_inbox), "--db", str(db)],
                           env=user_env(PREFECT_HOME=str(tmp_path / "home")), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    group = run_group(run)
    deadline = time.monotonic() + 180
    while not server_in_group(group):
        assert run.poll() is None and time.monotonic() < deadline, "no temporary server was started"
        time.sleep(0.1)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert gone(group), "the killed run's processes live on"
    assert not db.exists()


@pytest.mark.slow
def test_a_run_on_its_temporary_server_ends_with_its_summary_and_no_log_errors(tmp_path):
    inbox = copy_tree(SAMPLE_INBOX, tmp_path / "inbox")
    done = subprocess.run([*COMMAND, "run", "--inbox", str(inbox), "--db", str(tmp_path / "x.duckdb"), "--summary"],
                          env=user_env(PREFECT_HOME=str(tmp_path / "prefect-home")),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Incidents:" in done.stdout
    # Logs go to a Prefect server only when the user has one: the temporary server stops with
    # the run, and sending it the last logs printed "Error logging to API" after the summary.
    assert "Error logging to API" not in done.stdout + done.stderr


def test_the_progress_line_counts_files_and_shows_a_rate(tmp_path):
    from prefect.settings import PREFECT_API_URL

    inbox = copy_tree(DEVSET_INBOX, tmp_path / "inbox")
    to_read = sum(1 for path in inbox.iterdir() if not path.name.endswith(".meta.json"))
    pid, terminal = pty.fork()
    if pid == 0:   # the child: `incidents run` at a terminal
        os.execve(sys.executable, [*COMMAND, "run", "--inbox", str(inbox), "--db", str(tmp_path / "x.duckdb"),
                                   "--batch-size", "20"],
                  user_env(PREFECT_API_URL=PREFECT_API_URL.value(), COLUMNS="200"))
    screen = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:   # the terminal is closed when the command ends
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", part).strip()
             for part in screen.decode(errors="replace").replace("\r", "\n").splitlines()]
    shown = [line for line in lines if line]
    starting = next(i for i, line in enumerate(shown) if "starting Prefect" in line)
    pattern = re.compile(r"reading and extracting (\d+)/(\d+) files ?([\d,]+ files/s)?")
    first_count = next(i for i, line in enumerate(shown) if pattern.search(line))
    assert starting < first_count
    counted = [match for match in map(pattern.search, shown) if match]
    assert all(int(m.group(2)) == to_read for m in counted)
    done = sorted({int(m.group(1)) for m in counted})
    # Counted as the batches come back: shown before most files are done (a first batch can come
    # back before the first refresh, so the line need not start at 0), and rising at least twice.
    assert done[0] < to_read / 2 and len(done) >= 3, done
    assert any(m.group(3) for m in counted)   # with a rate
