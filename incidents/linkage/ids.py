"""Incident ids that last across runs (docs/reconciliation.md, "Incident ids").

A new incident's id is "inc_" + 12 hex digits of the SHA-256 of its first report's id; an incident
holding reports that had ids keeps the id most of them had (ties: created in the earliest run, then
the lowest id); ids that lose a merge are mapped to the survivor; a fresh id never repeats one.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter, defaultdict
from datetime import datetime


def id_candidate(anchor: str, attempt: int) -> str:
    """The id a group anchored on this mention tries at this attempt, when the earlier ones were taken."""
    return "inc_" + hashlib.sha256((f"{anchor}#{attempt}" if attempt else anchor).encode("utf-8")).hexdigest()[:12]


def fresh_id(anchor: str, taken: set[str]) -> str:
    return next(candidate for attempt in itertools.count() if (candidate := id_candidate(anchor, attempt)) not in taken)


def assign_ids(groups: list[list[str]], previous: dict[str, str], created_run: dict[str, int], ids_in_use: set[str],
               now: datetime, run_id: int) -> tuple[list[str], list[dict], set[str]]:
    """An id per group (its members in the grouping's order: the first anchors a fresh id), the
    id_map rows of this run's merges, and the ids given fresh."""
    holders: dict[str, list[tuple[int, int]]] = defaultdict(list)   # previous id -> (group, mentions)
    claims = []
    for number, group in enumerate(groups):
        held = Counter(previous[member] for member in group if member in previous)
        for old_id, count in held.items():
            holders[old_id].append((number, count))
            created = created_run.get(old_id, math.inf)
            claims.append((-count, created, old_id, number))
    ids: list[str | None] = [None] * len(groups)
    owner: dict[str, int] = {}
    for _, _, old_id, number in sorted(claims):
        if ids[number] is None and old_id not in owner:
            ids[number] = old_id
            owner[old_id] = number

    taken = set(previous.values()) | set(created_run) | ids_in_use
    fresh = set()
    for number, group in enumerate(groups):
        if ids[number] is None:
            ids[number] = fresh_id(group[0], taken)
            taken.add(ids[number])
            fresh.add(ids[number])

    id_map = []
    for old_id in sorted(set(holders) - set(owner)):
        survivor, _ = max(holders[old_id], key=lambda held: (held[1], -held[0]))
        id_map.append({"retired_id": old_id, "surviving_id": ids[survivor],
                       "retired_at": now, "run_id": run_id})
    return ids, id_map, fresh

