"""The disk fills or the database cannot be written: the run fails with a clear reason and the
database keeps its state before the run.

Tests run as root in CI, where permissions do not stop writes and no small file system can be
mounted, so the faults are made in two other ways: the file-size limit of the run's process
(RLIMIT_FSIZE: the kernel refuses writes beyond it with EFBIG, as it refuses them with ENOSPC on
a full disk), and, for the exact step where the disk fills, the failing system call itself.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import shutil
import stat
import subprocess

import pytest
from reliability_support import add_devset_copies, cli_command, cli_env, run_cli, staging_file, table_state

from incidents.store import DatabaseError

REPORT = "سقطت ثلاثة صواريخ كاتيوشا على قاعدة بلد الجوية مساء الاثنين دون خسائر بشرية."
LATER = "انفجرت عبوة ناسفة على رتل للدعم اللوجستي في قضاء المحمودية جنوب بغداد صباح اليوم."


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fail_when(condition, real):
    def call(*args, **kwargs):
        if condition(*args):
            no_space()
        return real(*args, **kwargs)
    return call


def is_staging(path) -> bool:
    return str(path).endswith(".staging")


def is_regular_file(fd) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


DISK_FULL_AT = {
    "copying the database": lambda mp: mp.setattr(shutil, "copyfile",
                                                  fail_when(lambda src, dst: is_staging(dst), shutil.copyfile)),
    "syncing the staged copy": lambda mp: mp.setattr(os, "fsync", fail_when(is_regular_file, os.fsync)),
    "swapping it in": lambda mp: mp.setattr(os, "replace", fail_when(lambda src, dst: is_staging(src), os.replace)),
}


@pytest.fixture
def database_with_one_article(inbox, db_path, run):
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    run(inbox, db_path)
    (inbox / "later.txt").write_text(LATER, encoding="utf-8")
    return db_path


@pytest.mark.parametrize("step", sorted(DISK_FULL_AT))
def test_disk_full_keeps_the_database(step, inbox, database_with_one_article, run, monkeypatch):
    db = database_with_one_article
    digest, state = sha256(db), table_state(db)
    DISK_FULL_AT[step](monkeypatch)
    with pytest.raises(DatabaseError, match=f"cannot write {db}: No space left on device"):
        run(inbox, db)
    monkeypatch.undo()
    assert sha256(db) == digest and table_state(db) == state
    assert not staging_file(db).exists()
    journal = db.with_name(db.name + ".runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(journal[-1])["error"] == f"cannot write {db}: No space left on device"
    assert run(inbox, db)["files_new"] == 1


def test_failed_folder_sync_after_the_swap_is_not_a_failed_run(inbox, database_with_one_article, run, sql,
                                                              monkeypatch):
    db = database_with_one_article
    monkeypatch.setattr(os, "fsync", fail_when(lambda fd: not is_regular_file(fd), os.fsync))
    assert run(inbox, db)["files_new"] == 1
    assert sql(db, "SELECT count(*) FROM articles") == [(2,)]


def run_with_file_size_limit(limit: int, *args: str) -> subprocess.CompletedProcess:
    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(cli_command(*args), env=cli_env(), capture_output=True, text=True, timeout=180,
                          preexec_fn=limit_file_size)


@pytest.mark.slow
def test_database_that_cannot_grow_keeps_its_state(tmp_path):
    inbox = add_devset_copies(tmp_path / "inbox", range(0, 1))
    db = tmp_path / "data" / "incidents.duckdb"
    assert run_cli("run", "--inbox", str(inbox), "--db", str(db)).returncode == 0
    add_devset_copies(inbox, range(1, 3))
    digest, state = sha256(db), table_state(db)
    cases = {
        # The copy fits; the new articles do not: DuckDB fails while writing the staged copy.
        db.stat().st_size + 64 * 1024: "incidents: cannot write the database: File too large",
        # Not even the copy fits.
        db.stat().st_size // 2: f"incidents: cannot write {db}: File too large",
    }
    for limit, reason in cases.items():
        refused = run_with_file_size_limit(limit, "run", "--inbox", str(inbox), "--db", str(db))
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1] == f"{reason} (the database is unchanged)"
        assert sha256(db) == digest and table_state(db) == state
        assert not staging_file(db).exists()
    assert run_cli("run", "--inbox", str(inbox), "--db", str(db)).returncode == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders: the fault cannot be made")
def test_read_only_folder_is_refused_at_start(inbox, db_path, run):
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    run(inbox, db_path)
    digest = sha256(db_path)
    db_path.parent.chmod(0o555)
    try:
        refused = run_cli("run", "--inbox", str(inbox), "--db", str(db_path))
    finally:
        db_path.parent.chmod(0o755)
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"incidents: db: cannot create or write files in {db_path.parent}"
    assert sha256(db_path) == digest


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_damaged_database_fails_the_run_with_its_reason(damage, inbox, db_path, run):
    (inbox / "report.txt").write_text(REPORT, encoding="utf-8")
    if damage == "garbage":
        db_path.parent.mkdir(parents=True)
        db_path.write_bytes(os.urandom(64 * 1024))
        expected = "IO Error: .*not a valid DuckDB database file"
    else:
        run(inbox, db_path)
        (inbox / "later.txt").write_text(LATER, encoding="utf-8")
        with open(db_path, "r+b") as handle:
            handle.truncate(db_path.stat().st_size // 2)
        # Where the cut falls decides which: a block cut short, or a block whose checksum fails.
        expected = "(IO Error: .*Could not read enough bytes|Corrupt database file)"
    digest = sha256(db_path)
    with pytest.raises(DatabaseError, match=f"cannot use the database: .*{expected}"):
        run(inbox, db_path)
    assert sha256(db_path) == digest
    assert not staging_file(db_path).exists()
