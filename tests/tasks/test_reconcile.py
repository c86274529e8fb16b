"""Reconciliation: mentions built by hand, the way the extractor gives them."""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from incidents import store
from incidents.linkage.clustering import is_link
from incidents.linkage.comparisons import FIELDS
from incidents.linkage.linking import Overrides, score_pair, score_pairs
from incidents.linkage.words import ReportWords
from incidents.model import ArticleInfo, FieldValue, Mention
from tasks import load
from tasks.reconcile import ReconcileInputs, reconcile

NOW = datetime(2021, 1, 10, 12, 0, tzinfo=timezone.utc)
MIGRATIONS = Path(__file__).resolve().parents[2] / "sql" / "migrations"

GREEN_ZONE = dict(place_id="iq_baghdad_green_zone", location_name="Green Zone", location_name_ar="المنطقة الخضراء",
                  country="Iraq", admin1="Baghdad", city="Baghdad", latitude=33.3036, longitude=44.3958,
                  geo_precision="district")
BALAD_BASE = dict(place_id="iq_balad_air_base", location_name="Balad Air Base", location_name_ar="قاعدة بلد",
                  country="Iraq", admin1="Salah ad-Din", city="Balad", latitude=34.0036, longitude=44.1457,
                  geo_precision="site")
ERBIL_AIRPORT = dict(place_id="iq_erbil_airport", location_name="Erbil International Airport",
                     location_name_ar="مطار أربيل", country="Iraq", admin1="Erbil", city="Erbil",
                     latitude=36.2376, longitude=43.9632, geo_precision="site")
BAGHDAD_CITY = dict(country="Iraq", admin1="Baghdad", city="Baghdad")


def on(day: str, precision: str = "day") -> dict:
    parsed = date.fromisoformat(day)
    return dict(event_date=day, event_year=parsed.year, event_month=parsed.month, event_day=parsed.day,
                date_precision=precision)


def report(mention_id: str, *, role: str = "primary", **fields) -> Mention:
    article_id, index = mention_id.split(":")
    fields.setdefault("date_precision", "unknown")
    return Mention(mention_id=mention_id, article_id=article_id, mention_index=int(index), role=role, **fields)


def article(article_id: str, hours: int = 0, copy_of: str | None = None, source: str | None = None) -> ArticleInfo:
    return ArticleInfo(article_id=article_id, copy_group=copy_of or article_id,
                       published_at=datetime(2020, 11, 17, 8, tzinfo=timezone.utc) + timedelta(hours=hours),
                       source=source or f"outlet of {article_id}")


def run(mentions, articles=None, previous=None, created=None, run_id=1, **extra):
    if articles is None:
        names = sorted({m.article_id for m in mentions})
        articles = {name: article(name, hours=number) for number, name in enumerate(names)}
    return reconcile(ReconcileInputs(mentions=list(mentions), articles=articles,
                                     previous_assignment=dict(previous or {}),
                                     previous_created_run=dict(created or {}), run_id=run_id, now=NOW, **extra))


def incident_of(result, mention_id: str) -> dict:
    incident_id = result.assignment[mention_id]
    return next(row for row in result.incidents if row["incident_id"] == incident_id)


def groups(result) -> set[frozenset[str]]:
    by_incident: dict[str, set[str]] = {}
    for mention_id, incident_id in result.assignment.items():
        by_incident.setdefault(incident_id, set()).add(mention_id)
    return {frozenset(members) for members in by_incident.values()}


def ddl_columns(table: str) -> list[str]:
    """The table's columns as the migrations make it: created, then columns added."""
    columns = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        sql = path.read_text()
        created = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", sql, re.S)
        if created:
            columns += [line.split()[0] for line in created.group(1).splitlines()
                        if line.strip() and not line.strip().startswith(("--", "PRIMARY KEY"))]
        columns += re.findall(rf"ALTER TABLE {table} ADD COLUMN (\w+)", sql)
    return columns


def embassy_rockets():
    """One rocket attack on the Green Zone, told by three outlets that disagree on the dead."""
    return [
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=3, killed=2),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=3, killed=3),
        report("a3:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=4, killed=2,
               injured=1),
    ]


def test_rows_have_exactly_the_columns_of_the_tables():
    result = run(embassy_rockets())
    assert list(result.incidents[0]) == ddl_columns("incidents")
    assert list(result.incident_sources[0]) == ddl_columns("incident_sources")


def test_three_outlets_that_disagree_on_the_dead_make_one_incident():
    result = run(embassy_rockets())
    assert len(result.incidents) == 1
    incident = result.incidents[0]
    assert (incident["killed"], incident["killed_max"]) == (2, 3)
    assert (incident["projectile_count"], incident["projectile_count_max"]) == (3, 4)
    assert incident["injured"] == incident["injured_max"] == 1
    assert incident["source_count"] == 3 and incident["article_count"] == 3 and not incident["single_source"]
    assert incident["event_date"] == date(2020, 11, 17) and incident["date_precision"] == "day"
    assert incident["place_id"] == "iq_baghdad_green_zone" and incident["weapon_type"] == "rocket"
    assert incident["first_reported_at"] == datetime(2020, 11, 17, 8, tzinfo=timezone.utc)
    assert incident["is_background"] is False
    assert incident["created_run_id"] == incident["updated_run_id"] == 1


