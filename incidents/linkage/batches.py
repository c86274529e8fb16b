"""A full regroup in batches of bounded size: its memory follows the batch, not the history.

A full regroup (a first run, new rules or weights) compares every candidate pair of the history.
Held at once, the pairs with each field's level and weight and the reports with their words grew
with the history: 3.3 GiB for `bench/bench_reconcile.py`'s 100,000 articles, 5.6 GiB for a first
run of 100,000 articles of `bench/corpus.py` (docs/benchmarks.md). Here:

1. the reports are read ``BatchSize.mentions`` at a time; their blocking keys and the rows the
   comparisons read go to a scratch DuckDB database (which spills to disk past its memory limit),
   their words are kept as numbers (``_Words``), made once into the rows of a sparse matrix
   (``words.WordSets``) that every batch of pairs reads;
2. the candidate pairs are joined there and compared and weighed ``BatchSize.pairs`` at a time, in
   the order of time (``sql/linkage/pair_batches.sql``), and each batch's rows stay there;
3. the components of the link graph are found from the links alone (a few per report), and
   clustered in batches of whole components of about ``BatchSize.mentions`` reports, read again
   from the store (``sql/linkage/component_pairs.sql``);
4. what is left is small and the caller gives the groups their ids over the whole history (an id a
   previous incident had goes to the group holding most of its reports, wherever that group is).

The result is the one that weighing and clustering everything at once gives: a pair's weight
depends only on its two reports, and clustering never looks across components of the link graph
(docs/reconciliation.md, section 8). The candidate graph is no help here: a governorate's days
each meet the next, and at 20,000 articles of `bench/bench_reconcile.py` one component of it
holds 96% of the reports; the link graph's largest holds nine.
"""

from __future__ import annotations

import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from incidents import SQL_DIR
from incidents.linkage.candidates import CANDIDATE_ROWS_SQL, keys_table
from incidents.linkage.clustering import Cluster, linked_components
from incidents.linkage.comparisons import compare_levels, records_table
from incidents.linkage.linking import LINK_COLUMNS, WEIGHTS_SQL, Overrides, ScoredPairs, groups
from incidents.linkage.records import PRIMARY, LinkRecord, link_record
from incidents.linkage.values import incident_row
from incidents.linkage.weights import Model
from incidents.linkage.words import ReportWords, WordSets, rarity_units

PAIR_BATCHES_SQL = SQL_DIR / "linkage" / "pair_batches.sql"
COMPONENT_PAIRS_SQL = SQL_DIR / "linkage" / "component_pairs.sql"
# What the scratch database may hold in memory before it writes to its temporary files.
SCRATCH_MEMORY_LIMIT = "256MB"
# Rows of the links table and the blocking index handed to the writer at a time.
ROWS_PER_PART = 200_000
# Articles whose words are numbered at a time (``_Words``): a few MB of Arrow strings, which
# Arrow's memory pool keeps once it has had them (a whole batch at once raised the peak 100 MB).
_ARTICLES_AT_A_TIME = 2_000
# Words of a primary report regrouped by values only (step 3): clustering and an incident's values
# never read them, and reading them is most of reading a report.
_UNREAD = ReportWords(frozenset(), 0.0, ())


@dataclass(frozen=True)
class BatchSize:
    mentions: int = 20_000      # reports read (step 1) and clustered (step 3) at a time
    pairs: int = 250_000        # pairs compared and weighed at a time (step 2)


@dataclass
class Group:
    """A group of reports found, with what its incident's row needs besides an id."""

    members: list[str]                        # in the grouping's order: the first anchors a fresh id
    confidence: float | None
    row: dict                                 # its incidents row, without id and runs (values.incident_row)
    sources: list[tuple[str, str, bool]]      # (mention_id, article_id, is_primary) of its members, in order
    order: tuple                              # its first member's place in the grouping's order


def found_groups(records: dict[str, LinkRecord], clusters: Iterable[Cluster]) -> list[Group]:
    """The clusters of these reports as groups with their incident rows (in the clusters' order)."""
    found = []
    for cluster in clusters:
        members = [records[m] for m in cluster.members]
        found.append(Group(list(cluster.members), cluster.confidence,
                           incident_row(members, None, cluster.confidence),
                           [(r.mention_id, r.article_id, r.is_primary) for r in members], members[0].order))
    return found


def read_records(history, mention_ids: list[str]) -> dict[str, LinkRecord]:
    """The records of these stored mentions (``history``: ``scope.History``) as clustering and an
    incident's values read them: without their words and the sentences they come from."""
    mentions = history.mentions(mention_ids, evidence=False)
    articles = history.articles({m.article_id for m in mentions}, words=False)
    return {m.mention_id: link_record(m, articles.get(m.article_id), _UNREAD) for m in mentions}


