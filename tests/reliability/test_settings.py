"""Settings are checked before anything is read or written: every mistake gets its own line, and
the run exits 2 having created nothing."""

from __future__ import annotations

import pytest
from reliability_support import run_cli

from incidents.settings import Settings, SettingsError


def test_every_mistake_is_reported_at_once_and_nothing_is_created(tmp_path):
    refused = run_cli("run", "--inbox", "/nonexistent", "--db", "/proc/x.duckdb", "--batch-size", "0")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "incidents: --inbox: /nonexistent does not exist",
        "incidents: --db: cannot create or write files in /proc",
        "incidents: --batch-size: 0 must be at least 1",
    ]
    assert refused.stdout == ""

    db = tmp_path / "new" / "folder" / "incidents.duckdb"
    refused = run_cli("run", "--inbox", str(tmp_path / "missing"), "--db", str(db), "--max-file-bytes", "10",
                      "--min-file-age", "-1", "--wait", "-5", "--workers", "0")
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 5
    assert list(tmp_path.iterdir()) == []


MISTAKES = {
    "inbox is a file": ({"inbox": "/etc/hostname"}, "inbox: /etc/hostname is not a folder"),
    "db is a folder": ({"db": "{tmp}"}, "db: {tmp} is a folder, not a database file"),
    "db under a file": ({"db": "/etc/hostname/x.duckdb"}, "db: /etc/hostname is not a folder"),
    "db in a read-only system folder": ({"db": "/sys/x.duckdb"}, "db: cannot create or write files in /sys"),
    "tiny file limit": ({"max_file_bytes": 10}, "max_file_bytes: 10 is below 1024 bytes"),
    "negative file age": ({"min_file_age_seconds": -1}, "min_file_age_seconds: must be 0 or more"),
    "zero batch": ({"batch_size": 0}, "batch_size: 0 must be at least 1"),
    "unknown runner": ({"task_runner": "cluster"}, "task_runner: 'cluster' is not one of"),
    "zero workers": ({"workers": 0}, "workers: 0 must be at least 1"),
    "threshold above 1": ({"near_copy_threshold": 1.5}, "near_copy_threshold: 1.5 must be in (0, 1]"),
    "few permutations": ({"minhash_permutations": 4}, "minhash_permutations: 4 must be 16..1024"),
    "long shingles": ({"shingle_words": 20}, "shingle_words: 20 must be 1..8"),
    "negative wait": ({"lock_timeout_seconds": -1}, "lock_timeout_seconds: must be 0 or more"),
    "unknown time zone": ({"default_timezone": "Mars/Olympus"}, "default_timezone: 'Mars/Olympus' is not a known"),
    "unknown setting": ({"bach_size": 10}, "unknown setting 'bach_size'"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_has_its_own_clear_line(mistake, tmp_path):
    values, message = MISTAKES[mistake]
    values = {key: value.format(tmp=tmp_path) if isinstance(value, str) else value for key, value in values.items()}
    with pytest.raises(SettingsError) as raised:
        Settings.build(**{"inbox": str(tmp_path), "db": str(tmp_path / "x.duckdb"), **values})
    lines = str(raised.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(tmp=tmp_path))