def test_near_copies_count_as_one_source_and_the_latest_copy_speaks_for_them():
    mentions = [
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=1),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2),
    ]
    articles = {"a1": article("a1"), "a2": article("a2", hours=3, copy_of="a1")}
    incident = run(mentions, articles).incidents[0]
    assert incident["source_count"] == 1 and incident["single_source"] is True
    assert incident["article_count"] == 2
    assert (incident["killed"], incident["killed_max"]) == (2, 2)


def test_counts_given_as_often_tie_to_the_higher():
    """One outlet counts the one rocket intercepted, another the salvo of two: the salvo's count."""
    incident = run([
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=1),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=2),
    ]).incidents[0]
    assert (incident["projectile_count"], incident["projectile_count_max"]) == (2, 2)


def test_a_near_copy_without_the_day_word_keeps_its_originals_day():
    mentions = [
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket"),
        report("a2:0", **on("2020-11-17", precision="week"), **GREEN_ZONE, weapon_type="rocket"),
    ]
    articles = {"a1": article("a1"), "a2": article("a2", hours=3, copy_of="a1")}
    incident = run(mentions, articles).incidents[0]
    assert incident["event_date"] == date(2020, 11, 17) and incident["date_precision"] == "day"


def test_the_same_base_hit_on_two_days_is_two_incidents():
    result = run([
        report("a1:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", projectile_count=2),
        report("a2:0", **on("2020-11-18"), **BALAD_BASE, weapon_type="rocket", projectile_count=2),
    ])
    assert len(result.incidents) == 2


def test_the_same_day_in_two_cities_is_two_incidents():
    result = run([
        report("a1:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", killed=1),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="rocket", killed=1),
    ])
    assert len(result.incidents) == 2


def test_an_early_report_of_rockets_joins_the_later_reports_of_drones_it_otherwise_matches():
    """Issue 19: first reports name the weapon wrongly (rockets, then explosive drones). The old
    rule made every weapon class its own incident; now a confusable weapon is mild evidence against."""
    result = run([
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="rocket", time_of_day="night",
               injured=2, target_type="military"),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", time_of_day="night", injured=2,
               target_type="military"),
    ])
    assert len(result.incidents) == 1
    weapon = FIELDS.index("weapon")
    assert result.links[0].levels[weapon] == "confusable" and result.links[0].contributions[weapon] < 0, \
        "the confusion still counts against"


def test_a_report_without_a_weapon_joins_the_attack_it_matches():
    result = run([
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="rocket"),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT),
    ])
    assert len(result.incidents) == 1 and result.incidents[0]["weapon_type"] == "rocket"


def test_dawn_and_night_count_against_but_do_not_forbid():
    """Issue 19: the old rule made dawn and night two attacks whatever else agreed; real reports
    misname the hour. Now the times weigh against, the agreeing date and place for."""
    result = run([
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", time_of_day="dawn"),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", time_of_day="night"),
    ])
    assert len(result.incidents) == 1
    (link,) = result.links
    time_of_day = FIELDS.index("time_of_day")
    assert link.levels[time_of_day] == "opposite_times" and link.contributions[time_of_day] < 0


def test_two_reports_of_one_article_are_never_merged():
    result = run([
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2),
        report("a1:1", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2),
    ])
    assert len(result.incidents) == 2


def test_a_report_without_date_words_joins_an_attack_of_the_days_before():
    result = run([
        report("a1:0", **on("2020-11-15"), **GREEN_ZONE, weapon_type="rocket", killed=2),
        report("a2:0", **on("2020-11-18", precision="week"), **GREEN_ZONE, weapon_type="rocket", killed=2),
    ])
    assert len(result.incidents) == 1
    assert result.incidents[0]["event_date"] == date(2020, 11, 15)
    assert result.incidents[0]["date_precision"] == "day"


def test_a_background_mention_links_as_background_without_adding_a_source():
    mentions = embassy_rockets() + [
        report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a4:1", role="background", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=5),
    ]
    result = run(mentions)
    embassy = incident_of(result, "a1:0")
    assert result.assignment["a4:1"] == embassy["incident_id"]
    assert embassy["source_count"] == 3 and embassy["article_count"] == 4
    assert (embassy["killed"], embassy["killed_max"]) == (2, 3), "a recollection only fills gaps"
    roles = {row["mention_id"]: row["role"] for row in result.incident_sources}
    assert roles["a4:1"] == "background" and roles["a1:0"] == "primary"


