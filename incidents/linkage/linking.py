"""Reports to groups: candidate pairs, their weights, analysts' decisions, clusters.

Every pair considered is kept with its weight, each field's contribution and the reason it can
never be one attack, so that the store can answer "why are these one incident" (the links table).
The pairs are found, compared and weighed in one DuckDB session, as tables: blocking keys joined
(``candidates``), comparison levels (``sql/linkage/comparison_levels.sql``), the fitted weights
joined to them (``sql/linkage/pair_weights.sql``). Only the pairs inside a component of the link
graph come back to Python, for the clustering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from incidents import SQL_DIR
from incidents.linkage.candidates import CANDIDATE_ROWS_SQL, keys_table
from incidents.linkage.clustering import Cluster, ScoredPair, cluster, linked_components
from incidents.linkage.comparisons import FIELDS, compare_levels, records_table
from incidents.linkage.records import LinkRecord
from incidents.linkage.weights import Model
from incidents.linkage.words import WordSets

MUST_LINK, CANNOT_LINK = "must_link", "cannot_link"
WEIGHTS_SQL = SQL_DIR / "linkage" / "pair_weights.sql"
# The links table's columns (report_links), in its order.
LINK_COLUMNS = ("mention_a", "mention_b", "weight", "is_link", "conflict", "decision", "levels",
                *(f"w_{name}" for name in FIELDS))


@dataclass(frozen=True)
class Overrides:
    """An analyst's decisions between two reports (mention ids), kept across runs."""

    decisions: dict[frozenset[str], str] = field(default_factory=dict)   # {a, b} -> MUST_LINK | CANNOT_LINK

    def among(self, mention_ids: set[str]) -> dict[tuple[str, str], str]:
        found = {}
        for pair, decision in self.decisions.items():
            a, b = sorted(pair)
            if a in mention_ids and b in mention_ids:
                found[a, b] = decision
        return found


@dataclass(frozen=True, slots=True)
class PairRow:
    """One pair considered: a row of the links table, with its levels."""

    a: str
    b: str
    weight: float
    contributions: tuple[float, ...]   # per FIELDS
    levels: tuple[str | None, ...]
    conflict: str | None
    decision: str | None               # copies | must_link | cannot_link (an analyst's)

    def scored(self) -> ScoredPair:
        conflict = "an analyst's cannot-link" if self.decision == CANNOT_LINK else self.conflict
        return ScoredPair(self.a, self.b, self.weight, conflict, self.decision in ("copies", MUST_LINK))


class PairRows(Sequence):
    """The pairs of a scored table as ``PairRow``s in the order of their ids, made when asked for
    (a full regroup has more than a million: as objects they would cost more than weighing them)."""

    def __init__(self, table):
        self._table = table          # a pa.Table, or rows read when asked for (batches.ScratchRows)
        self._ordered: pa.Table | None = None

    @property
    def table(self) -> pa.Table:
        if self._ordered is None:
            table = self._table if isinstance(self._table, pa.Table) else self._table.read_all()
            self._ordered = table.sort_by([("mention_a", "ascending"), ("mention_b", "ascending")])
        return self._ordered

    def __len__(self) -> int:
        return self._table.num_rows

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return _pair_row(self.table.slice(index, 1).to_pylist()[0])

    def __iter__(self):
        for batch in self.table.to_batches(50_000):
            yield from map(_pair_row, batch.to_pylist())


def _pair_row(row: dict) -> PairRow:
    if FIELDS[0] in row:
        levels = tuple(row[name] for name in FIELDS)
    else:
        # The links table's row alone (a full regroup's): the levels as its ``levels`` column gives them.
        given = dict(part.split("=", 1) for part in row["levels"].split("; ")) if row["levels"] else {}
        levels = tuple(given.get(name) for name in FIELDS)
    return PairRow(row["mention_a"], row["mention_b"], row["weight"], tuple(row[f"w_{name}"] for name in FIELDS),
                   levels, row["conflict"], row["decision"])


@dataclass(frozen=True)
class ScoredPairs:
    """Pairs compared and weighed, in no order: the links table's columns, each field's level, and
    ``a`` and ``b``, the pair's positions in ``ids`` (the mention ids in order: a has the lower id)."""

    ids: list[str]
    table: pa.Table

    def links(self) -> pa.Table:
        return self.table.select(LINK_COLUMNS)

    def rows(self) -> PairRows:
        return PairRows(self.table)


