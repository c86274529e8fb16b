"""Discover: which inbox files are new or changed since the last run.

Only ``stat`` is done here; reading is the next stage. Links are never followed out of the
inbox, and link loops cannot trap the walk (folders reached through links are not entered).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from prefect import task

from tasks import STAGE_TASK_OPTIONS

from incidents.model import InboxFile, Rejection

SIDECAR_SUFFIX = ".meta.json"
ARTICLE_SUFFIXES = (".txt", ".json", ".jsonl", ".html", ".htm")


@dataclass(frozen=True)
class KnownFile:
    size_bytes: int
    mtime_ns: int


@dataclass
class InboxDelta:
    to_read: list[InboxFile] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # every file seen: size, mtime

    @property
    def files_seen(self) -> int:
        return len(self.stats)


def _printable(rel: str) -> str:
    """``rel`` as valid UTF-8, the bytes of a name that is not UTF-8 shown as \\xNN.

    Such a name reaches Python with surrogate escapes, which cannot be hashed or stored as text.
    """
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _link_target(path: Path) -> Path:
    # Path.resolve raises on a link loop (a -> b -> a); realpath stops and returns where it got.
    return Path(os.path.realpath(path))


def _inside(root: Path, target: Path) -> bool:
    try:
        target.relative_to(root)
        return True
    except ValueError:
        return False


def walk_inbox(root: Path) -> tuple[dict[str, os.stat_result], list[Rejection]]:
    """Every regular file under ``root`` (by relative path) and the entries that cannot be read.

    ``os.scandir`` gives each entry's type with the listing, so a file costs one ``stat``.
    """
    root = root.resolve()
    files: dict[str, os.stat_result] = {}
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
            if _printable(rel) != rel:
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
            files[rel] = info
        pending.extend(reversed(folders))
    return files, rejected


def plan_reads(
    root: Path,
    known: dict[str, KnownFile],
    min_file_age_seconds: float = 0.0,
    now: float | None = None,
) -> InboxDelta:
    """Compares the inbox with what earlier runs read; a file with a changed sidecar is re-read."""
    files, rejected = walk_inbox(root)
    now = time.time() if now is None else now
    delta = InboxDelta(rejected=rejected)
    delta.stats = {rel: (info.st_size, info.st_mtime_ns) for rel, info in files.items()}
    sidecars = {rel for rel in files if rel.endswith(SIDECAR_SUFFIX)}
    sidecar_owner = {rel: rel[: -len(SIDECAR_SUFFIX)] + ".txt" for rel in sidecars}
    owners = {owner for owner in sidecar_owner.values() if owner in files}

    def changed(rel: str) -> bool:
        info = files[rel]
        previous = known.get(rel)
        return previous is None or (previous.size_bytes, previous.mtime_ns) != (info.st_size, info.st_mtime_ns)

    for rel, info in files.items():
        if rel in sidecars and sidecar_owner[rel] in owners:
            continue  # read with its article
        sidecar = rel[: -len(".txt")] + SIDECAR_SUFFIX if rel.endswith(".txt") else None
        if sidecar not in files:
            sidecar = None
        if not (changed(rel) or (sidecar is not None and changed(sidecar))):
            delta.unchanged.append(rel)
            continue
        newest = max(info.st_mtime_ns, files[sidecar].st_mtime_ns if sidecar else 0) / 1e9
        if now - newest < min_file_age_seconds:
            delta.deferred.append(rel)
            continue
        (delta.changed if rel in known else delta.new).add(rel)
        delta.to_read.append(
            InboxFile(
                source_file=rel,
                size_bytes=info.st_size,
                mtime_ns=info.st_mtime_ns,
                sidecar=sidecar,
                sidecar_size_bytes=files[sidecar].st_size if sidecar else 0,
                sidecar_mtime_ns=files[sidecar].st_mtime_ns if sidecar else 0,
            )
        )
    rejected_names = {r.source_file for r in rejected}
    delta.deleted = sorted(rel for rel in known if rel not in files and rel not in rejected_names)
    return delta


@task(name="discover-inbox", retries=2, retry_delay_seconds=1, **STAGE_TASK_OPTIONS)
def discover_task(root: Path, known: dict[str, KnownFile], min_file_age_seconds: float) -> InboxDelta:
    return plan_reads(root, known, min_file_age_seconds)