def test_a_background_mention_that_matches_nothing_is_a_background_incident():
    mentions = embassy_rockets() + [
        report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a4:1", role="background", **on("2019-12-27"), **BALAD_BASE, weapon_type="rocket", killed=1),
    ]
    result = run(mentions)
    recalled = incident_of(result, "a4:1")
    assert recalled["is_background"] is True and recalled["source_count"] == 1
    assert recalled["event_date"] == date(2019, 12, 27) and recalled["killed"] == 1
    assert [row["role"] for row in result.incident_sources if row["mention_id"] == "a4:1"] == ["background"]
    assert sum(row["is_background"] for row in result.incidents) == 1


def test_a_background_mention_never_joins_a_primary_incident_it_contradicts():
    mentions = embassy_rockets() + [
        report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a4:1", role="background", **on("2020-11-15"), **GREEN_ZONE, weapon_type="drone", killed=2),
        report("a5:0", **on("2020-12-21"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a5:1", role="background", **on("2020-11-15"), **GREEN_ZONE, weapon_type="drone", killed=2),
    ]
    result = run(mentions)
    assert result.assignment["a4:1"] != result.assignment["a1:0"]
    recalled = incident_of(result, "a4:1")
    assert recalled["is_background"] is True
    assert result.assignment["a5:1"] == recalled["incident_id"], "recollections group among themselves"
    assert recalled["source_count"] == 2


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


# Our own sentences, in the style of agency copy: two tell one attack in nearly the same words.
GUARDS_KILLED = "قال مصدر أمني إن صاروخين سقطا قرب مبنى وزارة التخطيط في حي الكرادة وأسفرا عن مقتل حارسين"
GUARDS_KILLED_AGAIN = "أفاد مصدر أمني بأن صاروخين سقطا قرب مبنى وزارة التخطيط بحي الكرادة ما أسفر عن مقتل حارسين"
FIVE_WOUNDED = "أصيب خمسة أشخاص بجروح إثر سقوط صاروخ على مبنى التخطيط داخل المنطقة الخضراء"
# A base hit by rockets at night, in our words: what a recall repeats of the attack it recalls.
BALAD_NIGHT = "سقطت ثلاثة صواريخ كاتيوشا ليلا على قاعدة بلد الجوية ما أدى إلى مقتل جندي وإصابة أربعة من الحراس"


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


def test_a_date_without_a_year_links_on_the_other_evidence_and_never_on_another_day():
    dated = report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", target_type="diplomatic",
                   killed=2)
    rich = report("a2:0", date_precision="unknown", event_month=11, event_day=17, **GREEN_ZONE,
                  weapon_type="rocket", target_type="diplomatic", killed=2)
    wrong_day = report("a4:0", date_precision="unknown", event_month=11, event_day=18, **GREEN_ZONE,
                       weapon_type="rocket", target_type="diplomatic", killed=2)
    other_town = report("a5:0", date_precision="unknown", event_month=11, event_day=17, country="Iraq",
                        admin1="Baghdad", city="Abu Ghraib", weapon_type="drone", killed=7)
    result = run([dated, rich, wrong_day, other_town])
    assert result.assignment["a2:0"] == result.assignment["a1:0"]
    assert result.assignment["a4:0"] != result.assignment["a1:0"], "another day of the year is a hard negative"
    assert result.assignment["a5:0"] != result.assignment["a1:0"], "the day of the year alone is not enough"
    merged, alone = incident_of(result, "a1:0"), incident_of(result, "a4:0")
    assert merged["event_date"] == date(2020, 11, 17) and merged["source_count"] == 2
    assert (alone["event_date"], alone["date_precision"]) == (None, "unknown")


def test_an_early_no_casualties_gives_way_to_a_later_toll():
    mentions = [
        report("a1:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", killed=0, injured=0),
        report("a2:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", killed=3, injured=0),
    ]
    articles = {"a1": article("a1", hours=0), "a2": article("a2", hours=6)}
    incident = run(mentions, articles).incidents[0]
    assert (incident["killed"], incident["killed_max"]) == (3, 3)
    assert (incident["injured"], incident["injured_max"]) == (0, 0), "a 0 no one contradicts stands"
    reversed_order = {"a1": article("a1", hours=6), "a2": article("a2", hours=0)}
    incident = run(mentions, reversed_order).incidents[0]
    assert (incident["killed"], incident["killed_max"]) == (0, 3), "a later 0 is the conservative figure"


def test_the_most_precise_place_and_every_claimant_are_kept():
    mentions = [
        report("a1:0", **on("2020-11-17"), **BAGHDAD_CITY, weapon_type="rocket", killed=2,
               perpetrator_claimed="Ashab al-Kahf"),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2,
               perpetrator_claimed="Saraya Awliya al-Dam", claim_disowned=True),
        report("a3:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2,
               perpetrator_accused="Kataib Hezbollah"),
    ]
    incident = run(mentions).incidents[0]
    assert incident["place_id"] == "iq_baghdad_green_zone" and incident["geo_precision"] == "district"
    assert incident["perpetrator_claimed"] == "Ashab al-Kahf; Saraya Awliya al-Dam"
    assert incident["claim_disowned"] is True
    assert incident["perpetrator_accused"] == "Kataib Hezbollah"


