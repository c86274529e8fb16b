"""Load: the run's records as Arrow tables, written in one transaction on the staged copy.

Everything here is bulk (Arrow scans inside DuckDB); nothing inserts row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pyarrow as pa

from incidents.linkage.words import ReportWords
from incidents.model import Mention, ReadResult, Rejection
from tasks.dedupe import CopyDecision, PreparedArticles

MENTION_COLUMNS = [f.name for f in fields(Mention) if f.name != "values"]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _offset_minutes(value: dt.datetime | None) -> int | None:
    if value is None or value.utcoffset() is None:
        return None
    return int(value.utcoffset().total_seconds() // 60)


ARTICLE_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("source_file", pa.string()), ("external_id", pa.string()),
    ("content_sha256", pa.string()), ("normalized_sha256", pa.string()), ("published_at", pa.timestamp("us")),
    ("published_utc_offset_minutes", pa.int32()), ("published_at_origin", pa.string()), ("source", pa.string()),
    ("url", pa.string()), ("title", pa.string()), ("text", pa.string()), ("encoding", pa.string()),
    ("char_count", pa.int32()), ("version", pa.int32()), ("ingested_at", pa.timestamp("us")),
    ("updated_at", pa.timestamp("us")), ("duplicate_of", pa.string()), ("duplicate_kind", pa.string()),
    ("duplicate_similarity", pa.float64()), ("run_id", pa.int32()),
])


def _columns(schema: pa.Schema, columns: dict[str, list]) -> pa.Table:
    """A table built column by column: no per-row dicts, which cost several times the table."""
    arrays = [column if isinstance(column := columns[f.name], pa.Array) else pa.array(column, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _long_texts(texts: list[str]) -> pa.Array:
    """Texts as an Arrow column without leaving a UTF-8 copy inside each str.

    Arrow reads a str's UTF-8 through CPython, which keeps that copy for as long as the str lives:
    the run's article texts live until their last slice is loaded, so each would be held twice.
    """
    return pa.array([text.encode("utf-8") for text in texts], pa.binary()).cast(pa.string())


def articles_table(batch: PreparedArticles, copies: dict[str, CopyDecision], versions: dict[str, int],
                   first_ingested: dict[str, dt.datetime], run_id: int, now: dt.datetime) -> pa.Table:
    articles, ids = batch.articles, batch.article_ids
    decisions = [copies.get(article_id) for article_id in ids]
    return _columns(ARTICLE_SCHEMA, {
        "article_id": ids,
        "source_file": [a.source_file for a in articles],
        "external_id": [a.external_id for a in articles],
        "content_sha256": batch.content_sha256,
        "normalized_sha256": batch.normalized_sha256,
        "published_at": [_utc(a.published_at) for a in articles],
        "published_utc_offset_minutes": [_offset_minutes(a.published_at) for a in articles],
        "published_at_origin": [a.published_at_origin for a in articles],
        "source": [a.source for a in articles],
        "url": [a.url for a in articles],
        "title": [a.title for a in articles],
        "text": _long_texts([a.text for a in articles]),
        "encoding": [a.encoding for a in articles],
        "char_count": [len(a.text) for a in articles],
        "version": [versions.get(article_id, 0) + 1 for article_id in ids],
        "ingested_at": [first_ingested.get(article_id, now) for article_id in ids],
        "updated_at": [now] * len(ids),
        "duplicate_of": [c.duplicate_of if c else None for c in decisions],
        "duplicate_kind": [c.kind if c else None for c in decisions],
        "duplicate_similarity": [c.similarity if c else None for c in decisions],
        "run_id": [run_id] * len(ids),
    })


def signatures_table(batch: PreparedArticles) -> pa.Table:
    return pa.table({
        "article_id": pa.array(batch.article_ids, pa.string()),
        "minhash": pa.array(list(batch.signatures), pa.list_(pa.uint32())),
    })


def words_table(article_ids: list[str], words: list[ReportWords]) -> pa.Table:
    return pa.table({"article_id": pa.array(article_ids, pa.string()),
                     "words": pa.array([" ".join(sorted(w.words)) for w in words], pa.string()),
                     "rarity": pa.array([w.rarity for w in words], pa.float64()),
                     "rarest": pa.array([" ".join(w.rarest) for w in words], pa.string())})


def band_keys_table(batch: PreparedArticles) -> pa.Table:
    count, bands = batch.band_keys.shape
    return pa.table({
        "article_id": pa.array([a for a in batch.article_ids for _ in range(bands)], pa.string()),
        "band": pa.array(list(range(bands)) * count, pa.int16()),
        "band_key": pa.array(batch.band_keys.reshape(-1), pa.int64()),
    })


_MENTION_TYPES = {
    "event_date": pa.date32(), "event_year": pa.int32(), "event_month": pa.int32(), "event_day": pa.int32(),
    "event_weekday": pa.int8(),
    "mention_index": pa.int32(), "latitude": pa.float64(), "longitude": pa.float64(),
    "projectile_count": pa.int32(), "projectiles_landed": pa.int32(), "projectiles_intercepted": pa.int32(),
    "killed": pa.int32(), "injured": pa.int32(), "property_damage": pa.bool_(), "claim_disowned": pa.bool_(),
    "confidence": pa.float64(),
}


MENTION_SCHEMA = pa.schema([(name, _MENTION_TYPES.get(name, pa.string())) for name in MENTION_COLUMNS])
MENTION_VALUE_SCHEMA = pa.schema([
    ("mention_id", pa.string()), ("article_id", pa.string()), ("field", pa.string()), ("value", pa.string()),
    ("evidence", pa.string()), ("span_start", pa.int32()), ("span_end", pa.int32()),
    ("confidence", pa.float64()), ("statement", pa.int32()),
])
_VALUE_ATTRIBUTES = [f.name for f in MENTION_VALUE_SCHEMA][2:]


def mentions_table(mentions: list[Mention]) -> pa.Table:
    columns = {name: [getattr(m, name) for m in mentions] for name in MENTION_COLUMNS}
    columns["event_date"] = [dt.date.fromisoformat(d) if d else None for d in columns["event_date"]]
    return _columns(MENTION_SCHEMA, columns)


def mention_values_table(mentions: list[Mention]) -> pa.Table:
    owners = [(m, v) for m in mentions for v in m.values]
    columns = {name: [getattr(v, name) for _, v in owners] for name in _VALUE_ATTRIBUTES}
    columns["mention_id"] = [m.mention_id for m, _ in owners]
    columns["article_id"] = [m.article_id for m, _ in owners]
    return _columns(MENTION_VALUE_SCHEMA, columns)


def rejections_table(rejections: list[Rejection], run_id: int, now: dt.datetime) -> pa.Table:
    unique = {r.source_file: r for r in rejections}
    return pa.table({
        "source_file": pa.array(list(unique), pa.string()),
        "reason": pa.array([r.reason for r in unique.values()], pa.string()),
        "detail": pa.array([r.detail for r in unique.values()], pa.string()),
        "seen_at": pa.array([now] * len(unique), pa.timestamp("us")),
        "size_bytes": pa.array([r.size_bytes for r in unique.values()], pa.int64()),
        "run_id": pa.array([run_id] * len(unique), pa.int32()),
    })


def inbox_files_table(rows: list[dict]) -> pa.Table:
    schema = pa.schema([
        ("source_file", pa.string()), ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()),
        ("content_sha256", pa.string()), ("outcome", pa.string()), ("article_count", pa.int32()),
        ("first_seen_at", pa.timestamp("us")), ("last_read_at", pa.timestamp("us")), ("last_run_id", pa.int32()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def inbox_file_rows(results: list[ReadResult], first_seen: dict[str, dt.datetime], run_id: int,
                    now: dt.datetime) -> list[dict]:
    rows = []
    for result in results:
        file = result.file
        outcome = "article" if result.articles else "rejected"
        entries = [(file.source_file, file.size_bytes, file.mtime_ns, result.content_sha256, outcome, len(result.articles))]
        if file.sidecar:
            entries.append((file.sidecar, file.sidecar_size_bytes, file.sidecar_mtime_ns, None, "sidecar", 0))
        for name, size, mtime, digest, kind, count in entries:
            rows.append({
                "source_file": name, "size_bytes": size, "mtime_ns": mtime, "content_sha256": digest,
                "outcome": kind, "article_count": count, "first_seen_at": first_seen.get(name, now),
                "last_read_at": now, "last_run_id": run_id,
            })
    return rows
