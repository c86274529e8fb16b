"""Reconciliation: incident ids across runs, kept, merged, split and never reused."""

from __future__ import annotations

import random

from reconcile_cases import (
    BAGHDAD_CITY, BALAD_BASE, ERBIL_AIRPORT, FIVE_WOUNDED, GREEN_ZONE, GUARDS_KILLED, GUARDS_KILLED_AGAIN,
    NOW, article, embassy_rockets, on, report, run,
)


def test_rerunning_with_the_previous_assignment_keeps_every_id():
    mentions = embassy_rockets() + [report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone")]
    first = run(mentions)
    created = {row["incident_id"]: 1 for row in first.incidents}
    second = run(mentions, previous=first.assignment, created=created, run_id=2)
    assert second.assignment == first.assignment
    assert second.incidents == first.incidents
    assert second.id_map == []
    assert (second.stats["new"], second.stats["updated"], second.stats["retired"]) == (0, 0, 0)


def test_a_new_report_of_a_known_incident_keeps_its_id():
    first = run(embassy_rockets()[:2])
    incident_id = first.incidents[0]["incident_id"]
    second = run(embassy_rockets(), previous=first.assignment, created={incident_id: 1}, run_id=2)
    assert set(second.assignment.values()) == {incident_id}
    incident = second.incidents[0]
    assert (incident["created_run_id"], incident["updated_run_id"]) == (1, 2)
    assert (second.stats["new"], second.stats["updated"]) == (0, 1)


def bridge_case(prefix: str = "a"):
    # a1 (no date) and a3 alone are too thin to be one attack; a2 tells a1's story in nearly its
    # words and shares the place, the day and the wounded with a3.
    a1 = report(f"{prefix}1:0", **BAGHDAD_CITY, weapon_type="rocket", killed=2, target_name="Ministry of Planning",
                evidence=GUARDS_KILLED)
    a3 = report(f"{prefix}3:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", injured=5,
                evidence=FIVE_WOUNDED)
    a2 = report(f"{prefix}2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2, injured=5,
                target_name="Ministry of Planning", evidence=GUARDS_KILLED_AGAIN)
    return a1, a2, a3


def test_a_report_that_bridges_two_incidents_merges_them_and_maps_the_retired_id():
    a1, a2, a3 = bridge_case()
    first = run([a1, a3])
    assert len(first.incidents) == 2
    older, newer = first.assignment["a3:0"], first.assignment["a1:0"]
    second = run([a1, a2, a3], previous=first.assignment, created={older: 1, newer: 2}, run_id=3)
    assert set(second.assignment.values()) == {older}, "the incident created first survives a tie"
    assert second.id_map == [{"retired_id": newer, "surviving_id": older, "retired_at": NOW, "run_id": 3}]
    assert second.stats["retired"] == 1 and second.stats["new"] == 0


def test_a_split_incident_keeps_its_id_where_most_of_its_mentions_are():
    a1, a2, a3 = bridge_case()
    merged = run([a1, a2, a3])
    old_id = merged.incidents[0]["incident_id"]
    # a2 is withdrawn: a1 and a3 no longer hold together.
    second = run([a1, a3], previous=merged.assignment, created={old_id: 1}, run_id=2)
    assert len(second.incidents) == 2
    assert second.assignment["a1:0"] != second.assignment["a3:0"]
    assert old_id in second.assignment.values()
    assert len({row["incident_id"] for row in second.incidents}) == 2
    assert second.id_map == []


def test_a_fresh_id_never_repeats_a_live_or_retired_id():
    a1, a2, a3 = bridge_case()
    alone = run([a1]).incidents[0]["incident_id"]
    # Pretend a1's own id now names an incident held by a3: a1 must take another id.
    second = run([a1, a3], previous={"a3:0": alone}, created={alone: 1}, run_id=2)
    assert second.assignment["a3:0"] == alone
    assert second.assignment["a1:0"] != alone
    retired = run([a1], ids_in_use={alone}).assignment["a1:0"]
    assert retired != alone and retired.startswith("inc_") and len(retired) == 16


def test_the_order_of_the_input_does_not_matter():
    mentions = embassy_rockets() + list(bridge_case(prefix="b")) + [
        report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a4:1", role="background", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket"),
        report("a5:0", **on("2020-12-20", precision="week"), **ERBIL_AIRPORT, weapon_type="drone", killed=0),
        report("a6:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="mortar"),
        report("a7:0", date_precision="unknown", event_month=11, event_day=17, **BALAD_BASE, weapon_type="rocket"),
    ]
    articles = {f"{prefix}{n}": article(f"{prefix}{n}", hours=n) for prefix in "ab" for n in range(1, 8)}
    expected = run(mentions, articles)
    for seed in range(5):
        shuffled = mentions[:]
        random.Random(seed).shuffle(shuffled)
        again = run(shuffled, dict(reversed(list(articles.items()))))
        assert again.assignment == expected.assignment
        assert again.incidents == expected.incidents
        assert again.incident_sources == expected.incident_sources


def test_an_incident_whose_articles_are_gone_is_dropped_not_retired():
    first = run(embassy_rockets() + [report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone")])
    gone = first.assignment["a4:0"]
    second = run(embassy_rockets(), previous=first.assignment, created={i: 1 for i in first.assignment.values()},
                 run_id=2)
    assert gone not in second.assignment.values()
    assert (second.stats["dropped"], second.stats["retired"], second.id_map) == (1, 0, [])
