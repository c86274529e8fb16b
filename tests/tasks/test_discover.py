"""plan_reads: which listed files a run reads, given what the database holds of the listing."""

from __future__ import annotations

from incidents.model import Rejection, StoredFiles
from tasks.discover import InboxListing, plan_reads

NOW = 1_800_000_000.0
OLD = int((NOW - 3600) * 1e9)


def listing(*names: str, rejected: tuple[Rejection, ...] = ()) -> InboxListing:
    return InboxListing({name: (100, OLD) for name in names}, list(rejected))


def stored(differing=(), read_before=(), missing=()) -> StoredFiles:
    return StoredFiles(frozenset(differing), frozenset(read_before), frozenset(missing))


def test_only_files_that_differ_are_read_and_the_rest_counted_unchanged():
    inbox = listing("a.txt", "a.meta.json", "b.txt", "c.json", "d.txt")
    delta = plan_reads(inbox, stored(differing={"b.txt", "d.txt"}, read_before={"d.txt"}), now=NOW)
    assert [f.source_file for f in delta.to_read] == ["b.txt", "d.txt"]
    assert (delta.new, delta.changed) == ({"b.txt"}, {"d.txt"})
    # a.txt with its sidecar is one article; c.json another
    assert (delta.files_seen, delta.unchanged) == (5, 2)


def test_a_changed_sidecar_has_its_article_read_again_with_it():
    inbox = listing("a.txt", "a.meta.json", "b.txt")
    delta = plan_reads(inbox, stored(differing={"a.meta.json"}, read_before={"a.meta.json"}), now=NOW)
    assert [(f.source_file, f.sidecar) for f in delta.to_read] == [("a.txt", "a.meta.json")]
    assert (delta.new, delta.changed) == (set(), {"a.txt"})
    assert delta.unchanged == 1


def test_a_sidecar_without_its_article_is_a_file_of_its_own():
    delta = plan_reads(listing("lonely.meta.json"), stored(differing={"lonely.meta.json"}), now=NOW)
    assert [(f.source_file, f.sidecar) for f in delta.to_read] == [("lonely.meta.json", None)]


def test_fresh_files_wait_for_the_minimum_age():
    inbox = InboxListing({"new.txt": (10, int(NOW * 1e9)), "old.txt": (10, OLD)}, [])
    delta = plan_reads(inbox, stored(differing={"new.txt", "old.txt"}), min_file_age_seconds=60, now=NOW)
    assert ([f.source_file for f in delta.to_read], delta.deferred) == (["old.txt"], ["new.txt"])


def test_a_file_gone_is_deleted_unless_the_walk_rejected_it():
    link = Rejection("now_a_link.txt", "link_outside_inbox", "link leads outside the inbox; not followed")
    delta = plan_reads(listing("kept.txt", rejected=(link,)), stored(missing={"gone.txt", "now_a_link.txt"}), now=NOW)
    assert delta.deleted == ["gone.txt"] and delta.to_read == []
