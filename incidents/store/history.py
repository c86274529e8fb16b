"""What a run reads back from the history of inbox files and articles, and the old versions it keeps.

Everything here goes through the staged copy's write transaction (``Writer``), except
``recorded_file_count``, which reads the live file before a run starts. The inbox listing, the
articles being loaded and their MinHash band keys are joined with the stored tables inside
DuckDB, so what comes back to Python grows with a night's new files, not with the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from incidents import minhash
from incidents.model import StoredFiles
from incidents.store.database import Writer, key_table, read_only_connection


def recorded_file_count(db_path: Path) -> int:
    """Inbox files the live database has a row for (0 when there is no database yet)."""
    if not db_path.exists():
        return 0
    conn = read_only_connection(db_path)
    try:
        return int(conn.execute("SELECT count(*) FROM inbox_files WHERE outcome <> 'deleted'").fetchone()[0])
    except duckdb.CatalogException:
        return 0
    finally:
        conn.close()


_LISTING_DIFF_SQL = """
SELECT l.source_file, k.source_file IS NOT NULL AS read_before
FROM _listing l LEFT JOIN inbox_files k ON k.source_file = l.source_file AND k.outcome <> 'deleted'
WHERE k.source_file IS NULL OR k.size_bytes IS DISTINCT FROM l.size_bytes OR k.mtime_ns IS DISTINCT FROM l.mtime_ns
"""
_LISTING_MISSING_SQL = """
SELECT k.source_file FROM inbox_files k ANTI JOIN _listing l USING (source_file) WHERE k.outcome <> 'deleted'
"""


def compare_listing(writer: Writer, listing: pa.Table) -> StoredFiles:
    """The listed files that are new or changed since they were read, and the ones gone.

    The listing is joined with ``inbox_files`` in DuckDB, so only the differences (a night's new
    files) come back to Python however large the inbox has grown.
    """
    with writer.scratch(_listing=listing):
        differing = writer.raw.execute(_LISTING_DIFF_SQL).fetchall()
        missing = writer.raw.execute(_LISTING_MISSING_SQL).fetchall()
    return StoredFiles(differing=frozenset(row[0] for row in differing),
                       read_before=frozenset(row[0] for row in differing if row[1]),
                       missing=frozenset(row[0] for row in missing))


def known_files(writer: Writer, names: Iterable[str]) -> dict[str, tuple[int, int, str | None, str, object]]:
    """source_file -> (size, mtime_ns, sha256, outcome, first_seen_at) of those ``names`` read before."""
    rows = writer.rows(
        "SELECT source_file, size_bytes, mtime_ns, content_sha256, outcome, first_seen_at "
        "FROM inbox_files JOIN _names USING (source_file)",
        _names=key_table("source_file", sorted(set(names))),
    )
    return {row[0]: row[1:] for row in rows}


def article_versions(writer: Writer, article_ids: list[str]) -> dict[str, tuple[int, object, str]]:
    """article_id -> (version, ingested_at, content_sha256) for stored articles among ``article_ids``."""
    if not article_ids:
        return {}
    rows = writer.rows(
        "SELECT a.article_id, a.version, a.ingested_at, a.content_sha256 FROM articles a JOIN _ids USING (article_id)",
        _ids=key_table("article_id", article_ids),
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def archive_articles(writer: Writer, article_ids: list[str], superseded_at, run_id: int) -> None:
    """Keeps the text a changed file's article had, before the new version replaces it."""
    writer.rows(
        "INSERT INTO article_versions SELECT article_id, version, content_sha256, published_at, source, title, "
        "text, ?, ? FROM articles WHERE article_id IN (SELECT article_id FROM _replaced)",
        (superseded_at, run_id), _replaced=key_table("article_id", article_ids),
    )


def exact_copy_originals(writer: Writer, normalized_hashes: list[str], exclude: list[str]) -> dict[str, str]:
    """normalized hash -> first-seen stored article with that text (articles being replaced excluded)."""
    if not normalized_hashes:
        return {}
    rows = writer.rows(
        "SELECT a.normalized_sha256, arg_min(coalesce(a.duplicate_of, a.article_id), a.ingested_at) "
        "FROM articles a JOIN _hashes USING (normalized_sha256) "
        "WHERE a.article_id NOT IN (SELECT article_id FROM _exclude) GROUP BY 1",
        _hashes=key_table("normalized_sha256", normalized_hashes), _exclude=key_table("article_id", exclude),
    )
    return dict(rows)


_NEAR_COPY_PAIRS_SQL = """
SELECT DISTINCT n.new_index, k.article_id FROM _new_keys n
JOIN article_band_keys k ON k.band = n.band AND k.band_key = n.band_key
WHERE k.article_id NOT IN (SELECT article_id FROM _exclude)
ORDER BY 1, 2
"""
# Pairs verified per block: a block's comparison matrix is this many times the signature width.
_VERIFIED_PER_BLOCK = 200_000


def near_copies(writer: Writer, band_keys: np.ndarray, signatures: np.ndarray, threshold: float,
                exclude: list[str]) -> list[tuple[int, str, str, float]]:
    """Stored near copies of new articles: (new index, article_id, its original, similarity).

    Candidates share an LSH band with a new article: an equi-join on (band, band_key), the only
    place the history is read for near copies. Where many articles share a band (agency
    boilerplate) candidates grow with the history, so the join returns ids only, and the stored
    signatures of the candidates are fetched as one Arrow column and compared in blocks with
    ``minhash.estimated_jaccard``: no hash table of signature lists inside DuckDB's memory limit.
    """
    count, bands = band_keys.shape
    if count == 0:
        return []
    keys = pa.table({
        "new_index": pa.array(np.repeat(np.arange(count, dtype=np.int32), bands)),
        "band": pa.array(np.tile(np.arange(bands, dtype=np.int16), count)),
        "band_key": pa.array(band_keys.reshape(-1).astype(np.int64)),
    })
    with writer.scratch(_new_keys=keys, _exclude=key_table("article_id", exclude)):
        pairs = writer.arrow(_NEAR_COPY_PAIRS_SQL)
    if pairs.num_rows == 0:
        return []
    candidates = pc.unique(pairs.column("article_id"))
    with writer.scratch(_candidates=pa.table({"article_id": candidates})):
        stored = writer.arrow(
            "SELECT article_id, coalesce(a.duplicate_of, a.article_id) AS original, s.minhash "
            "FROM article_signatures s SEMI JOIN _candidates USING (article_id) "
            "JOIN articles a USING (article_id)")
    ids = stored.column("article_id").to_pylist()
    originals = stored.column("original").to_pylist()
    width = signatures.shape[1]
    stored_signatures = np.asarray(pc.list_flatten(stored.column("minhash")).to_numpy(zero_copy_only=False),
                                   dtype=np.uint32).reshape(-1, width)
    new_index = pairs.column("new_index").to_numpy()
    stored_row = pc.index_in(pairs.column("article_id"), value_set=stored.column("article_id")).to_numpy()
    found = []
    for start in range(0, len(new_index), _VERIFIED_PER_BLOCK):
        block = slice(start, start + _VERIFIED_PER_BLOCK)
        similarity = minhash.estimated_jaccard(signatures[new_index[block]], stored_signatures[stored_row[block]])
        for offset in np.flatnonzero(similarity >= threshold).tolist():
            row = stored_row[start + offset]
            found.append((int(new_index[start + offset]), ids[row], originals[row], float(similarity[offset])))
    return found
