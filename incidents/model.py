"""The records that pass between stages: plain, picklable data (they cross to Dask workers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the linkage's own type; the model is imported by everything, linkage included
    from incidents.linkage.words import ReportWords


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
class StoredFiles:
    """What the database holds of an inbox listing (``store.compare_listing``)."""

    differing: frozenset[str]         # listed, and new or of another size or mtime than when read
    read_before: frozenset[str]       # of those, the ones an earlier run read (changed, not new)
    missing: frozenset[str]           # read before and no longer listed


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


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One value read from an article, with the sentence (original text) and span it came from."""

    field: str
    value: str | None                 # as text: '7', '2020-11-17', 'rocket', 'Green Zone'
    evidence: str                     # the original sentence
    span_start: int                   # character offsets in the article's original text
    span_end: int
    confidence: float
    statement: int                    # index of the sentence in the article: later updates win


# Slots: a first run over 1M articles reconciles 1.7M mentions at once, and an instance
# dictionary costs ~1.3 KB of each.
@dataclass(frozen=True, slots=True)
class Mention:
    """What one article says about one attack."""

    mention_id: str                   # f"{article_id}:{index}"
    article_id: str
    mention_index: int
    role: str                         # 'primary' (the article's news) | 'background' (recalled)
    date_precision: str               # day | week | month | year | unknown
    event_date: str | None = None     # ISO date when year, month and day are known
    event_year: int | None = None
    event_month: int | None = None
    event_day: int | None = None
    event_weekday: int | None = None  # 0 = Monday; known even when the date is not
    time_of_day: str | None = None
    place_id: str | None = None
    location_name: str | None = None
    location_name_ar: str | None = None
    country: str | None = None
    admin1: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: str | None = None  # site | district | city | governorate | country
    weapon_type: str = "unknown"
    weapon_detail: str | None = None
    projectile_count: int | None = None
    projectiles_landed: int | None = None
    projectiles_intercepted: int | None = None
    killed: int | None = None
    injured: int | None = None
    property_damage: bool | None = None
    target_type: str = "unknown"
    target_name: str | None = None
    launch_site: str | None = None
    launch_place_id: str | None = None
    perpetrator_claimed: str | None = None
    claim_disowned: bool | None = None
    perpetrator_accused: str | None = None
    confidence: float = 0.5
    evidence: str = ""
    values: tuple[FieldValue, ...] = ()


@dataclass(frozen=True)
class ArticleInfo:
    """What reconciliation needs of an article besides its mentions."""

    article_id: str
    copy_group: str            # article_id of the first-seen article this one copies (itself when original)
    published_at: datetime | None
    source: str | None         # outlet name
    words: ReportWords | None = None   # its uncommon words (linkage's text evidence); None: not stored
