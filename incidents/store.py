"""The one place where the database is touched.

A run never writes the live database file. It copies the file beside itself, writes the copy
(committing after each slice of articles, so that memory stays flat), checkpoints it and swaps it
in with an atomic rename. So:

- a run that fails or is killed at any point leaves the live file exactly as it was;
- analysts can open the live file read-only during a run (DuckDB lets one process write a file
  and, while it does, no other process can open it: here nobody writes the live file);
- two runs are kept apart by an advisory lock that the kernel drops when its holder dies.

Schema changes are numbered SQL files in ``sql/migrations``; views are ``sql/views/*.sql``,
re-created on every run so that they always match the code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import time
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from incidents import SQL_DIR, minhash
from incidents.linkage.linking import Overrides
from incidents.linkage.words import ReportWords
from incidents.model import ArticleInfo, Mention, StoredFiles

MIGRATIONS_DIR = SQL_DIR / "migrations"
# DuckDB's own share of a run's memory (its page cache and query state; more spills to disk).
# Runs commit and checkpoint after each slice, so cached pages are clean and can be dropped.
WRITER_MEMORY_LIMIT = "256MB"
VIEWS_DIR = SQL_DIR / "views"


class DatabaseBusy(RuntimeError):
    """Another run holds the database."""


class DatabaseError(RuntimeError):
    """The database cannot be opened, migrated or written; the live file is unchanged."""


def migrations() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append((int(number), name.replace("_", " "), path))
    return found


def schema_version_of_code() -> int:
    return migrations()[-1][0]


def sql_statements(sql: str) -> list[str]:
    """Statements of a SQL file: each ends with ';' at the end of a line."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in re.split(r";[ \t]*(?:\n|$)", "\n".join(lines)) if s.strip()]


def engine_for(path: Path, read_only: bool = False) -> sa.Engine:
    # DuckDB's buffer pool would otherwise grow to most of the machine's memory during a load;
    # past this it evicts to the file and to a spill folder beside it.
    connect_args: dict = {"read_only": read_only, "config": {"memory_limit": WRITER_MEMORY_LIMIT}}
    if read_only:
        # A query from a notebook or a deployment parameter must not reach the machine.
        connect_args["config"] = {
            "enable_external_access": False,
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
        }
    return sa.create_engine(f"duckdb:///{path}", connect_args=connect_args, poolclass=sa.pool.NullPool)


