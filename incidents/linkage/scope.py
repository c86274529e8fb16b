"""What a night regroups: the components of the link graph its new reports touch.

Incidents are made within components of the link graph (pairs at or above the threshold, copies,
must-links) and never across them (``clustering``). A night changes the graph only around its new
and re-read reports: their own links, and the links of the reports they replaced. So the
components to regroup are the ones reached from those reports through stored links, together with
the reports themselves; every other component, and with it every other incident, is what a full
regroup would make again. The stored links are read through ``History`` (``incidents.store``).
"""

from __future__ import annotations

from typing import Iterable, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from incidents.linkage.candidates import keys_table
from incidents.linkage.linking import Overrides, score_pairs
from incidents.linkage.records import LinkRecord
from incidents.linkage.weights import Model
from incidents.model import ArticleInfo, Mention


class History(Protocol):
    """What a run reads back of the stored reports, links and incidents."""

    def mentions(self, mention_ids: Iterable[str] | None, evidence: bool = True) -> list[Mention]:
        """The stored mentions among these ids (None: all), evidence sentences included unless
        not ``evidence`` (then None: what clustering and an incident's values read)."""

    def mention_ids(self) -> list[str]:
        """Every stored mention's id, in order."""

    def articles(self, article_ids: Iterable[str], words: bool = True) -> dict[str, ArticleInfo]:
        """These articles; without ``words``, their words are not read (``ArticleInfo.words`` None)."""

    def article_words(self, article_ids: Iterable[str]) -> pa.Table:
        """The stored words of these articles as stored, a row each (those that have them):
        article_id, words (space-separated), rarity, rarest (space-separated)."""

    def incident_rows(self, mention_ids: Iterable[str] | None, incident_ids: Iterable[str] = ()) -> dict[str, str]:
        """mention_id -> incident_id of every member, gone mentions included, of the incidents that
        hold one of ``mention_ids`` or are among ``incident_ids`` (None: of every incident)."""

    def key_partners(self, keys: pa.Table) -> set[tuple[str, str]]:
        """(given mention, stored mention) whose blocking keys meet, for these rows (mention_id,
        kind, key): an index key meets a probe key and a probe key an index key."""

    def link_partners(self, mention_ids: Iterable[str]) -> set[str]:
        """Stored mentions joined to these by a stored link."""

    def overrides(self) -> Overrides: ...

    def pending_overrides(self) -> set[str]:
        """Mentions named by analysts' decisions that no run has applied yet."""

    def incident_runs(self, incident_ids: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]: ...

    def ids_in_use(self, incident_ids: Iterable[str]) -> set[str]: ...


def key_rows(records: Iterable[LinkRecord]) -> pa.Table:
    """The rows of the blocking index (link_keys) of these reports."""
    return keys_table(list(records)).select(["mention_id", "kind", "key"])


def night_scope(history: History, fresh: dict[str, LinkRecord], orphaned_incidents: set[str], model: Model,
                overrides: Overrides, read) -> tuple[set[str], pa.Table]:
    """The stored reports to regroup with ``fresh`` ones (new or re-read), and the pairs of fresh
    reports with stored ones outside that scope (links-table rows: they are written, not regrouped).

    ``read(ids)`` gives the records of stored mentions."""
    pairs = {(new, stored) for new, stored in history.key_partners(key_rows(fresh.values())) if stored not in fresh}
    partner_records = read({stored for _, stored in pairs})
    # Keys of a mention its re-read article no longer has find no record.
    compared = sorted({(min(new, stored), max(new, stored)) for new, stored in pairs if stored in partner_records})
    scored = score_pairs({**partner_records, **fresh}, compared, model, overrides)
    is_link = scored.table.column("is_link")
    seeds = set(history.pending_overrides())
    seeds |= {b if b in partner_records else a for a, b in zip(
        *(scored.table.filter(is_link).column(name).to_pylist() for name in ("mention_a", "mention_b")))}
    # The components the replaced versions of re-read reports held, and the incidents that lost one.
    seeds |= history.link_partners(fresh) - fresh.keys()
    seeds |= set(history.incident_rows(set(fresh), orphaned_incidents))
    scope: set[str] = set()
    frontier = seeds
    while frontier:
        scope |= frontier
        reached = history.link_partners(frontier) | set(history.incident_rows(frontier))
        frontier = reached - scope - fresh.keys()
    scope -= fresh.keys()
    in_scope = pa.array(sorted(scope), pa.string())
    outside = scored.links().filter(pc.invert(pc.or_(
        is_link, pc.or_(pc.is_in(scored.table.column("mention_a"), in_scope),
                        pc.is_in(scored.table.column("mention_b"), in_scope)))))
    return scope, outside
