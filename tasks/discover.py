"""Discover: which inbox files are new or changed since the last run.

Only ``stat`` is done here; reading is the next stage. The listing is compared with
``inbox_files`` in the database (``store.compare_listing``, an anti-join), and only the files
that differ come back to Python. Links are never followed out of the inbox, and link loops
cannot trap the walk (folders reached through links are not entered).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from prefect import task

from tasks import STAGE_TASK_OPTIONS

from incidents.model import InboxFile, Rejection, StoredFiles

SIDECAR_SUFFIX = ".meta.json"
ARTICLE_SUFFIXES = (".txt", ".json", ".jsonl", ".html", ".htm")


@dataclass
class InboxListing:
    """Every regular file under the inbox (relative path -> size, mtime_ns) and what could not be listed."""

    files: dict[str, tuple[int, int]]
    rejected: list[Rejection]

    def table(self) -> pa.Table:
        """The listing as rows, for the database to compare with what earlier runs read."""
        names = list(self.files)
        stats = list(self.files.values())
        return pa.table({
            "source_file": pa.array(names, pa.string()),
            "size_bytes": pa.array([s[0] for s in stats], pa.int64()),
            "mtime_ns": pa.array([s[1] for s in stats], pa.int64()),
        })


@dataclass
class InboxDelta:
    to_read: list[InboxFile] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    files_seen: int = 0


def _printable(rel: str) -> str:
    """``rel`` as valid UTF-8, the bytes of a name that is not UTF-8 shown as \\xNN.

    Such a name reaches Python with surrogate escapes, which cannot be hashed or stored as text.
    """
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _is_utf8(rel: str) -> bool:
    """Whether the name was valid UTF-8 (no surrogate escapes): one C call per file, where
    comparing with ``_printable`` took a quarter of a 2M-file walk."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _link_target(path: Path) -> Path:
    # Path.resolve raises on a link loop (a -> b -> a); realpath stops and returns where it got.
    return Path(os.path.realpath(path))


def _inside(root: Path, target: Path) -> bool:
    try:
        target.relative_to(root)
        return True
    except ValueError:
        return False


def walk_inbox(root: Path) -> InboxListing:
    """Every regular file under ``root`` (by relative path) and the entries that cannot be read.

    ``os.scandir`` gives each entry's type with the listing, so a file costs one ``stat``.
    """
    root = root.resolve()
    files: dict[str, tuple[int, int]] = {}
    rejected: list[Rejection] = []
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            rejected.append(Rejection(_printable(prefix.rstrip("/") or "."), "unreadable",
                                      f"cannot list folder: {exc.strerror}"))
            continue
        folders = []
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                is_folder = entry.is_dir()          # follows a link: a linked folder is reported, not entered
            except OSError:
                is_link, is_folder = False, False
            if is_folder:
                if is_link:
                    where = "outside the inbox" if not _inside(root, _link_target(Path(entry.path))) else "inside the inbox"
                    rejected.append(Rejection(_printable(rel), "link_not_followed",
                                              f"link to a folder {where} is not followed"))
                else:
                    folders.append((entry.path, rel + "/"))
                continue
            if not _is_utf8(rel):
                rejected.append(Rejection(_printable(rel), "bad_file_name",
                                          "the name is not valid UTF-8; rename the file to have it read"))
                continue
            if is_link and not _inside(root, _link_target(Path(entry.path))):
                rejected.append(Rejection(rel, "link_outside_inbox", "link leads outside the inbox; not followed"))
                continue
            try:
                info = entry.stat()
            except OSError as exc:
                rejected.append(Rejection(rel, "unreadable", f"cannot stat: {exc.strerror}"))
                continue
            if not stat.S_ISREG(info.st_mode):
                rejected.append(Rejection(rel, "not_a_file", "not a regular file"))
                continue
            files[rel] = (info.st_size, info.st_mtime_ns)
        pending.extend(reversed(folders))
    return InboxListing(files, rejected)


def plan_reads(listing: InboxListing, stored: StoredFiles, min_file_age_seconds: float = 0.0,
               now: float | None = None) -> InboxDelta:
    """Which listed files to read: those the database does not hold as they are now.

    An article is read again when it or its sidecar changed. Only the files in
    ``stored.differing`` are looked at, so a night's cost follows its new files, not the inbox.
    """
    files = listing.files
    now = time.time() if now is None else now
    delta = InboxDelta(rejected=listing.rejected, files_seen=len(files))

    def owner_of(rel: str) -> str | None:
        owner = rel[: -len(SIDECAR_SUFFIX)] + ".txt" if rel.endswith(SIDECAR_SUFFIX) else None
        return owner if owner in files else None

    def sidecar_of(rel: str) -> str | None:
        sidecar = rel[: -len(".txt")] + SIDECAR_SUFFIX if rel.endswith(".txt") else None
        return sidecar if sidecar in files else None

    owned_sidecars = sum(1 for rel in files if rel.endswith(SIDECAR_SUFFIX) and owner_of(rel))
    touched = {owner_of(rel) or rel for rel in stored.differing if rel in files}
    for rel in (rel for rel in files if rel in touched):  # in the walk's order
        size, mtime = files[rel]
        sidecar = sidecar_of(rel)
        newest = max(mtime, files[sidecar][1] if sidecar else 0) / 1e9
        if now - newest < min_file_age_seconds:
            delta.deferred.append(rel)
            continue
        # An article not differing itself (only its sidecar did) is stored as it is.
        read_before = rel in stored.read_before or rel not in stored.differing
        (delta.changed if read_before else delta.new).add(rel)
        delta.to_read.append(InboxFile(
            source_file=rel, size_bytes=size, mtime_ns=mtime, sidecar=sidecar,
            sidecar_size_bytes=files[sidecar][0] if sidecar else 0,
            sidecar_mtime_ns=files[sidecar][1] if sidecar else 0,
        ))
    delta.unchanged = len(files) - owned_sidecars - len(touched)
    rejected_names = {r.source_file for r in listing.rejected}
    delta.deleted = sorted(rel for rel in stored.missing if rel not in rejected_names)
    return delta


@task(name="list-inbox", retries=2, retry_delay_seconds=1, **STAGE_TASK_OPTIONS)
def list_inbox_task(root: Path) -> InboxListing:
    return walk_inbox(root)