def value(field: str, text: str | None, start: int = 0) -> FieldValue:
    return FieldValue(field, text, f"sentence about {field}", start, start + 5, 0.8, start)


def stored_field_values(tmp_path, mentions, result) -> list[dict]:
    """incident_field_values as a run writes it: the SQL transform over the stored values."""
    with store.write_transaction(tmp_path / "values.duckdb") as writer:
        writer.insert_arrow("mention_values", load.mention_values_table(mentions))
        store.write_incidents(writer, set(), result.incidents, result.incident_sources, result.id_map)
        return writer.arrow("SELECT * FROM incident_field_values ORDER BY mention_id, field, span_start").to_pylist()


def test_every_value_any_source_gave_is_kept_and_the_chosen_ones_are_marked(tmp_path):
    mentions = [
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2, property_damage=True,
               perpetrator_claimed="Ashab al-Kahf", evidence=GUARDS_KILLED,
               values=(value("event_date", "2020-11-17"), value("killed", "0", 10), value("killed", "2", 20),
                       value("weapon_type", "rocket"), value("location_name", "Green Zone"),
                       value("property_damage", "true"), value("perpetrator_claimed", "Ashab al-Kahf"))),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="missile", killed=3,
               perpetrator_claimed="Other", launch_site="Nahrawan", evidence=GUARDS_KILLED_AGAIN,
               values=(value("event_date", "2020-11-17"), value("killed", "3"), value("weapon_type", "missile"),
                       value("launch_site", "Nahrawan"), value("perpetrator_claimed", "Other"))),
        report("a3:0", role="background", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2,
               evidence=GUARDS_KILLED,
               values=(value("event_date", "2020-11-??"), value("weapon_type", "rocket"))),
        report("a4:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2, evidence=GUARDS_KILLED_AGAIN),
    ]
    result = run(mentions)
    assert len(result.incidents) == 1
    rows = stored_field_values(tmp_path, mentions, result)
    assert len(rows) == sum(len(m.values) for m in mentions)
    chosen = {(row["mention_id"], row["field"], row["value"]): row["chosen"] for row in rows}
    assert chosen == {
        ("a1:0", "event_date", "2020-11-17"): True,
        ("a1:0", "killed", "0"): False,
        ("a1:0", "killed", "2"): True,
        ("a1:0", "weapon_type", "rocket"): True,
        ("a1:0", "location_name", "Green Zone"): True,
        ("a1:0", "property_damage", "true"): True,
        ("a1:0", "perpetrator_claimed", "Ashab al-Kahf"): True,
        ("a2:0", "event_date", "2020-11-17"): True,
        ("a2:0", "killed", "3"): False,
        ("a2:0", "weapon_type", "missile"): False,
        ("a2:0", "launch_site", "Nahrawan"): True,
        ("a2:0", "perpetrator_claimed", "Other"): True,
        ("a3:0", "event_date", "2020-11-??"): False,
        ("a3:0", "weapon_type", "rocket"): True,
    }
    background = next(row for row in rows if row["mention_id"] == "a3:0")
    assert background["role"] == "background" and background["article_id"] == "a3"
    first = next(row for row in rows if row["mention_id"] == "a1:0" and row["value"] == "2")
    assert (first["evidence"], first["span_start"], first["span_end"], first["confidence"]) == \
        ("sentence about killed", 20, 25, 0.8)


def test_a_mention_given_twice_is_refused():
    with pytest.raises(ValueError, match="given twice"):
        run(embassy_rockets() + embassy_rockets()[:1])


def test_a_month_date_is_stored_as_its_first_day_and_marked_as_a_month(tmp_path):
    mentions = [report("a1:0", date_precision="month", event_year=2020, event_month=11, **GREEN_ZONE,
                       values=(value("event_date", "2020-11-??"),))]
    result = run(mentions)
    incident = result.incidents[0]
    assert (incident["event_date"], incident["date_precision"]) == (date(2020, 11, 1), "month")
    assert stored_field_values(tmp_path, mentions, result)[0]["chosen"] is True


def test_a_report_with_no_date_at_all_joins_the_attack_it_agrees_with_and_not_on_the_place_alone():
    """Issue 19: a report without a date used to stand alone unless it named the exact place;
    one that names the nearest town and tells the attack in the same words now joins."""
    details = dict(weapon_type="rocket", weapon_detail="Katyusha", target_type="military", projectile_count=3,
                   killed=1, injured=4, time_of_day="night", evidence=BALAD_NIGHT)
    dated = report("a1:0", **on("2020-11-17"), **BALAD_BASE, **details)
    same_place = report("a2:0", **BALAD_BASE, **details)
    nearest_town = report("a3:0", country="Iraq", admin1="Salah ad-Din", city="Balad", **details)
    place_only = report("a4:0", **BALAD_BASE, evidence=FIVE_WOUNDED)
    result = run([dated, same_place, nearest_town, place_only])
    assert result.assignment["a2:0"] == result.assignment["a1:0"] == result.assignment["a3:0"]
    assert result.assignment["a4:0"] != result.assignment["a1:0"]