def _read_to_compare(history, mention_ids: list[str], words: "_Words") -> list[LinkRecord]:
    """The records of these stored mentions, in this order, as blocking and the comparisons read
    them; their words go to ``words``. A primary report's article's words are read as stored
    (their rarity and rarest) and numbered straight from the stored text (``_Words.add``): made
    into a set of strings first, as ``ReconcileHistory.articles`` does, they took a fifth of the
    regroup."""
    mentions = history.mentions(mention_ids)
    article_ids = {m.article_id for m in mentions}
    articles = history.articles(article_ids, words=False)
    stored = history.article_words(article_ids)
    row_of = {article_id: row for row, article_id in enumerate(stored.column("article_id").to_pylist())}
    rarity, rarest = stored.column("rarity").to_pylist(), stored.column("rarest").to_pylist()
    by_id = {m.mention_id: m for m in mentions}
    records, rows, own = [], [], []
    for mention_id in mention_ids:
        mention = by_id[mention_id]
        article = articles.get(mention.article_id)
        row = row_of.get(mention.article_id) if mention.role == PRIMARY and article is not None else None
        if row is not None:
            record = link_record(mention, article, ReportWords(frozenset(), rarity[row], tuple(rarest[row].split())))
        else:
            # Its own sentences' words (a recollection, or an article without stored words).
            record = link_record(mention, article)
            row = stored.num_rows + len(own)
            own.append(list(record.words.words))
        rows.append(row)
        records.append(record)
    words.add(stored.column("words"), own, rows, [record.words.rarity for record in records])
    return records


class _Words:
    """Every report's words as numbers (a tenth of the memory of sets of strings), made into
    ``WordSets`` once for every batch of pairs (``sets``). The words are numbered in Arrow, a few
    thousand articles at a time (``_ARTICLES_AT_A_TIME``): a dictionary lookup per word in Python
    took 2 CPU s of the 100k regroup of bench/bench_reconcile.py."""

    def __init__(self):
        self.vocabulary = pa.array([], pa.string())   # every word numbered so far, in order
        self.numbers: list[np.ndarray] = []      # a batch's at a time, joined once (``sets``)
        self.counts = array("q")
        self.rarity = array("d")

    def add(self, stored: pa.ChunkedArray, own: list[list[str]], rows: list[int], rarity: list[float]) -> None:
        """The words of some reports: ``rows`` in the order of the reports, each a row of
        ``stored`` (space-separated stored sets of words) or past them, of ``own`` (lists)."""
        stored = stored.combine_chunks() if isinstance(stored, pa.ChunkedArray) else stored
        numbered: list[np.ndarray] = []
        for start in range(0, len(stored), _ARTICLES_AT_A_TIME):
            part = stored.slice(start, _ARTICLES_AT_A_TIME)
            # The stored text of an empty set is "", which Arrow would split into one word "".
            numbered += self._numbered(pc.split_pattern(
                pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part), " "))
        numbered += self._numbered(pa.array(own, pa.list_(pa.string())))
        chosen = [numbered[row] for row in rows]
        self.numbers.append(np.concatenate(chosen or [np.zeros(0, np.int32)]))
        self.counts.extend(map(len, chosen))
        self.rarity.extend(rarity)

    def _numbered(self, lists: pa.ListArray) -> list[np.ndarray]:
        """Each list's words as numbers (a set's: no word twice), numbering the new ones."""
        flat = pc.list_flatten(lists)
        numbers = pc.index_in(flat, value_set=self.vocabulary)
        if numbers.null_count:
            self.vocabulary = pa.concat_arrays([self.vocabulary, pc.unique(pc.filter(flat, numbers.is_null()))])
            numbers = pc.index_in(flat, value_set=self.vocabulary)
        ends = np.cumsum(pc.list_value_length(lists).fill_null(0).to_numpy())
        return np.split(numbers.to_numpy().astype(np.int32), ends[:-1]) if len(ends) else []

    def sets(self) -> WordSets:
        indptr = np.concatenate([[0], np.cumsum(np.frombuffer(self.counts, np.int64))])
        # Each batch's numbers moved into one array and let go, rather than one array grown by
        # realloc batch by batch.
        numbers = np.empty(int(indptr[-1]), np.int32)
        filled = 0
        while self.numbers:
            part = self.numbers.pop(0)
            numbers[filled:filled + len(part)] = part
            filled += len(part)
        return WordSets(indptr, numbers, np.frombuffer(self.rarity, np.float64),
                        rarity_units(self.vocabulary.to_pylist()))


