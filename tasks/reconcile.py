"""Reconcile: every mention of every article into incidents, with ids that last across runs.

Reconciliation is record linkage of attack reports (``incidents.linkage``; ``docs/reconciliation.md``
for analysts): candidate pairs from blocking, a Fellegi-Sunter weight per pair from comparison
levels whose weights are fitted on labelled pairs, and constrained average-linkage clustering.
A night regroups the components of the link graph its reports touch, which is what regrouping
the whole history would change. Only ``reconcile_task`` at the bottom touches Prefect.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

import pyarrow as pa
from prefect import task

from tasks import STAGE_TASK_OPTIONS

from incidents.heap import paced_for_batches
from incidents.linkage import weights
from incidents.linkage.ids import assign_ids, id_candidate
from incidents.linkage.linking import Overrides, PairRows, ScoredPairs, groups, scored_pairs
from incidents.linkage.records import PRIMARY, LinkRecord, link_record
from incidents.linkage.scope import History, key_rows, night_scope
from incidents.linkage.values import incident_row
from incidents.model import ArticleInfo, Mention

BACKGROUND = "background"

# Raised whenever a change to the code could group stored reports differently; with the fitted
# weights' fingerprint it names what a stored grouping was made by.
RULES_VERSION = 4


def rules_fingerprint(model: weights.Model | None = None) -> str:
    """What a stored grouping was made by: a run finding another regroups everything once."""
    return f"linkage {RULES_VERSION} {(model or weights.load()).version}"


@dataclass
class ReconcileInputs:
    mentions: list[Mention]
    articles: dict[str, ArticleInfo]
    previous_assignment: dict[str, str]        # mention_id -> incident_id from the last run
    previous_created_run: dict[str, int]       # incident_id -> run that created it (the older wins a tied merge)
    run_id: int
    now: datetime
    # incident_id -> run that last changed it: an incident whose mentions did not change keeps it.
    previous_updated_run: dict[str, int] = field(default_factory=dict)
    # Ids of live incidents outside these mentions and of retired ones: a fresh id never repeats one.
    ids_in_use: set[str] = field(default_factory=set)
    overrides: Overrides = field(default_factory=Overrides)
    model: weights.Model | None = None


@dataclass
class LinkRows:
    """The links table's rows a reconciliation replaces: every pair among ``scope`` and every
    pair of ``fresh`` reports (None: the whole table), and the blocking keys of ``fresh`` ones."""

    rows: pa.Table
    keys: pa.Table                   # mention_id, kind, key
    scope: set[str] | None
    fresh: set[str] | None


@dataclass
class ReconcileResult:
    incidents: list[dict]            # rows for the incidents table (every column of the DDL)
    incident_sources: list[dict]
    id_map: list[dict]               # retired_id, surviving_id, retired_at, run_id (only NEW merges of this run)
    assignment: dict[str, str]       # mention_id -> incident_id
    links: PairRows                  # every pair considered
    stats: dict                      # new, updated, retired, dropped, incidents, background_incidents, mentions


def _records(mentions: Iterable[Mention], articles: dict[str, ArticleInfo]) -> dict[str, LinkRecord]:
    records = {}
    for mention in mentions:
        if mention.mention_id in records:
            raise ValueError(f"mention given twice: {mention.mention_id}")
        records[mention.mention_id] = link_record(mention, articles.get(mention.article_id))
    return records


@paced_for_batches()
def reconcile(inputs: ReconcileInputs) -> ReconcileResult:
    """All mentions to incidents; the same inputs in any order give the same result."""
    model = inputs.model or weights.load()
    records = _records(inputs.mentions, inputs.articles)
    scored = scored_pairs(records, model, inputs.overrides)
    return _result(records, scored, model, inputs)


def _result(records: dict[str, LinkRecord], scored: ScoredPairs, model: weights.Model,
            inputs: ReconcileInputs) -> ReconcileResult:
    clusters = groups(records, scored, model)
    ids, id_map, fresh = assign_ids([c.members for c in clusters], inputs.previous_assignment,
                                    inputs.previous_created_run, inputs.ids_in_use, inputs.now, inputs.run_id)
    members_before: dict[str, set[str]] = defaultdict(set)
    for mention_id, incident_id in inputs.previous_assignment.items():
        members_before[incident_id].add(mention_id)
    incidents, sources, assignment = [], [], {}
    updated = set()
    for found, incident_id in zip(clusters, ids):
        members = [records[m] for m in found.members]
        row = incident_row(members, incident_id, found.confidence)
        changed = incident_id in fresh or set(found.members) != members_before.get(incident_id)
        created = inputs.run_id if incident_id in fresh else inputs.previous_created_run.get(incident_id,
                                                                                            inputs.run_id)
        row["created_run_id"] = created
        row["updated_run_id"] = (inputs.run_id if changed else inputs.previous_updated_run.get(incident_id, created))
        if changed and incident_id not in fresh:
            updated.add(incident_id)
        incidents.append(row)
        for record in members:
            assignment[record.mention_id] = incident_id
            sources.append({"incident_id": incident_id, "article_id": record.article_id,
                            "mention_id": record.mention_id, "role": PRIMARY if record.is_primary else BACKGROUND})
    incidents.sort(key=lambda row: row["incident_id"])
    sources.sort(key=lambda row: (row["incident_id"], row["mention_id"]))
    still_named = set(ids) | {row["retired_id"] for row in id_map}
    stats = {
        "mentions": len(records),
        "incidents": len(clusters),
        "background_incidents": sum(row["is_background"] for row in incidents),
        "new": len(fresh),
        "updated": len(updated),
        "retired": len(id_map),
        # Previous incidents none of whose mentions remain (their articles were removed).
        "dropped": len(set(members_before) - still_named),
    }
    return ReconcileResult(incidents, sources, id_map, assignment, scored.rows(), stats)


# --- regrouping only what new mentions reach ------------------------------------------------------

@dataclass
class ScopedResult:
    result: ReconcileResult
    replaced_incidents: set[str]     # stored incidents whose rows the result's rows replace
    scope_mentions: int
    links: LinkRows
    rounds: int = 1


def ids_a_fresh_id_may_meet(history: History, anchors: Iterable[str]) -> set[str]:
    """The stored ids that a fresh id anchored on any of these mentions would try and find taken:
    asking about those, a step at a time, replaces reading every id the history holds."""
    attempts = dict.fromkeys(anchors, 0)
    in_use: set[str] = set()
    while attempts:
        asked = {anchor: id_candidate(anchor, attempt) for anchor, attempt in attempts.items()}
        taken = history.ids_in_use(asked.values())
        in_use |= taken
        attempts = {anchor: attempts[anchor] + 1 for anchor, candidate in asked.items() if candidate in taken}
    return in_use


@paced_for_batches()
def reconcile_scope(history: History, changed: set[str], orphaned_incidents: set[str], run_id: int,
                    now: datetime, full: bool = False, model: weights.Model | None = None) -> ScopedResult:
    """Regroups the components of the link graph that ``changed`` mentions (new or re-extracted),
    the incidents that lost mentions and the analysts' new decisions reach; with ``full``, all."""
    model = model or weights.load()
    overrides = history.overrides()
    articles: dict[str, ArticleInfo] = {}

    def read(mention_ids: set[str] | None) -> dict[str, LinkRecord]:
        mentions = history.mentions(mention_ids)
        articles.update(history.articles({m.article_id for m in mentions} - articles.keys()))
        return _records(mentions, articles)

    if full:
        records = read(None)
        outside = None    # a full regroup compares every pair it writes
        fresh_ids: set[str] | None = None
        scope_ids: set[str] | None = None
    else:
        fresh = read(set(changed))
        stored_scope, outside = night_scope(history, fresh, orphaned_incidents, model, overrides,
                                            lambda ids: read(set(ids)))
        records = {**read(stored_scope), **fresh}
        fresh_ids, scope_ids = set(fresh), set(records)
    previous = history.incident_rows(None if full else set(records), orphaned_incidents)
    created, updated = history.incident_runs(set(previous.values()))
    inputs = ReconcileInputs(
        mentions=[], articles=articles, previous_assignment=previous, previous_created_run=created,
        previous_updated_run=updated, run_id=run_id, now=now, overrides=overrides, model=model,
        ids_in_use=ids_a_fresh_id_may_meet(history, records),
    )
    scored = scored_pairs(records, model, overrides)
    result = _result(records, scored, model, inputs)
    if full:
        link_rows, fresh_keys = scored.links(), scored.index_rows()
    else:
        link_rows, fresh_keys = pa.concat_tables([scored.links(), outside]), key_rows(records[m] for m in fresh_ids)
    links = LinkRows(link_rows, fresh_keys, scope_ids, fresh_ids)
    return ScopedResult(result, set(previous.values()) | orphaned_incidents, len(records), links)


@task(name="reconcile", **STAGE_TASK_OPTIONS)
def reconcile_task(history: History, changed: set[str], orphaned_incidents: set[str], run_id: int,
                   now: datetime, full: bool = False) -> ScopedResult:
    """Called, not submitted: it reads the history through the flow's own database connection."""
    return reconcile_scope(history, changed, orphaned_incidents, run_id, now, full=full)
