"""Reconcile: every mention of every article into incidents, with ids that last across runs.

Reconciliation is record linkage of attack reports (``incidents.linkage``; ``docs/reconciliation.md``
for analysts): candidate pairs from blocking, a Fellegi-Sunter weight per pair from comparison
levels whose weights are fitted on labelled pairs, and constrained average-linkage clustering.
A night regroups the components of the link graph its reports touch, which is what regrouping
the whole history would change; a full regroup goes through the history in batches of bounded size
(``incidents.linkage.batches``). Only ``reconcile_task`` at the bottom touches Prefect.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

import pyarrow as pa
from prefect import task

from tasks import STAGE_TASK_OPTIONS

from incidents.heap import paced_for_batches
from incidents.linkage import weights
from incidents.linkage.batches import BatchSize, Group, ScratchRows, found_groups, regroup_all
from incidents.linkage.ids import assign_ids, id_candidate
from incidents.linkage.linking import Overrides, PairRows, ScoredPairs, groups, scored_pairs
from incidents.linkage.records import PRIMARY, LinkRecord, link_record
from incidents.linkage.scope import History, key_rows, night_scope
from incidents.model import ArticleInfo, Mention

BACKGROUND = "background"

# Raised whenever a change to the code could group stored reports differently; with the fitted
# weights' fingerprint it names what a stored grouping was made by.
RULES_VERSION = 5


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
    pair of ``fresh`` reports (None: the whole table), and the blocking keys of ``fresh`` ones.
    A full regroup's rows and keys are ``batches.ScratchRows``, written in parts."""

    rows: pa.Table | ScratchRows
    keys: pa.Table | ScratchRows     # mention_id, kind, key
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
    found = found_groups(records, groups(records, scored, model))
    return _finished(found, len(records), inputs, scored.rows())


def _finished(found: list[Group], mentions: int, inputs: ReconcileInputs, links: PairRows) -> ReconcileResult:
    """The incidents of these groups (in the grouping's order), with their ids and runs."""
    ids, id_map, fresh = assign_ids([group.members for group in found], inputs.previous_assignment,
                                    inputs.previous_created_run, inputs.ids_in_use, inputs.now, inputs.run_id)
    members_before: dict[str, set[str]] = defaultdict(set)
    for mention_id, incident_id in inputs.previous_assignment.items():
        members_before[incident_id].add(mention_id)
    incidents, sources, assignment = [], [], {}
    updated = set()
    for group, incident_id in zip(found, ids):
        row = group.row
        row["incident_id"] = incident_id
        changed = incident_id in fresh or set(group.members) != members_before.get(incident_id)
        created = inputs.run_id if incident_id in fresh else inputs.previous_created_run.get(incident_id,
                                                                                            inputs.run_id)
        row["created_run_id"] = created
        row["updated_run_id"] = (inputs.run_id if changed else inputs.previous_updated_run.get(incident_id, created))
        if changed and incident_id not in fresh:
            updated.add(incident_id)
        incidents.append(row)
        for mention_id, article_id, is_primary in group.sources:
            assignment[mention_id] = incident_id
            sources.append({"incident_id": incident_id, "article_id": article_id,
                            "mention_id": mention_id, "role": PRIMARY if is_primary else BACKGROUND})
    incidents.sort(key=lambda row: row["incident_id"])
    sources.sort(key=lambda row: (row["incident_id"], row["mention_id"]))
    still_named = set(ids) | {row["retired_id"] for row in id_map}
    stats = {
        "mentions": mentions,
        "incidents": len(found),
        "background_incidents": sum(row["is_background"] for row in incidents),
        "new": len(fresh),
        "updated": len(updated),
        "retired": len(id_map),
        # Previous incidents none of whose mentions remain (their articles were removed).
        "dropped": len(set(members_before) - still_named),
    }
    return ReconcileResult(incidents, sources, id_map, assignment, links, stats)


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
                    now: datetime, full: bool = False, model: weights.Model | None = None,
                    batch: BatchSize = BatchSize(),
                    ready: Callable[[str, ScratchRows], None] | None = None) -> ScopedResult:
    """Regroups the components of the link graph that ``changed`` mentions (new or re-extracted),
    the incidents that lost mentions and the analysts' new decisions reach; with ``full``, all,
    in batches of ``batch`` (``incidents.linkage.batches``: the same result as all at once),
    handing its links and keys to ``ready`` as soon as they are final (``batches.regroup_all``)."""
    model = model or weights.load()
    overrides = history.overrides()
    if full:
        return _regroup_all(history, orphaned_incidents, run_id, now, model, overrides, batch, ready)
    articles: dict[str, ArticleInfo] = {}

    def read(mention_ids: set[str]) -> dict[str, LinkRecord]:
        mentions = history.mentions(mention_ids)
        articles.update(history.articles({m.article_id for m in mentions} - articles.keys()))
        return _records(mentions, articles)

    fresh = read(set(changed))
    stored_scope, outside = night_scope(history, fresh, orphaned_incidents, model, overrides,
                                        lambda ids: read(set(ids)))
    records = {**read(stored_scope), **fresh}
    previous = history.incident_rows(set(records), orphaned_incidents)
    inputs = _inputs(history, previous, records, run_id, now, model, overrides)
    scored = scored_pairs(records, model, overrides)
    result = _result(records, scored, model, inputs)
    links = LinkRows(pa.concat_tables([scored.links(), outside]), key_rows(records[m] for m in fresh),
                     set(records), set(fresh))
    return ScopedResult(result, set(previous.values()) | orphaned_incidents, len(records), links)


def _inputs(history: History, previous: dict[str, str], anchors: Iterable[str], run_id: int, now: datetime,
            model: weights.Model, overrides: Overrides) -> ReconcileInputs:
    created, updated = history.incident_runs(set(previous.values()))
    return ReconcileInputs(
        mentions=[], articles={}, previous_assignment=previous, previous_created_run=created,
        previous_updated_run=updated, run_id=run_id, now=now, overrides=overrides, model=model,
        ids_in_use=ids_a_fresh_id_may_meet(history, anchors),
    )


def _regroup_all(history: History, orphaned_incidents: set[str], run_id: int, now: datetime, model: weights.Model,
                 overrides: Overrides, batch: BatchSize,
                 ready: Callable[[str, ScratchRows], None] | None) -> ScopedResult:
    """Every stored mention regrouped in batches; the links and keys stay in the regroup's scratch
    database until they are written (a full regroup compares every pair it writes)."""
    regrouped = regroup_all(history, model, overrides, batch, ready)
    previous = history.incident_rows(None, orphaned_incidents)
    inputs = _inputs(history, previous, regrouped.mention_ids, run_id, now, model, overrides)
    mentions = len(regrouped.mention_ids)
    result = _finished(regrouped.groups, mentions, inputs, PairRows(regrouped.links))
    links = LinkRows(regrouped.links, regrouped.keys, None, None)
    return ScopedResult(result, set(previous.values()) | orphaned_incidents, mentions, links)


@task(name="reconcile", **STAGE_TASK_OPTIONS)
def reconcile_task(history: History, changed: set[str], orphaned_incidents: set[str], run_id: int,
                   now: datetime, full: bool = False,
                   ready: Callable[[str, ScratchRows], None] | None = None) -> ScopedResult:
    """Called, not submitted: it reads the history through the flow's own database connection."""
    return reconcile_scope(history, changed, orphaned_incidents, run_id, now, full=full, ready=ready)
