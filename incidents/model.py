"""The records that pass between stages: plain, picklable data (they cross to Dask workers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InboxFile:
    """A file found in the inbox, with the sidecar read together with it."""

    source_file: str                  # relative to the inbox, '/'-separated
    size_bytes: int
    mtime_ns: int
    sidecar: str | None = None        # NAME.meta.json beside NAME.txt
    sidecar_size_bytes: int = 0
    sidecar_mtime_ns: int = 0


@dataclass(frozen=True)
class Rejection:
    source_file: str
    reason: str                       # a short code: empty, binary, undecodable, too_large, ...
    detail: str
    size_bytes: int | None = None


@dataclass(frozen=True)
class RawArticle:
    source_file: str                  # 'file.jsonl#3' for line 3
    text: str
    encoding: str
    external_id: str | None = None
    published_at: datetime | None = None   # timezone-aware
    published_at_origin: str = "none"      # metadata | html | dateline | none
    source: str | None = None
    url: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class ReadResult:
    file: InboxFile
    content_sha256: str | None
    articles: list[RawArticle] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    deferred: bool = False            # changed while being read: read on the next run
