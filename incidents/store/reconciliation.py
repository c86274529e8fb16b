"""What reconciliation reads of the stored reports and writes back: incidents, links, overrides.

``ReconcileHistory`` is what reconciliation reads (mentions, their articles and words,
blocking-key and link partners, the incidents they belong to, analysts' overrides);
``write_incidents`` and ``write_links`` put its result in place, in committed parts; an
analyst's decision on a pair of reports is recorded by ``add_override`` (``mentions_of`` finds the
reports a name stands for). The rows a database upgraded from an older schema lacks (article
words, derived incident tables) are found and rebuilt here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from incidents import SQL_DIR
from incidents.linkage.linking import Overrides
from incidents.linkage.words import ReportWords
from incidents.model import ArticleInfo, Mention
from incidents.store.database import Reads, Writer, key_table, sql_statements


# What reconcile reads of a stored mention: its columns in the order of Mention's fields, through
# perpetrator_accused (the rows are made Mentions by position: twice as fast as by name, and a
# full regroup makes 200,000 at 100,000 articles), and the sentences the linkage compares.
_FIELD_NAMES = [field.name for field in dataclasses.fields(Mention)]
_MENTION_COLUMNS = tuple(_FIELD_NAMES[:_FIELD_NAMES.index("perpetrator_accused") + 1])
_MENTION_SELECT = ", ".join("CAST(event_date AS VARCHAR) AS event_date" if name == "event_date" else name
                            for name in _MENTION_COLUMNS)
_EVIDENCE = (
    "concat_ws(' ', evidence, (SELECT string_agg(DISTINCT v.evidence, ' ' ORDER BY v.evidence) "
    "FROM mention_values v WHERE v.mention_id = mentions.mention_id AND v.evidence IS DISTINCT FROM "
    "mentions.evidence)) AS evidence"
)
_NO_EVIDENCE = "'' AS evidence"

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


@dataclass
class ReconcileHistory:
    """The stored mentions and incidents as reconciliation reads them: in a run through its
    ``Writer``, elsewhere through a ``Reader`` on a read-only connection."""

    db: Reads

    def mentions(self, mention_ids: Iterable[str] | None, evidence: bool = True) -> list[Mention]:
        # Unordered (reconcile orders them) and streamed in batches: a first run's full regroup
        # reads every stored mention, more than DuckDB's memory limit holds at once at 1M articles.
        tables = {}
        sql = f"SELECT {_MENTION_SELECT}, {_EVIDENCE if evidence else _NO_EVIDENCE} FROM mentions"
        if mention_ids is not None:
            ids = sorted(mention_ids)
            if not ids:
                return []
            tables["_ids"] = key_table("mention_id", ids)
            sql += " WHERE mention_id IN (SELECT mention_id FROM _ids)"
        mentions = []
        with self.db.scratch(**tables):
            for batch in self.db.arrow_batches(sql, 50_000):
                columns = [batch.column(name).to_pylist() for name in _MENTION_COLUMNS]
                mentions += [Mention(*values, evidence=text)
                             for values, text in zip(zip(*columns), batch.column("evidence").to_pylist())]
        return mentions

    def mention_ids(self) -> list[str]:
        return [row[0] for row in self.db.query("SELECT mention_id FROM mentions ORDER BY mention_id")]

    def incident_rows(self, mention_ids: Iterable[str] | None, incident_ids: Iterable[str] = ()) -> dict[str, str]:
        if mention_ids is None:
            return dict(self.db.query("SELECT mention_id, incident_id FROM incident_sources"))
        return dict(self.db.rows(
            "SELECT mention_id, incident_id FROM incident_sources WHERE incident_id IN ("
            "  SELECT incident_id FROM incident_sources WHERE mention_id IN (SELECT mention_id FROM _mentions)"
            "  UNION SELECT incident_id FROM _incidents)",
            _mentions=key_table("mention_id", sorted(mention_ids)),
            _incidents=key_table("incident_id", sorted(incident_ids)),
        ))

    def key_partners(self, keys: pa.Table) -> set[tuple[str, str]]:
        if not keys.num_rows:
            return set()
        return {(row[0], row[1]) for row in self.db.rows(_KEY_PARTNERS_SQL, _keys=keys)}

    def link_partners(self, mention_ids: Iterable[str]) -> set[str]:
        ids = sorted(mention_ids)
        if not ids:
            return set()
        return {row[0] for row in self.db.rows(_LINK_PARTNERS_SQL, _ids=key_table("mention_id", ids))}

    def overrides(self) -> Overrides:
        rows = self.db.query("SELECT mention_a, mention_b, decision FROM link_overrides ORDER BY override_id")
        # A later decision on the same pair replaces an earlier one.
        return Overrides({frozenset((a, b)): decision for a, b, decision in rows})

    def pending_overrides(self) -> set[str]:
        rows = self.db.query("SELECT mention_a, mention_b FROM link_overrides WHERE applied_run_id IS NULL")
        return {mention for row in rows for mention in row}

    def articles(self, article_ids: Iterable[str], words: bool = True) -> dict[str, ArticleInfo]:
        ids = sorted(article_ids)
        if not ids:
            return {}
        rows = self.db.rows(
            "SELECT article_id, coalesce(duplicate_of, article_id), published_at, source, "
            + ("words, rarity, rarest FROM articles LEFT JOIN article_words USING (article_id) " if words
               else "NULL, NULL, NULL FROM articles ")
            + "WHERE article_id IN (SELECT article_id FROM _ids)", _ids=key_table("article_id", ids),
        )
        return {
            article_id: ArticleInfo(article_id, group, published.replace(tzinfo=dt.timezone.utc) if published else None,
                                    source, stored_words(text, rarity, rarest))
            for article_id, group, published, source, text, rarity, rarest in rows
        }

    def article_words(self, article_ids: Iterable[str]) -> pa.Table:
        # As Arrow: a full regroup numbers the words there (linkage.batches), never as Python strings.
        with self.db.scratch(_ids=key_table("article_id", sorted(article_ids))):
            return self.db.arrow("SELECT article_id, words, rarity, rarest FROM article_words "
                                 "WHERE article_id IN (SELECT article_id FROM _ids)")

    def incident_runs(self, incident_ids: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
        rows = self.db.rows(
            "SELECT incident_id, created_run_id, updated_run_id FROM incidents "
            "WHERE incident_id IN (SELECT incident_id FROM _ids)", _ids=key_table("incident_id", sorted(incident_ids)),
        )
        return {row[0]: row[1] for row in rows}, {row[0]: row[2] for row in rows}

    def ids_in_use(self, incident_ids: Iterable[str]) -> set[str]:
        return {row[0] for row in self.db.rows(
            "SELECT incident_id FROM _ids WHERE incident_id IN (SELECT incident_id FROM incidents) "
            "OR incident_id IN (SELECT retired_id FROM incident_id_map)",
            _ids=key_table("incident_id", sorted(incident_ids)))}

    def orphaned_incidents(self) -> set[str]:
        """Incidents that hold a mention no longer stored (its article was re-read)."""
        return {row[0] for row in self.db.query(
            "SELECT DISTINCT incident_id FROM incident_sources WHERE mention_id NOT IN (SELECT mention_id FROM mentions)")}


# A reconciliation's incidents are written and committed this many at a time. DuckDB holds a
# transaction's new rows and the primary-key index they touch in memory until it commits, and the
# transforms join every value of the incidents they rebuild: written at once, a full regroup needs
# memory in proportion to the history. A part of 50,000 incidents (with their ~830k values) and
# its three derived tables were written within 128 MB, half of database.WRITER_MEMORY_LIMIT
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


# The tables a full regroup's rows replace, by the names the regroup gives them (batches.regroup_all).
_REGROUP_TABLES = {"links": "report_links", "keys": "link_keys"}


class LinksInBackground:
    """Writes a full regroup's links and blocking index while it goes on: called with each as
    soon as the regroup has them final (``tasks.reconcile.reconcile_scope``'s ``ready``), it
    replaces the table on a second connection to the staged copy, in a thread of its own, one
    table after the other. The regroup's clustering is Python and holds the GIL; DuckDB's
    scan and append do not, and the second core is idle then. ``write_links`` waits for it
    and writes only what it did not; leaving the block waits for it too (a regroup that failed
    leaves no writing behind)."""

    def __init__(self, writer: Writer):
        self._writer = writer
        self._pool: ThreadPoolExecutor | None = None
        self._conn = None
        self._written: list[tuple[object, Future]] = []

    def __enter__(self) -> "LinksInBackground":
        return self

    def __exit__(self, failed, *exc) -> None:
        try:
            self.wait()
        except Exception:  # noqa: BLE001 - after a failed regroup, its own error is the one to report
            if failed is None:
                raise

    def __call__(self, name: str, rows) -> None:
        if self._pool is None:
            # What the run wrote so far (a first run's tables included) committed into the staged
            # copy: the second connection sees committed rows only.
            self._writer.commit()
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="links")
            self._conn = self._writer.second_connection()
        # The scratch query starts here, in the regroup's thread; the thread only reads and appends.
        stream = rows.reader()
        self._written.append((rows, self._pool.submit(self._replace, _REGROUP_TABLES[name], stream)))

    def _replace(self, table_name: str, stream: pa.RecordBatchReader) -> None:
        # The scratch's Arrow stream appended whole, in one statement that commits by itself: part
        # by part (a Table registered for each, as write_links does), the thread took the GIL back
        # often enough to slow the clustering beside it by 3-4 s at 100k; whole, not at all, with
        # the same peak (DuckDB writes a bulk append's row groups to the file as they come).
        self._conn.execute(f"DELETE FROM {table_name}")
        columns = ", ".join(stream.schema.names)
        self._conn.register("_arrow_rows", stream)
        self._conn.execute(f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM _arrow_rows")
        self._conn.unregister("_arrow_rows")

    def wait(self) -> list[object]:
        """Waits for the writing (raising what failed in it); the rows written."""
        if self._pool is not None:
            self._pool.shutdown()
            self._conn.close()
            self._pool = None
        for _, future in self._written:
            future.result()
        return [rows for rows, _ in self._written]


def write_links(writer: Writer, links, run_id: int, background: LinksInBackground | None = None) -> None:
    """Puts a reconciliation's pairs and blocking keys in place (``links``: its ``rows``, the
    ``keys`` of its fresh reports, its ``scope`` and ``fresh`` reports, both None after a full
    regroup): the pairs among its scope and those of its fresh reports, or the whole table after
    a full regroup; the pairs and keys of reports no longer stored go. Marks the analysts' new
    decisions applied. What ``background`` wrote of them is waited for, not written again."""
    written = background.wait() if background is not None else []
    if written:
        # What this transaction reads next sees the rows the other connection committed.
        writer.commit()
    tables = [(table_name, rows) for table_name, rows in (("report_links", links.rows), ("link_keys", links.keys))
              if not any(rows is done for done in written)]
    if links.scope is None:
        for table_name, _ in tables:
            writer.execute(f"DELETE FROM {table_name}")
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
    for table_name, rows in tables:
        # A full regroup's rows come in parts from its scratch database (linkage.batches.ScratchRows),
        # each committed into the staged copy: DuckDB holds a transaction's new rows in memory.
        for part in [rows] if isinstance(rows, pa.Table) else rows.parts():
            writer.insert_arrow_in_parts(table_name, part, after_each=writer.commit if links.scope is None else None)
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
    # Interned: the same word of two articles is then one object, and intersecting two articles'
    # sets (linkage's text level, some 800,000 pairs in a full regroup) compares it by identity.
    return ReportWords(frozenset(map(sys.intern, words.split())), rarity, tuple(rarest.split()))


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


def mention_count(writer: Writer) -> int:
    return int(writer.query("SELECT count(*) FROM mentions")[0][0])


def incident_count(writer: Writer) -> int:
    return int(writer.query("SELECT count(*) FROM incidents")[0][0])