class ScratchRows:
    """Rows a full regroup keeps in its scratch database (the links table's, the blocking index's):
    read in parts when they are written, never all held at once."""

    def __init__(self, scratch: "_Scratch", sql: str):
        self._scratch = scratch
        self._sql = sql
        self.num_rows = int(scratch.conn.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0])

    def parts(self, rows: int = ROWS_PER_PART) -> Iterator[pa.Table]:
        for batch in self.reader(rows):
            yield pa.Table.from_batches([batch])

    def reader(self, rows: int = ROWS_PER_PART) -> pa.RecordBatchReader:
        """The rows as an Arrow stream of batches of ``rows``: the query starts on a cursor of its
        own when this is called (in the caller's thread); the stream may be read in any thread."""
        return self._scratch.conn.cursor().sql(self._sql).to_arrow_reader(rows)

    def read_all(self) -> pa.Table:
        return self._scratch.conn.cursor().sql(self._sql).to_arrow_table()


class _Scratch:
    """An in-memory DuckDB database that spills to a temporary directory past SCRATCH_MEMORY_LIMIT;
    both go when the last of its rows (``ScratchRows``) is let go."""

    def __init__(self):
        self._directory = tempfile.TemporaryDirectory(prefix="incidents-regroup-")
        self.conn = duckdb.connect(config={"memory_limit": SCRATCH_MEMORY_LIMIT,
                                           "temp_directory": self._directory.name})
        weakref.finalize(self, _close, self.conn, self._directory)

    def insert(self, table_name: str, rows: pa.Table, first: bool) -> None:
        self.conn.register("_batch", rows)
        self.conn.execute(f"CREATE TABLE {table_name} AS SELECT * FROM _batch" if first
                          else f"INSERT INTO {table_name} SELECT * FROM _batch")
        self.conn.unregister("_batch")


def _close(conn: duckdb.DuckDBPyConnection, directory: tempfile.TemporaryDirectory) -> None:
    conn.close()
    directory.cleanup()


@dataclass
class Regrouped:
    groups: list[Group]              # in the grouping's order
    mention_ids: list[str]           # every report regrouped, in order
    links: ScratchRows               # the links table's rows (linking.LINK_COLUMNS)
    keys: ScratchRows                # the blocking index's rows (mention_id, kind, key)


def regroup_all(history, model: Model, overrides: Overrides, size: BatchSize = BatchSize(),
                ready: Callable[[str, ScratchRows], None] | None = None) -> Regrouped:
    """Every stored report regrouped (``history``: ``scope.History``), in batches of ``size``.

    ``ready(name, rows)``, if given, is called with the blocking index's rows (``"keys"``) once
    step 1 has them and the links table's (``"links"``) once step 2 has them, final both: a
    caller may write them while the regroup goes on (step 3 is Python, DuckDB's writing is not)."""
    mention_ids = history.mention_ids()
    scratch = _Scratch()
    words = _index(history, mention_ids, scratch, size).sets()
    keys = ScratchRows(scratch, "SELECT mention_id, kind, key FROM _keys")
    if ready is not None:
        ready("keys", keys)
    _weigh(scratch, words, mention_ids, model, overrides, size)
    del words
    links = ScratchRows(scratch, f"SELECT {', '.join(LINK_COLUMNS)} FROM _scored")
    if ready is not None:
        ready("links", links)
    found = _cluster(history, mention_ids, scratch, model, size)
    return Regrouped(found, mention_ids, links=links, keys=keys)


def _index(history, mention_ids: list[str], scratch: _Scratch, size: BatchSize) -> _Words:
    """Step 1: the reports' blocking keys (``_keys``) and the rows the comparisons read
    (``_records``), a batch of reports at a time; their words, as numbers."""
    words = _Words()
    for start in range(0, max(len(mention_ids), 1), size.mentions):
        batch = mention_ids[start:start + size.mentions]
        ordered = _read_to_compare(history, batch, words)
        keys = keys_table(ordered)
        keys = keys.set_column(0, "m", pa.array(keys.column("m").to_numpy() + start, pa.int32()))
        compared = records_table(ordered)
        compared = compared.set_column(0, "position", pa.array(np.arange(start, start + len(batch)), pa.int32()))
        counted = compared.schema.get_field_index("word_count")
        compared = compared.set_column(counted, "word_count", pa.array(
            np.frombuffer(words.counts, np.int64)[start:start + len(batch)], pa.int32()))
        scratch.insert("_keys", keys, first=start == 0)
        scratch.insert("_records", compared, first=start == 0)
    return words


