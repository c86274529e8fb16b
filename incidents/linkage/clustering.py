"""From weighted pairs to incidents: constrained agglomeration on the strongest link.

Why this algorithm. Connected components of the links above a threshold (what splink offers) let
one vague report chain two attacks together: the same base on Monday and on Tuesday both match a
report dated "this week". Requiring agreement with every member (complete linkage) lets no
evidence accumulate: a report with no date that matches one member is refused because it cannot
be compared with the others. Average linkage (this module until session 10) refused it too when
the other members' pairs were weak: on the real-reporting set it kept B-cubed recall at 0.50.
Here two groups merge when the strongest pair between them is a link (at the threshold or above),
the pairs compared between them average at least even odds (AVERAGE_FLOOR: on balance they say
one attack), and no pair between them is a hard negative (two dates or places that cannot be one
attack, two mentions of one article) or an analyst's cannot-link. The hard negatives are what
keep the vague report from chaining Monday's and Tuesday's attacks: once it joins one, the other
is forbidden to that group. Must-links (copies of one report, an analyst's decision) are merged
first. Merges go in order of average weight, ties to the lowest ids: the result depends only on
the pairs, never on the order reports arrived in, and one component of the link graph never
affects another, which is what lets a night regroup only the components its reports touch.
Measured on the real set's dev part (docs/reconciliation.md, "Clustering").
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass

from incidents.linkage.weights import probability

# Log2 odds the pairs between two groups must average: 0 is even odds.
AVERAGE_FLOOR = 0.0


@dataclass(frozen=True, slots=True)
class ScoredPair:
    a: str
    b: str
    weight: float
    conflict: str | None          # a hard negative (or an analyst's cannot-link): never one incident
    must_link: bool = False       # copies of one report, or an analyst's must-link


@dataclass
class Cluster:
    members: list[str]
    confidence: float | None      # the weakest merge that holds it together (None: one report)


class _Sets:
    def __init__(self, items):
        self.parent = {item: item for item in items}

    def find(self, item):
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            if b < a:
                a, b = b, a
            self.parent[b] = a
        return a


def is_link(pair: ScoredPair, threshold: float) -> bool:
    return pair.must_link or (pair.conflict is None and pair.weight >= threshold)


def cluster(items: list[str], pairs: list[ScoredPair], threshold: float, start: list[Cluster] = (),
            anchors: frozenset[str] = frozenset()) -> list[Cluster]:
    """Incidents among ``items`` (one component or several) from their scored pairs.

    ``start``: groups already made (with their confidence); two groups that both hold one of the
    ``anchors`` never merge. Only pairs within one component of the link graph can take part in
    a merge (two groups merge only through a link); the others (most pairs: two reports compared
    and found apart) are left out before the merging."""
    sets = _Sets(items)
    for group in start:
        for member in group.members[1:]:
            sets.union(group.members[0], member)
    for pair in pairs:
        if is_link(pair, threshold):
            sets.union(pair.a, pair.b)
    pairs = [pair for pair in pairs if sets.find(pair.a) == sets.find(pair.b)]
    sets = _Sets(items)
    for group in start:
        for member in group.members[1:]:
            sets.union(group.members[0], member)
    for pair in pairs:
        if pair.must_link:
            sets.union(pair.a, pair.b)
    members: dict[str, list[str]] = defaultdict(list)
    for item in items:
        members[sets.find(item)].append(item)
    # Copies and analysts' must-links hold for certain; a single report holds nothing together.
    confidence: dict[str, float | None] = {root: 1.0 if len(group) > 1 else None for root, group in members.items()}
    for group in start:
        root = sets.find(group.members[0])
        if group.confidence is not None and len(members[root]) > 1:
            confidence[root] = min(confidence[root], group.confidence)
    anchored = {root: not anchors.isdisjoint(group) for root, group in members.items()}
    # Between two groups: the sum of the weights compared, how many, whether any forbids, the strongest.
    between: dict[str, dict[str, list]] = defaultdict(dict)
    for pair in pairs:
        x, y = sets.find(pair.a), sets.find(pair.b)
        if x == y:
            continue
        entry = between[x].get(y)
        if entry is None:
            entry = between[x][y] = between[y][x] = [0.0, 0, False, -math.inf]
        entry[0] += pair.weight
        entry[1] += 1
        entry[2] = entry[2] or pair.conflict is not None
        entry[3] = max(entry[3], pair.weight)
    heap = []

    def offer(x: str, y: str) -> None:
        total, count, forbidden, strongest = between[x][y]
        if not forbidden and not (anchored[x] and anchored[y]) and strongest >= threshold \
                and total / count >= AVERAGE_FLOOR:
            heapq.heappush(heap, (-total / count, min(x, y), max(x, y), total, count))

    for x in sorted(between):
        for y in sorted(between[x]):
            if x < y:
                offer(x, y)
    while heap:
        negative_average, x, y, total, count = heapq.heappop(heap)
        if x not in members or y not in members or between[x].get(y)[:3] != [total, count, False]:
            continue    # a stale offer: one of the two has merged since
        merged = probability(-negative_average)
        members[x].extend(members.pop(y))
        anchored[x] = anchored[x] or anchored.pop(y)
        weakest = [c for c in (confidence.pop(y), confidence[x], merged) if c is not None]
        confidence[x] = min(weakest)
        neighbours = between.pop(y)
        del between[x][y]
        for z, (z_total, z_count, z_forbidden, z_strongest) in neighbours.items():
            if z == x:
                continue
            del between[z][y]
            entry = between[x].get(z)
            if entry is None:
                entry = between[x][z] = between[z][x] = [0.0, 0, False, -math.inf]
            entry[0] += z_total
            entry[1] += z_count
            entry[2] = entry[2] or z_forbidden
            entry[3] = max(entry[3], z_strongest)
        for z in sorted(between[x]):
            offer(x, z)
    clusters = [Cluster(sorted(group), confidence[root]) for root, group in members.items()]
    return sorted(clusters, key=lambda c: c.members[0])