def test_a_recalled_attack_is_never_one_that_happened_after_the_article_recalling_it():
    details = dict(weapon_type="rocket", weapon_detail="Katyusha", target_type="military", projectile_count=3,
                   killed=1, injured=4, time_of_day="night", evidence=BALAD_NIGHT)
    recall = report("a1:0", role="background", **BALAD_BASE, **details)   # no date at all
    before = report("a2:0", **on("2020-11-16"), **BALAD_BASE, **details)
    after = report("a3:0", **on("2020-11-20"), **BALAD_BASE, **details)
    articles = {"a1": article("a1"), "a2": article("a2", hours=-30), "a3": article("a3", hours=80)}
    # a1 is published on 17 November: the attack of the 20th cannot be the one it recalls.
    assert run([recall, after], articles=articles).assignment["a1:0"] != \
        run([recall, after], articles=articles).assignment["a3:0"]
    joined = run([recall, before], articles=articles).assignment
    assert joined["a1:0"] == joined["a2:0"]


def test_a_recalled_attack_with_no_year_is_a_recent_one():
    details = dict(weapon_type="rocket", weapon_detail="Katyusha", target_type="military", projectile_count=3,
                   killed=1, injured=4, time_of_day="night", evidence=BALAD_NIGHT)
    recall = report("a1:0", role="background", **BALAD_BASE, **details)   # a1: 17 November 2020
    weeks_before = report("a2:0", **on("2020-10-27"), **BALAD_BASE, **details)
    months_before = report("a5:0", **on("2020-07-02"), **BALAD_BASE, **details)
    years_before = report("a3:0", **on("2018-07-02"), **BALAD_BASE, **details)
    articles = {"a1": article("a1"), "a2": article("a2", hours=-24 * 21), "a3": article("a3", hours=-24 * 869),
                "a4": article("a4", hours=-24 * 800), "a5": article("a5", hours=-24 * 138)}
    assert groups(run([recall, weeks_before], articles=articles)) == {frozenset({"a1:0", "a2:0"})}
    # Months before, the site has had other attacks: which one it recalls is anybody's guess.
    assert len(groups(run([recall, months_before], articles=articles))) == 2
    assert len(groups(run([recall, years_before], articles=articles))) == 2
    # Two recalls published years apart cannot be recalling one attack.
    old_recall = report("a4:0", role="background", **BALAD_BASE, **details)
    assert len(groups(run([recall, old_recall], articles=articles))) == 2