def _weigh(scratch: _Scratch, words: WordSets, mention_ids: list[str], model: Model, overrides: Overrides,
           size: BatchSize) -> None:
    """Step 2: the candidate pairs and the analysts' pairs, compared and weighed a batch at a time
    in the order of time (``_scored``: the links table's rows and what clustering reads)."""
    conn = scratch.conn
    position = {mention_id: number for number, mention_id in enumerate(mention_ids)}
    decided = sorted(overrides.among(set(mention_ids)).items())
    conn.register("_decisions", pa.table({
        "a": pa.array([position[a] for (a, _), _ in decided], pa.int32()),
        "b": pa.array([position[b] for (_, b), _ in decided], pa.int32()),
        "decision": pa.array([decision for _, decision in decided], pa.string())}))
    conn.register("_weights", model.weights_table())
    del position
    conn.execute(f"CREATE TABLE _candidates AS {CANDIDATE_ROWS_SQL} UNION SELECT a, b FROM _decisions")
    conn.execute(f"CREATE TABLE _pair_batches AS {PAIR_BATCHES_SQL.read_text('utf-8')}",
                 {"pairs_per_batch": size.pairs})
    conn.execute("DROP TABLE _candidates")
    batches = int(conn.execute("SELECT coalesce(max(batch) + 1, 0) FROM _pair_batches").fetchall()[0][0])
    weighed = f"SELECT a, b, must_link, {', '.join(LINK_COLUMNS)} FROM (\n{WEIGHTS_SQL.read_text('utf-8')}\n)"
    for number in range(max(batches, 1)):
        conn.execute("CREATE OR REPLACE TEMP TABLE _pairs AS SELECT a, b FROM _pair_batches WHERE batch = ?", [number])
        compare_levels(conn, words, complete=False)
        conn.execute(f"{'INSERT INTO _scored' if number else 'CREATE TABLE _scored AS'} {weighed}",
                     {"prior": model.prior, "threshold": model.threshold})
    for table in ("_pair_batches", "_records", "_levels", "_pairs"):
        conn.execute(f"DROP TABLE {table}")
    conn.unregister("_decisions")
    conn.unregister("_weights")


def _cluster(history, mention_ids: list[str], scratch: _Scratch, model: Model, size: BatchSize) -> list[Group]:
    """Step 3: the components of the link graph, clustered in batches of whole components, their
    reports read again; the groups in the grouping's order."""
    conn = scratch.conn
    count = len(mention_ids)
    links = conn.execute("SELECT a, b FROM _scored WHERE is_link").fetchnumpy()
    a, b = np.asarray(links["a"], np.int64), np.asarray(links["b"], np.int64)
    component = linked_components(count, a, b, np.ones(len(a), dtype=bool))
    batch_of = _component_batches(component, size.mentions)
    # Each batch's reports in the order of their positions (of their ids), numbered from 0.
    order = np.lexsort((np.arange(count), batch_of))
    in_order = batch_of[order]
    local = np.empty(count, np.int32)
    local[order] = np.arange(count) - np.searchsorted(in_order, in_order, "left")
    conn.register("_components", pa.table({
        "position": pa.array(np.arange(count), pa.int32()), "component": pa.array(component, pa.int64()),
        "batch": pa.array(batch_of, pa.int32()), "local": local}))
    conn.execute(f"CREATE TABLE _inside AS {COMPONENT_PAIRS_SQL.read_text('utf-8')}")
    conn.unregister("_components")
    found: list[Group] = []
    bounds = np.searchsorted(in_order, np.arange(int(in_order[-1]) + 2 if count else 0), "left")
    for number in range(len(bounds) - 1):
        batch = [mention_ids[p] for p in order[bounds[number]:bounds[number + 1]].tolist()]
        table = conn.sql("SELECT a, b, weight, conflict, decision, must_link, is_link FROM _inside "
                         "WHERE batch = $batch", params={"batch": number}).to_arrow_table()
        records = read_records(history, batch)
        found += found_groups(records, groups(records, ScoredPairs(batch, table), model))
    conn.execute("DROP TABLE _inside")
    found.sort(key=lambda group: group.order)
    return found


def _component_batches(component: np.ndarray, mentions: int) -> np.ndarray:
    """A batch number per report: whole components, in the order of their first report, about
    ``mentions`` reports a batch (a larger component is a batch of its own)."""
    roots, inverse, sizes = np.unique(component, return_inverse=True, return_counts=True)
    numbers = np.empty(len(roots), np.int32)
    number, filled = 0, 0
    for index, count in enumerate(sizes.tolist()):
        if filled and filled + count > mentions:
            number, filled = number + 1, 0
        numbers[index] = number
        filled += count
    return numbers[inverse]