def migrate(conn: sa.Connection) -> list[int]:
    """Brings the schema up to the code's version; returns the versions applied."""
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)"
    )
    current = conn.exec_driver_sql("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
    applied = []
    for number, name, path in migrations():
        if number <= current:
            continue
        for statement in sql_statements(path.read_text(encoding="utf-8")):
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(
            "INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", (number, name)
        )
        applied.append(number)
    for path in sorted(VIEWS_DIR.glob("*.sql")):
        for statement in sql_statements(path.read_text(encoding="utf-8")):
            conn.exec_driver_sql(statement)
    return applied


class RunLock:
    """An advisory lock beside the database: one run at a time, never stale after a crash."""

    def __init__(self, db_path: Path, timeout_seconds: float = 0.0):
        self.path = db_path.with_name(db_path.name + ".lock")
        self.timeout_seconds = timeout_seconds
        self._handle = None

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    handle.close()
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    handle.close()
                    raise DatabaseBusy(
                        f"another run is writing {self.path.with_suffix('').name} ({holder}); "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc) -> None:
        assert self._handle is not None
        self._handle.seek(0)
        self._handle.truncate()
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_database(db_path: Path) -> Iterator[Path]:
    """Yields a private copy of the database; on success it replaces the live file atomically.

    Must be used under ``RunLock``. Leftover copies of killed runs are removed first.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.with_name(f".{db_path.name}.staging")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    wal = db_path.with_name(db_path.name + ".wal")
    if wal.exists():
        # A WAL beside the live file is from a process that was not ours (a user's writer):
        # fold it in first so that the copy holds everything.
        with contextlib.closing(duckdb.connect(str(db_path))) as conn:
            conn.execute("CHECKPOINT")
    try:
        if db_path.exists():
            shutil.copyfile(db_path, staging)
        yield staging
        with open(staging, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, db_path)
        # The run is done once the rename is: were the folder's sync to fail, a power cut could
        # at worst bring back the old file, which is whole, and the next run redoes the work.
        with contextlib.suppress(OSError):
            _fsync_dir(db_path.parent)
    except OSError as exc:
        raise DatabaseError(f"cannot write {db_path}: {exc.strerror or exc}") from exc
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            leftover.unlink(missing_ok=True)


def _unregister(raw: duckdb.DuckDBPyConnection, *names: str) -> None:
    # After a failed statement the transaction is aborted and unregistering fails as well: the
    # first error is the one worth reporting, so this one is let go.
    for name in names:
        with contextlib.suppress(duckdb.TransactionException):
            raw.unregister(name)


def key_table(column: str, values: list[str]) -> pa.Table:
    return pa.table({column: pa.array(values, pa.string())})


_ARROW_TYPES = {
    "VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "SMALLINT": pa.int16(),
    "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
}


# Changes to a table written and committed this many rows at a time (``Writer.replace_where``):
# the 2M inbox rows of a 1M-article inbox replaced at once exceeded WRITER_MEMORY_LIMIT; parts of
# 500,000 fitted (measured on the benchmark's 1M database; docs/reliability.md).
ROWS_PER_COMMIT = 200_000


@dataclass
class Writer:
    """A write transaction on the staged copy, with DuckDB's bulk path for Arrow tables."""

    conn: sa.Connection

    @property
    def raw(self) -> duckdb.DuckDBPyConnection:
        return self.conn.connection.driver_connection

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        return [tuple(row) for row in self.conn.exec_driver_sql(sql, params).fetchall()]

    def execute(self, sql: str, params: tuple | dict = ()) -> None:
        self.conn.exec_driver_sql(sql, params)

    def checkpoint(self) -> None:
        """Commits what is written so far into the staged copy and writes it out of memory.

        DuckDB keeps a transaction's inserts in memory until it commits; a run that loads in
        slices commits after each, so its memory does not grow with the inbox. The live file is
        untouched until the swap, and a run that fails leaves only a staged copy to remove.
        """
        self.conn.commit()
        self.conn.exec_driver_sql("CHECKPOINT")

    def arrow(self, sql: str) -> pa.Table:
        with warnings.catch_warnings():
            # DuckDB warns that a DB-API result copies once more; the copy is what keeps the
            # read inside this write transaction (a separate cursor would not see its writes).
            warnings.simplefilter("ignore", UserWarning)
            return self.raw.execute(sql).to_arrow_table()

    def arrow_batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """A statement's result as Arrow batches of ``rows``, read as they are needed."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # as in ``arrow``
            yield from self.raw.execute(sql).to_arrow_reader(rows)

    @contextlib.contextmanager
    def scratch(self, **tables: pa.Table) -> Iterator[None]:
        """Arrow tables visible to SQL by name for the duration of a block, inside the transaction."""
        for name, table in tables.items():
            self.raw.register(name, table)
        try:
            yield
        finally:
            _unregister(self.raw, *tables)

    def rows(self, sql: str, params: tuple | dict = (), **tables: pa.Table) -> list[tuple]:
        """A statement over stored tables and the given scratch tables."""
        with self.scratch(**tables):
            return self.raw.execute(sql, params).fetchall()

    def insert_arrow(self, table_name: str, rows: pa.Table) -> int:
        """Appends rows by column name through DuckDB's Arrow scan: no per-row statements."""
        if rows.num_rows == 0:
            return 0
        columns = ", ".join(rows.column_names)
        self.rows(f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM _arrow_rows", _arrow_rows=rows)
        return rows.num_rows

    def insert_rows(self, table_name: str, rows: list[dict]) -> int:
        """Appends dicts as rows, typed from the table's own columns (keys it lacks are NULL)."""
        columns = self.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", (table_name,)
        )
        schema = pa.schema([(name, _ARROW_TYPES.get(kind, pa.string())) for name, kind in columns])
        table = pa.Table.from_arrays(
            [pa.array([row.get(field.name) for row in rows], field.type) for field in schema], schema=schema)
        return self.insert_arrow(table_name, table)

    def replace_where(self, table_name: str, key: str, keys: list[str], rows: pa.Table) -> None:
        """Deletes the rows whose ``key`` is in ``keys`` and inserts ``rows`` in their place.

        More than ROWS_PER_COMMIT keys or rows are written in committed parts: DuckDB holds a
        transaction's changes to a table and its primary-key index in memory, and a night that
        finds a million files gone from the inbox (an archived backlog) must still fit the
        writer's memory limit. The parts are commits into the staged copy only (``checkpoint``).
        """
        parts = max(len(keys), rows.num_rows) > ROWS_PER_COMMIT
        for start in range(0, len(keys), ROWS_PER_COMMIT):
            self.rows(f"DELETE FROM {table_name} WHERE {key} IN (SELECT {key} FROM _keys)",
                      _keys=key_table(key, keys[start:start + ROWS_PER_COMMIT]))
            if parts:
                self.checkpoint()
        for start in range(0, rows.num_rows, ROWS_PER_COMMIT):
            self.insert_arrow(table_name, rows.slice(start, ROWS_PER_COMMIT))
            if parts:
                self.checkpoint()


_WRITE_FAILURE_RE = re.compile(r'Could not write file "[^"]*": ([^"\n]+)')


def _file_failure(exc: BaseException) -> str | None:
    """What went wrong with the database file (no space, unreadable ...), or None for other errors.

    SQLAlchemy wraps the driver's errors, and DuckDB reports a failed write during a checkpoint as
    a fatal error that names the I/O error only further down its text.
    """
    cause = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    text = str(cause)
    # A block whose checksum fails (a truncated or overwritten file) is a damaged file too, though
    # DuckDB raises it as a plain error.
    corrupt = isinstance(cause, duckdb.Error) and text.startswith("Corrupt database file")
    if not (corrupt or isinstance(cause, (duckdb.IOException, duckdb.FatalException))):
        return None
    found = _WRITE_FAILURE_RE.search(text)
    if found:
        return f"cannot write the database: {found.group(1).strip()}"
    return f"cannot use the database: {text.splitlines()[0]}"


@contextlib.contextmanager
def write_transaction(staged_path: Path) -> Iterator[Writer]:
    """Opens the staged copy, migrates it, and commits what the run writes; whatever fails, only the
    staged copy has seen it (``staged_database`` removes it), so the run changes all or nothing."""
    engine = engine_for(staged_path)
    try:
        with engine.connect() as conn:
            migrate(conn)
            yield Writer(conn)
            conn.commit()
            conn.exec_driver_sql("CHECKPOINT")
    except (duckdb.Error, sa.exc.DBAPIError) as exc:
        failure = _file_failure(exc)
        if failure is None:
            raise
        raise DatabaseError(failure) from exc
    finally:
        engine.dispose()


def read_only_connection(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A connection for analysts' queries: read-only, no file access, no extensions."""
    if not db_path.exists():
        raise DatabaseError(f"no database at {db_path}: run `incidents run` first")
    try:
        conn = duckdb.connect(
            str(db_path),
            read_only=True,
            config={
                "enable_external_access": False,
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
            },
        )
    except duckdb.Error as exc:
        raise DatabaseError(f"cannot open {db_path}: {exc}") from exc
    try:
        # A second connection in one process shares the first one's (already locked) settings.
        if not conn.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:
            conn.execute("SET lock_configuration = true")
    except duckdb.Error:
        conn.close()
        raise
    return conn


def append_run_journal(db_path: Path, entry: dict) -> None:
    """Runs that fail change nothing in the database; their reason is kept beside it."""
    journal = db_path.with_name(db_path.name + ".runs.jsonl")
    with contextlib.suppress(OSError):
        with open(journal, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


# ------------------------------------------------------------------------------------------------
# What a run reads back from the history (all through the staged copy's write transaction)


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


# What reconcile reads of a stored mention, with the sentences the linkage compares: the
# mention's own and those its values were read from.
MENTION_FIELDS_FOR_RECONCILE = (
    "mention_id, article_id, mention_index, role, date_precision, CAST(event_date AS VARCHAR) AS event_date, "
    "event_year, event_month, event_day, event_weekday, time_of_day, place_id, location_name, location_name_ar, "
    "country, admin1, city, latitude, longitude, geo_precision, weapon_type, weapon_detail, projectile_count, killed, injured, "
    "property_damage, target_type, target_name, launch_site, launch_place_id, perpetrator_claimed, claim_disowned, "
    "perpetrator_accused, concat_ws(' ', evidence, (SELECT string_agg(DISTINCT v.evidence, ' ' ORDER BY v.evidence) "
    "FROM mention_values v WHERE v.mention_id = mentions.mention_id AND v.evidence IS DISTINCT FROM "
    "mentions.evidence)) AS evidence"
)

# (given report, stored report) whose blocking keys meet (incidents/linkage/candidates.py).
_KEY_PARTNERS_SQL = """
SELECT DISTINCT n.mention_id, k.mention_id FROM link_keys k JOIN _keys n ON n.key = k.key AND n.kind <> k.kind
WHERE k.mention_id NOT IN (SELECT mention_id FROM _keys)
"""

# Stored reports joined to the given ones by a link (incidents/linkage/clustering.py, is_link).
_LINK_PARTNERS_SQL = """
SELECT mention_b FROM report_links WHERE is_link AND mention_a IN (SELECT mention_id FROM _ids)
UNION SELECT mention_a FROM report_links WHERE is_link AND mention_b IN (SELECT mention_id FROM _ids)
"""


def mention_from_row(row: dict) -> Mention:
    return Mention(**{k: v for k, v in row.items() if v is not None or k == "event_date"})


@dataclass
class ReconcileHistory:
    """The stored mentions and incidents as reconcile reads them (``tasks.reconcile.History``)."""

    writer: Writer

    def mentions(self, mention_ids: Iterable[str] | None) -> list[Mention]:
        # Unordered (reconcile orders them) and streamed in batches: a first run's full regroup
        # reads every stored mention, more than DuckDB's memory limit holds at once at 1M articles.
        tables = {}
        sql = f"SELECT {MENTION_FIELDS_FOR_RECONCILE} FROM mentions"
        if mention_ids is not None:
            ids = sorted(mention_ids)
            if not ids:
                return []
            tables["_ids"] = key_table("mention_id", ids)
            sql += " WHERE mention_id IN (SELECT mention_id FROM _ids)"
        with self.writer.scratch(**tables):
            return [mention_from_row(row) for batch in self.writer.arrow_batches(sql, 50_000)
                    for row in batch.to_pylist()]

    def incident_rows(self, mention_ids: Iterable[str] | None, incident_ids: Iterable[str] = ()) -> dict[str, str]:
        if mention_ids is None:
            return dict(self.writer.query("SELECT mention_id, incident_id FROM incident_sources"))
        return dict(self.writer.rows(
            "SELECT mention_id, incident_id FROM incident_sources WHERE incident_id IN ("
            "  SELECT incident_id FROM incident_sources WHERE mention_id IN (SELECT mention_id FROM _mentions)"
            "  UNION SELECT incident_id FROM _incidents)",
            _mentions=key_table("mention_id", sorted(mention_ids)),
            _incidents=key_table("incident_id", sorted(incident_ids)),
        ))

    def key_partners(self, key_rows: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
        if not key_rows:
            return set()
        table = pa.table({"mention_id": [r[0] for r in key_rows], "kind": [r[1] for r in key_rows],
                          "key": [r[2] for r in key_rows]})
        return {(row[0], row[1]) for row in self.writer.rows(_KEY_PARTNERS_SQL, _keys=table)}

    def link_partners(self, mention_ids: Iterable[str]) -> set[str]:
        ids = sorted(mention_ids)
        if not ids:
            return set()
        return {row[0] for row in self.writer.rows(_LINK_PARTNERS_SQL, _ids=key_table("mention_id", ids))}

    def overrides(self) -> Overrides:
        rows = self.writer.query("SELECT mention_a, mention_b, decision FROM link_overrides ORDER BY override_id")
        # A later decision on the same pair replaces an earlier one.
        return Overrides({frozenset((a, b)): decision for a, b, decision in rows})

    def pending_overrides(self) -> set[str]:
        rows = self.writer.query("SELECT mention_a, mention_b FROM link_overrides WHERE applied_run_id IS NULL")
        return {mention for row in rows for mention in row}

    def articles(self, article_ids: Iterable[str]) -> dict[str, ArticleInfo]:
        ids = sorted(article_ids)
        if not ids:
            return {}
        rows = self.writer.rows(
            "SELECT article_id, coalesce(duplicate_of, article_id), published_at, source, words, rarity, rarest "
            "FROM articles LEFT JOIN article_words USING (article_id) "
            "WHERE article_id IN (SELECT article_id FROM _ids)", _ids=key_table("article_id", ids),
        )
        return {
            article_id: ArticleInfo(article_id, group, published.replace(tzinfo=dt.timezone.utc) if published else None,
                                    source, stored_words(words, rarity, rarest))
            for article_id, group, published, source, words, rarity, rarest in rows
        }

    def incident_runs(self, incident_ids: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
        rows = self.writer.rows(
            "SELECT incident_id, created_run_id, updated_run_id FROM incidents "
            "WHERE incident_id IN (SELECT incident_id FROM _ids)", _ids=key_table("incident_id", sorted(incident_ids)),
        )
        return {row[0]: row[1] for row in rows}, {row[0]: row[2] for row in rows}

    def ids_in_use(self, incident_ids: Iterable[str]) -> set[str]:
        return {row[0] for row in self.writer.rows(
            "SELECT incident_id FROM _ids WHERE incident_id IN (SELECT incident_id FROM incidents) "
            "OR incident_id IN (SELECT retired_id FROM incident_id_map)",
            _ids=key_table("incident_id", sorted(incident_ids)))}

    def orphaned_incidents(self) -> set[str]:
        """Incidents that hold a mention no longer stored (its article was re-read)."""
        return {row[0] for row in self.writer.query(
            "SELECT DISTINCT incident_id FROM incident_sources WHERE mention_id NOT IN (SELECT mention_id FROM mentions)")}


# A reconciliation's incidents are written and committed this many at a time. DuckDB holds a
# transaction's new rows and the primary-key index they touch in memory until it commits, and the
# transforms join every value of the incidents they rebuild: written at once, a full regroup needs
# memory in proportion to the history. A part of 50,000 incidents (with their ~830k values) and
# its three derived tables were written within 128 MB, half of WRITER_MEMORY_LIMIT
# (docs/benchmarks.md, "Analysts' queries").
INCIDENTS_PER_COMMIT = 50_000

# The tables derived from an incident and its sources, rebuilt in this order by the transforms of
# sql/transforms for the incidents listed in the scratch table _reconciled_incidents.
DERIVED_TABLES = ("incident_field_values", "incident_articles", "incident_citations")


def _derived_statements() -> list[str]:
    return [statement for table in DERIVED_TABLES
            for statement in sql_statements((SQL_DIR / "transforms" / f"{table}.sql").read_text("utf-8"))]


def _parts(writer: Writer, incident_ids: list[str]) -> Iterator[list[str]]:
    """The incidents in parts of INCIDENTS_PER_COMMIT, each listed in the scratch table
    _reconciled_incidents while the caller writes it, then committed into the staged copy."""
    for start in range(0, len(incident_ids), INCIDENTS_PER_COMMIT):
        part = incident_ids[start:start + INCIDENTS_PER_COMMIT]
        with writer.scratch(_reconciled_incidents=key_table("incident_id", part)):
            yield part
        writer.checkpoint()


def write_incidents(writer: Writer, replaced: Iterable[str], incidents: list[dict], sources: list[dict],
                    id_map: list[dict]) -> None:
    """Puts a reconciliation's incidents in place of the ones it regrouped, with their derived rows.

    Written in parts of INCIDENTS_PER_COMMIT incidents, each committed into the staged copy: a
    run that fails later still leaves the live database as it was.
    """
    ids = sorted(set(replaced) | {row["incident_id"] for row in incidents})
    incidents = sorted(incidents, key=lambda row: row["incident_id"])
    sources = sorted(sources, key=lambda row: row["incident_id"])
    incident_keys = [row["incident_id"] for row in incidents]
    source_keys = [row["incident_id"] for row in sources]
    derived = _derived_statements()
    for part in _parts(writer, ids):
        first, last = part[0], part[-1]
        for table in ("incident_sources", "incidents"):
            writer.raw.execute(f"DELETE FROM {table} WHERE incident_id IN (SELECT incident_id FROM _reconciled_incidents)")
        writer.insert_rows("incidents", incidents[bisect_left(incident_keys, first):bisect_right(incident_keys, last)])
        writer.insert_rows("incident_sources", sources[bisect_left(source_keys, first):bisect_right(source_keys, last)])
        for statement in derived:
            writer.raw.execute(statement)
    writer.insert_rows("incident_id_map", id_map)


def write_links(writer: Writer, links, run_id: int) -> None:
    """Puts a reconciliation's pairs and blocking keys in place (``tasks.reconcile.LinkRows``):
    the pairs among its scope and those of its fresh reports, or the whole table after a full
    regroup; the pairs and keys of reports no longer stored go. Marks the analysts' new
    decisions applied."""
    if links.scope is None:
        writer.execute("DELETE FROM report_links")
        writer.execute("DELETE FROM link_keys")
    else:
        with writer.scratch(_scope=key_table("mention_id", sorted(links.scope)),
                            _fresh=key_table("mention_id", sorted(links.fresh))):
            writer.raw.execute(
                "DELETE FROM report_links WHERE (mention_a IN (SELECT mention_id FROM _scope) "
                "AND mention_b IN (SELECT mention_id FROM _scope)) "
                "OR mention_a IN (SELECT mention_id FROM _fresh) OR mention_b IN (SELECT mention_id FROM _fresh) "
                "OR mention_a NOT IN (SELECT mention_id FROM mentions) OR mention_b NOT IN (SELECT mention_id FROM mentions)")
            writer.raw.execute("DELETE FROM link_keys WHERE mention_id IN (SELECT mention_id FROM _fresh) "
                               "OR mention_id NOT IN (SELECT mention_id FROM mentions)")
    for start in range(0, links.rows.num_rows, ROWS_PER_COMMIT):
        writer.insert_arrow("report_links", links.rows.slice(start, ROWS_PER_COMMIT))
    if links.keys:
        keys = pa.table({"mention_id": [k[0] for k in links.keys], "kind": [k[1] for k in links.keys],
                         "key": [k[2] for k in links.keys]})
        for start in range(0, keys.num_rows, ROWS_PER_COMMIT):
            writer.insert_arrow("link_keys", keys.slice(start, ROWS_PER_COMMIT))
    writer.execute("UPDATE link_overrides SET applied_run_id = ? WHERE applied_run_id IS NULL", (run_id,))


def add_override(writer: Writer, pairs: list[tuple[str, str]], decision: str, given_as: str, note: str | None,
                 now: dt.datetime) -> int:
    """Records an analyst's decision between these pairs of reports; returns its number."""
    number = int(writer.query("SELECT nextval('link_override_id_seq')")[0][0])
    rows = [{"override_id": number, "mention_a": min(a, b), "mention_b": max(a, b), "decision": decision,
             "given_as": given_as, "note": note, "created_at": now} for a, b in pairs if a != b]
    writer.insert_rows("link_overrides", rows)
    return number


def mentions_of(writer: Writer, name: str) -> list[str]:
    """The stored mentions an analyst's name stands for: an incident id (a retired one resolves to
    its survivor), an article id, or a mention id."""
    rows = writer.query(
        "WITH RECURSIVE resolved(incident_id) AS ("
        "  SELECT CAST(? AS VARCHAR) UNION SELECT m.surviving_id FROM incident_id_map m "
        "  JOIN resolved r ON m.retired_id = r.incident_id) "
        "SELECT mention_id FROM incident_sources WHERE incident_id IN (SELECT incident_id FROM resolved) "
        "UNION SELECT mention_id FROM mentions WHERE article_id = ? OR mention_id = ? ORDER BY 1",
        (name, name, name))
    return [row[0] for row in rows]


def stored_words(words: str | None, rarity: float | None, rarest: str | None) -> ReportWords | None:
    """An ``article_words`` row as linkage reads it (None: an article without one)."""
    if words is None:
        return None
    return ReportWords(frozenset(words.split()), rarity, tuple(rarest.split()))


def articles_without_words(writer: Writer) -> list[str]:
    """Articles whose words (``article_words``) were never stored: all of them in a database
    upgraded to schema version 4, none after a run."""
    return [row[0] for row in writer.query(
        "SELECT article_id FROM articles ANTI JOIN article_words USING (article_id) ORDER BY article_id")]


def article_texts(writer: Writer, article_ids: list[str]) -> list[tuple[str, str]]:
    return writer.rows("SELECT article_id, text FROM articles WHERE article_id IN (SELECT article_id FROM _ids) "
                       "ORDER BY article_id", _ids=key_table("article_id", article_ids))


def incidents_without_citations(writer: Writer) -> list[str]:
    """Incidents whose derived rows were never built: all of them in a database upgraded to
    schema version 2, none after a run."""
    return [row[0] for row in writer.query(
        "SELECT incident_id FROM incidents ANTI JOIN incident_citations USING (incident_id) ORDER BY incident_id")]


def rebuild_derived_rows(writer: Writer, incident_ids: list[str]) -> None:
    """Rebuilds the derived tables of these incidents from the incidents and their sources as stored,
    in committed parts of INCIDENTS_PER_COMMIT."""
    derived = _derived_statements()
    for _ in _parts(writer, incident_ids):
        for statement in derived:
            writer.raw.execute(statement)


def last_run_settings(writer: Writer) -> dict:
    """The settings the last completed run recorded (empty before the first run)."""
    rows = writer.query("SELECT settings FROM pipeline_runs WHERE status = 'completed' ORDER BY run_id DESC LIMIT 1")
    return json.loads(rows[0][0]) if rows and rows[0][0] else {}


def mention_count(writer: Writer) -> int:
    return int(writer.query("SELECT count(*) FROM mentions")[0][0])


def incident_count(writer: Writer) -> int:
    return int(writer.query("SELECT count(*) FROM incidents")[0][0])


def next_run_id(writer: Writer) -> int:
    return int(writer.query("SELECT nextval('pipeline_run_id_seq')")[0][0])