def test_an_incident_whose_articles_are_gone_is_dropped_not_retired():
    first = run(embassy_rockets() + [report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone")])
    gone = first.assignment["a4:0"]
    second = run(embassy_rockets(), previous=first.assignment, created={i: 1 for i in first.assignment.values()},
                 run_id=2)
    assert gone not in second.assignment.values()
    assert (second.stats["dropped"], second.stats["retired"], second.id_map) == (1, 0, [])


def test_every_pair_the_model_links_is_compared():
    """Blocking compares a report only with those sharing a key: among dated reports of one
    governorate (or naming none), with every kind of date around the turn of a year, every pair
    the weights would link must be a candidate."""
    from incidents.linkage import weights
    from incidents.linkage.candidates import candidate_pairs

    model = weights.load()
    records = random_history(400)
    found = set(candidate_pairs(records.values()))
    # Every pair, weighed together as reconcile weighs its candidates.
    scored = score_pairs(records, list(itertools.combinations(sorted(records), 2)), model, Overrides())
    links = scored.links().filter(scored.links().column("is_link"))
    linked = list(zip(links.column("mention_a").to_pylist(), links.column("mention_b").to_pylist()))
    assert len(linked) > 100, "the random history has pairs to link"
    assert set(linked) <= found
    governorates = {frozenset((records[a].admin1, records[b].admin1)) for a, b in found}
    assert frozenset(("Erbil", "Salah ad-Din")) not in governorates, "two governorates are never compared"


def test_a_pair_weighs_the_same_alone_as_among_all_pairs_and_its_weight_is_the_sum_of_its_parts():
    """The links table's weight is the prior plus every field's contribution (what an analyst
    adds up in v_links), and a pair scored alone (``score_pair``) is the row it gets among all."""
    from incidents.linkage import weights

    model = weights.load()
    records = random_history(120)
    pairs = list(itertools.combinations(sorted(records), 2))
    together = {(row.a, row.b): row for row in score_pairs(records, pairs, model, Overrides()).rows()}
    assert len(together) == len(pairs)
    for row in together.values():
        assert row.weight == round(model.prior + sum(row.contributions), 3)
    for a, b in random.Random(3).sample(pairs, 40):
        assert score_pair(records[b], records[a], model) == together[a, b]
    decided = score_pair(records[pairs[0][0]], records[pairs[0][1]], model, "cannot_link")
    assert decided.decision == "cannot_link" and not is_link(decided.scored(), model.threshold)


def random_history(count: int) -> dict:
    """Reports of one governorate (or naming none) around the turn of a year, with every kind of date."""
    from incidents.linkage.records import link_record

    rng = random.Random(11)
    places = [BALAD_BASE, dict(country="Iraq", admin1="Salah ad-Din", city="Balad"),
              dict(country="Iraq", admin1="Salah ad-Din"), dict(country="Iraq"), ERBIL_AIRPORT]

    def random_record(number: int):
        day = date(2019, 12, 20) + timedelta(days=rng.randrange(0, 20))
        kind = rng.choice(["day", "week", "month", "year", "yearless day"])
        fields = dict(**rng.choice(places), weapon_type=rng.choice(["rocket", "drone", "unknown"]),
                      killed=rng.choice([None, 1, 2]), time_of_day=rng.choice([None, "night", "evening", "dawn"]))
        if kind == "yearless day":
            fields.update(event_month=day.month, event_day=day.day, date_precision="day")
        else:
            fields.update(event_date=day.isoformat(), event_year=day.year, event_month=day.month,
                          event_day=day.day, date_precision=kind)
        published = datetime.combine(day + timedelta(days=rng.randrange(0, 3)), datetime.min.time(),
                                     tzinfo=timezone.utc)
        info = ArticleInfo(article_id=f"a{number}", copy_group=f"a{number}", source="s", published_at=published)
        return link_record(report(f"a{number}:0", **fields), info)

    return {r.mention_id: r for r in map(random_record, range(count))}


def test_a_report_with_neither_a_year_nor_a_publication_day_finds_its_attack_by_its_words():
    from incidents.linkage.candidates import candidate_pairs
    from incidents.linkage.records import link_record

    undated = link_record(report("u:0", country="Syria", weapon_type="rocket", evidence=GUARDS_KILLED),
                          ArticleInfo("u", "u", None, "s"))
    dated = link_record(report("d:0", **on("2020-11-17"), **GREEN_ZONE, evidence=GUARDS_KILLED_AGAIN),
                        article("d"))
    unrelated = link_record(report("x:0", **on("2020-11-17"), **GREEN_ZONE, evidence=FIVE_WOUNDED), article("x"))
    assert candidate_pairs([undated, dated, unrelated]) == [("d:0", "u:0"), ("d:0", "x:0")]


def test_a_dated_report_that_names_no_place_joins_the_attack_of_its_day_elsewhere():
    """A report whose place is missing from the gazetteer ("the airport" and nothing more) used to
    be filed under no country and meet only other reports without a place, so it stood alone
    however well its day, weapon and toll agreed. A report in another country and far days apart
    are not compared."""
    placed = report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", injured=2)
    placeless = report("a2:0", **on("2020-11-17"), weapon_type="drone", injured=2)
    weeks_later = report("a3:0", **on("2020-12-20"), **BALAD_BASE, weapon_type="drone", injured=2)
    result = run([placed, placeless, weeks_later])
    assert result.assignment["a1:0"] == result.assignment["a2:0"] != result.assignment["a3:0"]
    assert {(link.a, link.b) for link in result.links} == {("a1:0", "a2:0")}


def test_a_near_copy_without_a_date_joins_its_originals_incident():
    """Issue 19: a copy with no publication date and no date of its own used to stand alone."""
    original = report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2)
    other = report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2)
    copy = report("a3:0", country="Iraq")
    articles = {"a1": article("a1"), "a2": article("a2", hours=2),
                "a3": ArticleInfo(article_id="a3", copy_group="a1", published_at=None, source="copier")}
    result = run([original, other, copy], articles)
    assert len(set(result.assignment.values())) == 1
    assert incident_of(result, "a3:0")["source_count"] == 2, "the copy is not a source of its own"


def test_confidence_is_how_strongly_the_reports_hold_together():
    mentions = embassy_rockets() + [
        report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a5:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone"),
    ]
    articles = {name: article(name, hours=number) for number, name in enumerate(("a1", "a2", "a3", "a4"))}
    articles["a5"] = article("a5", hours=5, copy_of="a4")
    result = run(mentions, articles)
    embassy, copies = incident_of(result, "a1:0"), incident_of(result, "a4:0")
    assert 0.9 < embassy["link_confidence"] < 1.0
    assert copies["link_confidence"] == 1.0, "copies of one report hold together for certain"
    alone = run(embassy_rockets()[:1]).incidents[0]
    assert alone["link_confidence"] is None


