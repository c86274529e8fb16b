"""Reports to groups: candidate pairs, their weights, analysts' decisions, clusters.

Every pair considered is kept with its weight, each field's contribution and the reason it can
never be one attack, so that the store can answer "why are these one incident" (the links table).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from incidents.linkage.candidates import candidate_pairs
from incidents.linkage.clustering import Cluster, ScoredPair, cluster, is_link
from incidents.linkage.comparisons import FIELDS, always_linked, compare
from incidents.linkage.records import LinkRecord
from incidents.linkage.weights import Model

MUST_LINK, CANNOT_LINK = "must_link", "cannot_link"


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
    """One pair considered: a row of the links table."""

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



def links_table(rows: list[PairRow], threshold: float) -> pa.Table:
    """The rows of the links table (report_links), column by column."""
    columns = {
        "mention_a": pa.array([r.a for r in rows], pa.string()),
        "mention_b": pa.array([r.b for r in rows], pa.string()),
        "weight": pa.array([r.weight for r in rows], pa.float64()),
        "is_link": pa.array([is_link(r.scored(), threshold) for r in rows], pa.bool_()),
        "conflict": pa.array([r.conflict for r in rows], pa.string()),
        "decision": pa.array([r.decision for r in rows], pa.string()),
        "levels": pa.array(["; ".join(f"{f}={level}" for f, level in zip(FIELDS, r.levels) if level is not None)
                            for r in rows], pa.string()),
    }
    for number, name in enumerate(FIELDS):
        columns[f"w_{name}"] = pa.array([r.contributions[number] for r in rows], pa.float64())
    return pa.table(columns)


def score_pair(a: LinkRecord, b: LinkRecord, model: Model, decision: str | None = None) -> PairRow:
    comparison = compare(a, b, complete=False)
    contributions = model.contributions(comparison)
    weight = round(model.prior + sum(contributions), 3)
    if decision is None and always_linked(a, b):
        decision = "copies"
    return PairRow(a.mention_id, b.mention_id, weight, contributions, comparison.levels, comparison.conflict,
                   decision)


def scored_pairs(records: dict[str, LinkRecord], model: Model, overrides: Overrides,
                 pairs: list[tuple[str, str]] | None = None) -> list[PairRow]:
    """The candidate pairs among ``records`` (or these ``pairs``) and the analysts' pairs, scored."""
    decided = overrides.among(set(records))
    wanted = candidate_pairs(records.values()) if pairs is None else sorted(pairs)
    if decided:
        wanted = sorted(set(wanted) | set(decided))
    return [score_pair(records[a], records[b], model, decided.get((a, b))) for a, b in wanted]


def groups(records: dict[str, LinkRecord], rows: list[PairRow], model: Model) -> list[Cluster]:
    """Clusters with their members in the grouping's fixed order (the first anchors a new id).

    Primary mentions (what articles report) are grouped first, among themselves; then background
    mentions (attacks an article recalls) join them or group among themselves, never joining
    two primary groups: a recollection is weaker evidence than a report and must not pull apart
    (or bridge) what the reports say."""
    scored = [row.scored() for row in rows]
    primaries = frozenset(m for m, record in records.items() if record.is_primary)
    reported = cluster(sorted(primaries), [p for p in scored if p.a in primaries and p.b in primaries],
                       model.threshold)
    found = cluster(sorted(records), scored, model.threshold, start=reported, anchors=primaries)
    for found_cluster in found:
        found_cluster.members.sort(key=lambda mention_id: records[mention_id].order)
    return sorted(found, key=lambda c: records[c.members[0]].order)
