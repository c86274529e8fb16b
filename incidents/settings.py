"""Settings for one pipeline run, validated before anything is read or written.

Every mistake is reported at once, one line each, so that a nightly deployment with a bad
parameter fails at start with a message that says what to fix.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DB = "data/incidents.duckdb"
TASK_RUNNERS = ("auto", "threads", "processes", "dask", "sequential")


class SettingsError(ValueError):
    """One or more settings are wrong; the message lists each mistake on its own line.

    ``problems`` keeps them as (setting, what is wrong) pairs, so that the CLI can name its flags
    (``--wait``) where a deployment's log names the parameter (``lock_timeout_seconds``).
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{name}: {text}" if name else text for name, text in problems))


def _can_create_files_in(folder: Path) -> bool:
    # os.access answers yes to root everywhere, even in /proc or on a read-only mount: try it.
    # An unnamed temporary file leaves nothing behind.
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Settings:
    inbox: Path
    db: Path = Path(DEFAULT_DB)
    # Files larger than this are rejected unread: a news article is a few KB.
    max_file_bytes: int = 20 * 1024 * 1024
    # A file modified less than this many seconds ago may still be being written: next run.
    min_file_age_seconds: float = 0.0
    # Articles per task: large enough that Prefect's per-task cost is small against the work.
    batch_size: int = 2000
    # Files read, deduped, extracted and loaded at a time: what a run holds in memory.
    slice_size: int = 10000
    # Regroup every stored mention instead of what the new ones reach (the result is the same).
    full_reconcile: bool = False
    task_runner: str = "threads"
    workers: int = 2
    dask_address: str | None = None
    # Independent reports of one attack share < 0.1 of their 3-word shingles; agency copy
    # re-published with a new lead and a dropped paragraph keeps about 0.5 (see docs/benchmarks.md).
    near_copy_threshold: float = 0.4
    minhash_permutations: int = 128
    shingle_words: int = 3
    # Timezone assumed for publication times that carry no offset (agency copy in Iraq).
    default_timezone: str = "Asia/Baghdad"
    # How long a second run on the same database waits for the first before giving up.
    lock_timeout_seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def build(cls, **values) -> "Settings":
        """Settings from keyword values (None means default), validated."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        clean = {k: v for k, v in values.items() if k in known and v is not None}
        if "inbox" in clean:
            clean["inbox"] = Path(clean["inbox"])
        if "db" in clean:
            clean["db"] = Path(clean["db"])
        problems = [("", f"unknown setting '{name}'") for name in unknown]
        try:
            settings = cls(**clean)
        except TypeError as exc:
            raise SettingsError([("", str(exc))]) from None
        problems.extend(settings.problems())
        if problems:
            raise SettingsError(problems)
        return settings

    def problems(self) -> list[tuple[str, str]]:
        """Each mistake as (setting, what is wrong with it)."""
        found: list[tuple[str, str]] = []
        if not self.inbox.exists():
            found.append(("inbox", f"{self.inbox} does not exist"))
        elif not self.inbox.is_dir():
            found.append(("inbox", f"{self.inbox} is not a folder"))
        elif not os.access(self.inbox, os.R_OK | os.X_OK):
            found.append(("inbox", f"{self.inbox} cannot be read"))
        if self.db.exists() and self.db.is_dir():
            found.append(("db", f"{self.db} is a folder, not a database file"))
        parent = self.db.resolve().parent
        existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            found.append(("db", f"{existing} is not a folder"))
        elif existing is not None and not _can_create_files_in(existing):
            found.append(("db", f"cannot create or write files in {existing}"))
        if self.max_file_bytes < 1024:
            found.append(("max_file_bytes", f"{self.max_file_bytes} is below 1024 bytes"))
        if self.min_file_age_seconds < 0:
            found.append(("min_file_age_seconds", "must be 0 or more"))
        if self.batch_size < 1:
            found.append(("batch_size", f"{self.batch_size} must be at least 1"))
        if self.slice_size < 1:
            found.append(("slice_size", f"{self.slice_size} must be at least 1"))
        if self.task_runner not in TASK_RUNNERS:
            found.append(("task_runner", f"'{self.task_runner}' is not one of {', '.join(TASK_RUNNERS)}"))
        if self.workers < 1:
            found.append(("workers", f"{self.workers} must be at least 1"))
        if not 0.0 < self.near_copy_threshold <= 1.0:
            found.append(("near_copy_threshold", f"{self.near_copy_threshold} must be in (0, 1]"))
        if not 16 <= self.minhash_permutations <= 1024:
            found.append(("minhash_permutations", f"{self.minhash_permutations} must be 16..1024"))
        if not 1 <= self.shingle_words <= 8:
            found.append(("shingle_words", f"{self.shingle_words} must be 1..8"))
        if self.lock_timeout_seconds < 0:
            found.append(("lock_timeout_seconds", "must be 0 or more"))
        try:
            ZoneInfo(self.default_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(("default_timezone", f"'{self.default_timezone}' is not a known time zone"))
        return found

    def as_dict(self) -> dict:
        out = asdict(self)
        out["inbox"] = str(self.inbox)
        out["db"] = str(self.db)
        return out