# An article's uncommon words, as load stores them (normalized): a spokesman's name and his
# statement's turns of phrase, which every outlet quoting him repeats, and another story's.
SPOKESMAN_STATEMENT = ReportWords.of(frozenset({
    "الزبيدي", "المتحدث", "باسم", "خليه", "الاعلام", "الامني", "مصدرها", "منطقه", "البوعيثه", "مخزن", "للعتاد",
    "اضرار", "ماديه"}))
OTHER_STORY = ReportWords.of(frozenset({
    "الكربولي", "النائب", "جلسه", "البرلمان", "الموازنه", "التصويت", "قانون", "الانتخابات", "المفوضيه", "الاحزاب"}))


def undated_article(article_id: str, words: ReportWords) -> ArticleInfo:
    """A page that carries no publication date (a fifth of the real set's)."""
    return ArticleInfo(article_id=article_id, copy_group=article_id, published_at=None, source="s", words=words)


def test_a_report_with_no_date_joins_the_attack_whose_rare_words_it_shares():
    """Issue 19 (session 10): reports of one attack share their rare words (names, a quoted
    statement) far more than two reports of the same base do; a report without any date joins
    the dated report it shares them with, and not the other attack on that base."""
    details = dict(**BALAD_BASE, weapon_type="rocket")
    mentions = [report("a1:0", **on("2020-11-16"), **details), report("a2:0", **on("2020-11-18"), **details),
                report("u:0", **details)]
    articles = {"a1": replace(article("a1"), words=SPOKESMAN_STATEMENT),
                "a2": replace(article("a2", hours=48), words=OTHER_STORY),
                "u": undated_article("u", ReportWords.of(SPOKESMAN_STATEMENT.words | {"الاثنين"}))}
    result = run(mentions, articles)
    assert result.assignment["u:0"] == result.assignment["a1:0"] != result.assignment["a2:0"]
    text = FIELDS.index("text")
    levels = {(row.a, row.b): row.levels[text] for row in result.links}
    assert levels["a1:0", "u:0"] == "most_words" and levels["a2:0", "u:0"] == "no_words"


def test_a_written_weekday_places_a_report_that_has_no_date():
    """The same words, two attacks on one base two days apart: the report's "on Monday" decides."""
    details = dict(**BALAD_BASE, weapon_type="rocket")
    mentions = [report("a1:0", **on("2020-11-16"), **details), report("a2:0", **on("2020-11-18"), **details),
                report("u:0", event_weekday=0, **details)]
    articles = {"a1": replace(article("a1"), words=SPOKESMAN_STATEMENT),
                "a2": replace(article("a2", hours=48), words=SPOKESMAN_STATEMENT),
                "u": undated_article("u", SPOKESMAN_STATEMENT)}
    result = run(mentions, articles)
    assert result.assignment["u:0"] == result.assignment["a1:0"] != result.assignment["a2:0"]
    weekday = FIELDS.index("weekday")
    levels = {(row.a, row.b): row.levels[weekday] for row in result.links}
    assert levels["a1:0", "u:0"] == "same_weekday" and levels["a2:0", "u:0"] == "other_weekday"
    assert levels.get(("a1:0", "a2:0")) is None, "two dated reports compare by their dates"


def test_a_report_that_matches_one_report_of_an_attack_well_joins_though_it_matches_the_others_weakly():
    """Outlets word one attack differently: an undated report that repeats one outlet's words and
    not the other's still joins (the strongest pair between two groups decides, if the pairs
    between them favour one attack on average). Average linkage refused it."""
    details = dict(**BALAD_BASE, weapon_type="rocket", killed=1)
    mentions = [report("a1:0", **on("2020-11-17"), **details), report("a2:0", **on("2020-11-17"), **details),
                report("u:0", **details)]
    articles = {"a1": replace(article("a1"), words=SPOKESMAN_STATEMENT),
                "a2": replace(article("a2", hours=3), words=OTHER_STORY),
                "u": undated_article("u", SPOKESMAN_STATEMENT)}
    result = run(mentions, articles)
    weights = {(row.a, row.b): row.weight for row in result.links}
    assert weights["a2:0", "u:0"] < 9 and (weights["a1:0", "u:0"] + weights["a2:0", "u:0"]) / 2 < 9
    assert len(set(result.assignment.values())) == 1


