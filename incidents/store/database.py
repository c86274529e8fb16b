"""The database itself: its schema, the run lock, the staged copy and the connections to it.

A run never writes the live database file. It copies the file beside itself, writes the copy
(committing after each slice of articles, so that memory stays flat), checkpoints it and swaps it
in with an atomic rename. So:

- a run that fails or is killed at any point leaves the live file exactly as it was;
- analysts can open the live file read-only during a run (DuckDB lets one process write a file
  and, while it does, no other process can open it: here nobody writes the live file);
- two runs are kept apart by an advisory lock that the kernel drops when its holder dies.

Schema changes are numbered SQL files in ``sql/migrations``; views are ``sql/views/*.sql``,
re-created on every run so that they always match the code. A run writes through ``Writer`` (one
write transaction on the staged copy); analysts read through ``read_only_connection``. A failed
run's reason is kept beside the database (``append_run_journal``), a completed one's in
``pipeline_runs``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from incidents import SQL_DIR

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


# A read-only connection cannot reach the machine: a query from a notebook or a deployment
# parameter reads no file but the database and loads no extension.
_READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}


def engine_for(path: Path, read_only: bool = False) -> sa.Engine:
    # DuckDB's buffer pool would otherwise grow to most of the machine's memory during a load;
    # past this it evicts to the file and to a spill folder beside it.
    connect_args: dict = {"read_only": read_only, "config": {"memory_limit": WRITER_MEMORY_LIMIT}}
    if read_only:
        connect_args["config"] = dict(_READ_ONLY_CONFIG)
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


class Reads:
    """Statements over the stored tables and Arrow scratch tables, results as rows or Arrow: what
    a ``Writer`` and a read-only ``Reader`` have in common (``raw``: DuckDB's own connection)."""

    raw: duckdb.DuckDBPyConnection

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        return [tuple(row) for row in self.raw.execute(sql, params).fetchall()]

    def arrow(self, sql: str) -> pa.Table:
        with warnings.catch_warnings():
            # DuckDB warns that a DB-API result copies once more; the copy is what keeps a
            # Writer's read inside its transaction (a separate cursor would not see its writes).
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


@dataclass
class Reader(Reads):
    """Reads on a ``read_only_connection``: the store's readers (``ReconcileHistory``) outside a run
    (fitting the linkage weights, for one), without a copy of their SQL."""

    raw: duckdb.DuckDBPyConnection


@dataclass
class Writer(Reads):
    """A write transaction on the staged copy, with DuckDB's bulk path for Arrow tables."""

    conn: sa.Connection

    @property
    def raw(self) -> duckdb.DuckDBPyConnection:
        return self.conn.connection.driver_connection

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        return [tuple(row) for row in self.conn.exec_driver_sql(sql, params).fetchall()]

    def second_connection(self) -> duckdb.DuckDBPyConnection:
        """Another connection to the staged copy, for a thread of its own: each of its statements
        is a transaction of its own, beside this writer's. (duckdb_engine's wrapper gives this
        very connection for ``cursor()``; DuckDB's own ``cursor()`` is another one.)"""
        return self.raw.execute.__self__.cursor()

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

    def commit(self) -> None:
        """Commits what is written so far into the staged copy, without a checkpoint of its own.

        Enough after a bulk append: DuckDB writes the appended row groups to the file's blocks as
        they come and a commit lets their memory go (a full regroup's 5M rows of links, committed
        200,000 at a time, peaked as high either way); DuckDB checkpoints by itself when its log
        grows, and the run's end checkpoints. Measured alone, a CHECKPOINT after each of those
        parts cost about 1 CPU s at 100,000 articles (docs/benchmarks.md, "Session 14").
        """
        self.conn.commit()

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
        return self.insert_arrow(table_name, pa.Table.from_pylist(rows, schema=schema))

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
        self.insert_arrow_in_parts(table_name, rows, after_each=self.checkpoint if parts else None)

    def insert_arrow_in_parts(self, table_name: str, rows: pa.Table,
                              after_each: Callable[[], None] | None = None) -> None:
        """``insert_arrow`` ROWS_PER_COMMIT rows at a time, calling ``after_each`` (``commit`` or
        ``checkpoint``) after each part."""
        for start in range(0, rows.num_rows, ROWS_PER_COMMIT):
            self.insert_arrow(table_name, rows.slice(start, ROWS_PER_COMMIT))
            if after_each is not None:
                after_each()


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
        conn = duckdb.connect(str(db_path), read_only=True, config=dict(_READ_ONLY_CONFIG))
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


def last_run_settings(writer: Writer) -> dict:
    """The settings the last completed run recorded (empty before the first run)."""
    rows = writer.query("SELECT settings FROM pipeline_runs WHERE status = 'completed' ORDER BY run_id DESC LIMIT 1")
    return json.loads(rows[0][0]) if rows and rows[0][0] else {}


def next_run_id(writer: Writer) -> int:
    return int(writer.query("SELECT nextval('pipeline_run_id_seq')")[0][0])