def _score(records: dict[str, LinkRecord], model: Model, decisions: dict[tuple[str, str], str],
           pairs: list[tuple[str, str]] | None) -> ScoredPairs:
    """These pairs (None: the candidate pairs among ``records`` and the decided ones), weighed."""
    ordered = [records[mention_id] for mention_id in sorted(records)]
    position = {record.mention_id: number for number, record in enumerate(ordered)}

    def positions(pair_list) -> dict[str, pa.Array]:
        return {"a": pa.array([position[a] for a, _ in pair_list], pa.int32()),
                "b": pa.array([position[b] for _, b in pair_list], pa.int32())}

    decided = sorted(decisions.items())
    with duckdb.connect() as conn:
        conn.register("_records", records_table(ordered))
        conn.register("_weights", model.weights_table())
        conn.register("_decisions", pa.table({**positions([pair for pair, _ in decided]),
                                              "decision": pa.array([d for _, d in decided], pa.string())}))
        if pairs is None:
            conn.register("_keys", keys_table(ordered))
            conn.execute(f"CREATE TEMP TABLE _pairs AS {CANDIDATE_ROWS_SQL} UNION SELECT a, b FROM _decisions")
        else:
            conn.register("_pairs", pa.table(positions(pairs)))
        compare_levels(conn, WordSets.of([record.words for record in ordered]), complete=False)
        table = conn.sql(WEIGHTS_SQL.read_text("utf-8"),
                         params={"prior": model.prior, "threshold": model.threshold}).to_arrow_table()
    return ScoredPairs([record.mention_id for record in ordered], table)


def scored_pairs(records: dict[str, LinkRecord], model: Model, overrides: Overrides) -> ScoredPairs:
    """The candidate pairs among ``records`` and the analysts' pairs, scored."""
    return _score(records, model, overrides.among(set(records)), None)


def score_pairs(records: dict[str, LinkRecord], pairs: list[tuple[str, str]], model: Model,
                overrides: Overrides) -> ScoredPairs:
    """These pairs of ``records`` (the lower id first), scored."""
    return _score(records, model, overrides.among(set(records)), pairs)


def score_pair(a: LinkRecord, b: LinkRecord, model: Model, decision: str | None = None) -> PairRow:
    """One pair (for tools and tests: many pairs are scored together)."""
    first, second = sorted((a, b), key=lambda record: record.mention_id)
    pair = (first.mention_id, second.mention_id)
    overrides = Overrides({frozenset(pair): decision} if decision else {})
    return score_pairs({first.mention_id: first, second.mention_id: second}, [pair], model, overrides).rows()[0]


def groups(records: dict[str, LinkRecord], scored: ScoredPairs, model: Model) -> list[Cluster]:
    """Clusters with their members in the grouping's fixed order (the first anchors a new id).

    Primary mentions (what articles report) are grouped first, among themselves; then background
    mentions (attacks an article recalls) join them or group among themselves, never joining
    two primary groups: a recollection is weaker evidence than a report and must not pull apart
    (or bridge) what the reports say."""
    table = scored.table
    a, b = table.column("a").to_numpy(), table.column("b").to_numpy()
    component = linked_components(len(scored.ids), a, b, table.column("is_link").to_numpy(zero_copy_only=False))
    # A pair across two components of the link graph never takes part in a merge (``cluster``);
    # the others go in the order of their ids, as sums of weights depend on the order of terms.
    inside = table.filter(pa.array(component[a] == component[b])).sort_by([("a", "ascending"), ("b", "ascending")])
    ids = scored.ids
    scored_list = [
        ScoredPair(ids[x], ids[y], weight, "an analyst's cannot-link" if decision == CANNOT_LINK else conflict,
                   must_link)
        for x, y, weight, conflict, decision, must_link in zip(
            *(inside.column(name).to_pylist() for name in ("a", "b", "weight", "conflict", "decision", "must_link")))
    ]
    primaries = frozenset(m for m, record in records.items() if record.is_primary)
    reported = cluster(sorted(primaries), [p for p in scored_list if p.a in primaries and p.b in primaries],
                       model.threshold)
    found = cluster(sorted(records), scored_list, model.threshold, start=reported, anchors=primaries)
    for found_cluster in found:
        found_cluster.members.sort(key=lambda mention_id: records[mention_id].order)
    return sorted(found, key=lambda c: records[c.members[0]].order)