def news_history(years: int) -> list:
    """Five reports a day in Baghdad for ``years`` years, as a feed has them: the same claimant and
    the same kind of target again and again, a fifth of them recollections of an attack without a
    date, and a report a week with neither a date nor a publication day."""
    from incidents.linkage.records import link_record

    rng = random.Random(5)
    districts = [dict(place_id=f"district_{n}", country="Iraq", admin1="Baghdad", city="Baghdad",
                      geo_precision="district", latitude=33.3 + n / 100, longitude=44.4) for n in range(40)]
    records = []
    for number in range(years * 365 * 5):
        day = date(2016, 1, 1) + timedelta(days=number // 5)
        fields = dict(**rng.choice(districts), weapon_type="ied", target_type="military", target_name="base",
                      perpetrator_claimed="Islamic State")
        published = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)
        if number % 35 == 0:
            mention, published = report(f"n{number}:0", **fields), None
        elif number % 5 == 0:
            mention = report(f"n{number}:0", role="background", **fields)
        else:
            mention = report(f"n{number}:0", **on(day.isoformat()), **fields)
        info = ArticleInfo(article_id=f"n{number}", copy_group=f"n{number}", source="s", published_at=published)
        records.append(link_record(mention, info))
    return records


def test_the_pairs_compared_grow_with_the_history_not_with_its_square():
    """A night on a long history must cost what its reports touch: the keys a claimant or a kind
    of target gives (named in most reports) once made every report without a date meet every
    report of all time that named them (5,000 articles of bench/corpus.py: 1.29M pairs)."""
    from incidents.linkage.candidates import candidate_pairs

    two, four = len(candidate_pairs(news_history(2))), len(candidate_pairs(news_history(4)))
    assert two > 1000, "the history has pairs to compare"
    assert four < 3 * two, f"{two} pairs in two years, {four} in four"


def test_a_copy_that_dropped_a_paragraph_never_merges_two_recalled_attacks():
    """Copies tell the same attacks in the same order, so the same-numbered mentions of two copies
    are one attack; but a copy that drops a paragraph numbers the rest differently. Forced
    together regardless, such pairs chained the recollections of 71 sites into one incident of
    9,403 mentions at 100,000 articles of bench/corpus.py."""
    attack = dict(**on("2020-11-16"), **GREEN_ZONE, weapon_type="rocket", killed=2)
    recalled_balad = dict(**on("2020-10-02"), **BALAD_BASE, weapon_type="rocket")
    recalled_erbil = dict(**on("2020-09-12"), **ERBIL_AIRPORT, weapon_type="drone")
    original = [report("a1:0", **attack), report("a1:1", role="background", **recalled_balad),
                report("a1:2", role="background", **recalled_erbil)]
    copy = [report("a2:0", **attack), report("a2:1", role="background", **recalled_erbil)]
    result = run(original + copy, articles={"a1": article("a1"), "a2": article("a2", hours=3, copy_of="a1")})
    assert groups(result) == {frozenset({"a1:0", "a2:0"}), frozenset({"a1:1"}), frozenset({"a1:2", "a2:1"})}


def test_attacks_recalled_without_a_date_join_dated_reports_and_never_chain_among_themselves():
    """A site's recollections a few weeks apart each, with nothing to date them, once made one
    incident of years (4,347 recollections at 100,000 articles of bench/corpus.py)."""
    details = dict(weapon_type="rocket", weapon_detail="Katyusha", target_type="military", evidence=BALAD_NIGHT)
    recalls = [report(f"r{n}:0", role="background", **BALAD_BASE, **details) for n in range(12)]
    articles = {f"r{n}": article(f"r{n}", hours=24 * 25 * n) for n in range(12)}
    assert len(groups(run(recalls, articles=articles))) == 12
    # r6 is published on 16 April 2021; a reported attack on the base of 6 April.
    reported = report("d1:0", **on("2021-04-06"), **BALAD_BASE, **details)
    articles["d1"] = article("d1", hours=24 * 140)
    joined = run(recalls + [reported], articles=articles).assignment
    assert joined["r6:0"] == joined["d1:0"]
    assert sum(incident == joined["d1:0"] for incident in joined.values()) <= 3


def test_two_places_named_as_often_the_one_in_the_country_most_reports_give_wins():
    from incidents.linkage.records import link_record
    from incidents.linkage.values import incident_row

    border_base = dict(place_id="z_base", location_name="Z Base", country="Jordan", admin1="Mafraq",
                       latitude=33.32, longitude=38.69, geo_precision="district")
    across_the_border = dict(place_id="b_garrison", location_name="B Garrison", country="Syria", admin1="Homs",
                             latitude=33.50, longitude=38.65, geo_precision="district")
    mentions = [
        report("a1:0", **on("2024-01-28"), **across_the_border, weapon_type="drone", killed=3),
        report("a2:0", **on("2024-01-28"), **border_base, weapon_type="drone", killed=3),
        report("a3:0", **on("2024-01-28"), country="Jordan", geo_precision="country", weapon_type="drone"),
        report("a4:0", **on("2024-01-28"), country="Jordan", geo_precision="country", weapon_type="drone"),
    ]
    records = [link_record(m, article(m.article_id, hours=n)) for n, m in enumerate(mentions)]
    row = incident_row(records, "inc_test", None)
    assert (row["place_id"], row["country"], row["admin1"]) == ("z_base", "Jordan", "Mafraq")
