"""Reconciliation: mentions built by hand, the way the extractor gives them."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from incidents import store
from incidents.model import ArticleInfo, FieldValue, Mention
from tasks import load
from tasks.reconcile import ReconcileInputs, ReconcileSettings, reconcile

NOW = datetime(2021, 1, 10, 12, 0, tzinfo=timezone.utc)
DDL = Path(__file__).resolve().parents[2] / "sql" / "migrations" / "001_initial.sql"

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
    body = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", DDL.read_text(), re.S).group(1)
    return [line.split()[0] for line in body.splitlines()
            if line.strip() and not line.strip().startswith(("--", "PRIMARY KEY"))]


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


def test_rocket_and_drone_at_the_same_place_on_the_same_day_are_two_incidents():
    result = run([
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="rocket"),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone"),
    ])
    assert len(result.incidents) == 2


def test_a_report_without_a_weapon_joins_the_attack_it_matches():
    result = run([
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="rocket"),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT),
    ])
    assert len(result.incidents) == 1 and result.incidents[0]["weapon_type"] == "rocket"


def test_dawn_and_night_are_two_attacks():
    result = run([
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", time_of_day="dawn"),
        report("a2:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", time_of_day="night"),
    ])
    assert len(result.incidents) == 2


def test_two_reports_of_one_article_are_never_merged():
    result = run([
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2),
        report("a1:1", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2),
    ])
    assert len(result.incidents) == 2


def test_a_report_without_date_words_joins_an_attack_of_the_days_before():
    result = run([
        report("a1:0", **on("2020-11-15"), **GREEN_ZONE, weapon_type="rocket", killed=2),
        report("a2:0", **on("2020-11-18", precision="week"), **GREEN_ZONE, weapon_type="rocket"),
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
        report("a4:1", role="background", **on("2020-11-17"), **GREEN_ZONE, weapon_type="drone", killed=2),
        report("a5:0", **on("2020-12-21"), **ERBIL_AIRPORT, weapon_type="drone"),
        report("a5:1", role="background", **on("2020-11-17"), **GREEN_ZONE, weapon_type="drone", killed=2),
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


def bridge_case(prefix: str = "a"):
    # a1 and a3 alone are too thin to be one attack; a2 shares the dead with a1, place and wounded with a3.
    a1 = report(f"{prefix}1:0", **on("2020-11-17"), **BAGHDAD_CITY, killed=2)
    a3 = report(f"{prefix}3:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", injured=5)
    a2 = report(f"{prefix}2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2, injured=5)
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


def test_a_date_without_a_year_merges_only_under_the_strict_rule():
    dated = report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", target_type="diplomatic",
                   killed=2)
    rich = report("a2:0", date_precision="unknown", event_month=11, event_day=17, **GREEN_ZONE,
                  weapon_type="rocket", target_type="diplomatic", killed=2)
    thin = report("a3:0", date_precision="unknown", event_month=11, event_day=17, **GREEN_ZONE,
                  weapon_type="rocket", target_type="diplomatic")
    wrong_day = report("a4:0", date_precision="unknown", event_month=11, event_day=18, **GREEN_ZONE,
                       weapon_type="rocket", target_type="diplomatic", killed=2)
    result = run([dated, rich, thin, wrong_day])
    assert result.assignment["a2:0"] == result.assignment["a1:0"]
    assert result.assignment["a3:0"] != result.assignment["a1:0"], "one agreeing specific is not enough"
    assert result.assignment["a4:0"] != result.assignment["a1:0"]
    merged, alone = incident_of(result, "a1:0"), incident_of(result, "a3:0")
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
               perpetrator_claimed="Ashab al-Kahf",
               values=(value("event_date", "2020-11-17"), value("killed", "0", 10), value("killed", "2", 20),
                       value("weapon_type", "rocket"), value("location_name", "Green Zone"),
                       value("property_damage", "true"), value("perpetrator_claimed", "Ashab al-Kahf"))),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="missile", killed=3,
               perpetrator_claimed="Other", launch_site="Nahrawan",
               values=(value("event_date", "2020-11-17"), value("killed", "3"), value("weapon_type", "missile"),
                       value("launch_site", "Nahrawan"), value("perpetrator_claimed", "Other"))),
        report("a3:0", role="background", date_precision="month", event_year=2020, event_month=11,
               **GREEN_ZONE, weapon_type="rocket", killed=2,
               values=(value("event_date", "2020-11-??"), value("weapon_type", "rocket"))),
        report("a4:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", killed=2),
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


def test_a_report_with_no_date_at_all_joins_only_the_same_place_with_two_agreeing_specifics():
    details = dict(weapon_type="rocket", weapon_detail="Katyusha", target_type="military", projectile_count=3,
                   killed=1, injured=4, time_of_day="night")
    dated = report("a1:0", **on("2020-11-17"), **BALAD_BASE, **details)
    same_place = report("a2:0", **BALAD_BASE, **details)
    # Agrees on everything it says (score 0.75, three specifics) but names no exact place.
    elsewhere = report("a3:0", country="Iraq", admin1="Salah ad-Din", city="Balad", **details)
    result = run([dated, same_place, elsewhere])
    assert result.assignment["a2:0"] == result.assignment["a1:0"]
    assert result.assignment["a3:0"] != result.assignment["a1:0"]


def test_a_recalled_attack_is_never_one_that_happened_after_the_article_recalling_it():
    details = dict(weapon_type="rocket", weapon_detail="Katyusha", target_type="military", projectile_count=3,
                   killed=1, injured=4, time_of_day="night")
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
                   killed=1, injured=4, time_of_day="night")
    recall = report("a1:0", role="background", **BALAD_BASE, **details)   # a1: 17 November 2020
    months_before = report("a2:0", **on("2020-07-02"), **BALAD_BASE, **details)
    years_before = report("a3:0", **on("2018-07-02"), **BALAD_BASE, **details)
    articles = {"a1": article("a1"), "a2": article("a2", hours=-24 * 138), "a3": article("a3", hours=-24 * 869),
                "a4": article("a4", hours=-24 * 800)}
    assert groups(run([recall, months_before], articles=articles)) == {frozenset({"a1:0", "a2:0"})}
    assert len(groups(run([recall, years_before], articles=articles))) == 2
    # Two recalls published years apart cannot be recalling one attack.
    old_recall = report("a4:0", role="background", **BALAD_BASE, **details)
    assert len(groups(run([recall, old_recall], articles=articles))) == 2
    # The lookback is a setting.
    longer = ReconcileSettings(recall_lookback_days=3 * 365)
    assert groups(run([recall, years_before], articles=articles, settings=longer)) == {frozenset({"a1:0", "a3:0"})}


def test_an_incident_whose_articles_are_gone_is_dropped_not_retired():
    first = run(embassy_rockets() + [report("a4:0", **on("2020-12-20"), **ERBIL_AIRPORT, weapon_type="drone")])
    gone = first.assignment["a4:0"]
    second = run(embassy_rockets(), previous=first.assignment, created={i: 1 for i in first.assignment.values()},
                 run_id=2)
    assert gone not in second.assignment.values()
    assert (second.stats["dropped"], second.stats["retired"], second.id_map) == (1, 0, [])


def test_every_compatible_pair_shares_a_key():
    """Grouping compares a report only with the groups filed under one of its probe keys: every
    pair the rules accept must meet there, whatever the two dates are (a day, week, month or
    year; a recall without a year, with or without a month; a primary date without a year) and
    wherever they fall around the turn of a year, where keys by year could miss each other."""
    from tasks.reconcile import _pair_points, _report

    settings = ReconcileSettings(recall_lookback_days=40, week_tolerance_days=3, strict_min_specifics=0)
    rng = random.Random(11)
    places = [dict(place_id="p1", geo_precision="site"), dict(place_id="p2", geo_precision="site"),
              dict(launch_site="west bank of the river")]

    def around_new_year() -> date:
        return date(rng.choice([2018, 2019, 2020]), 11, 20) + timedelta(days=rng.randrange(0, 75))

    def random_report(number: int):
        day = around_new_year()
        kind = rng.choice(["day", "week", "month", "year", "yearless day", "yearless month", "yearless"])
        fields = dict(country="Iraq", **rng.choice(places))
        if kind in ("day", "week", "month", "year"):
            fields.update(event_date=day.isoformat(), event_year=day.year, event_month=day.month,
                          event_day=day.day, date_precision=kind)
        elif kind == "yearless day":
            fields.update(event_month=day.month, event_day=day.day, date_precision="day")
        elif kind == "yearless month":
            fields.update(event_month=day.month, date_precision="month")
        article_id = f"a{number}"
        published = datetime.combine(around_new_year(), datetime.min.time(), tzinfo=timezone.utc)
        info = ArticleInfo(article_id=article_id, copy_group=article_id, source=article_id,
                           published_at=None if rng.random() < 0.1 else published)
        mention = report(f"{article_id}:0", role=rng.choice(["primary", "background"]), **fields)
        return _report(mention, {article_id: info}, settings)

    def kind(r) -> str:
        if r.year_known:
            return "dated"
        bounded = "recall" if r.recalled_since is not None else "unbounded"
        return f"{bounded} {'with' if r.month else 'without'} month"

    reports = [random_report(number) for number in range(600)]
    met = Counter()
    for a in reports:
        for b in reports:
            if a is b or _pair_points(a, b, settings) is None:
                continue
            assert set(a.probe_keys) & set(b.index_keys), (a.mention, b.mention)
            met[kind(a), kind(b)] += 1
    kinds = ("dated", "recall with month", "recall without month", "unbounded with month", "unbounded without month")
    assert {(a, b) for a in kinds for b in kinds} <= set(met), "every pair of kinds must be drawn compatible"

    # A week read as 2 January may be 30 December: a recall of "December" published on 10 February,
    # whose 40-day lookback starts on 1 January, is compatible and must find it in the year before.
    week = report("w:0", role="primary", country="Iraq", **places[0], **on("2020-01-02", "week"))
    december = report("r:0", role="background", country="Iraq", **places[0], event_month=12, date_precision="month")
    articles = {"w": article("w"), "r": ArticleInfo(article_id="r", copy_group="r", source="r",
                                                    published_at=datetime(2020, 2, 10, tzinfo=timezone.utc))}
    week, december = _report(week, articles, settings), _report(december, articles, settings)
    assert _pair_points(december, week, settings) is not None
    assert set(december.probe_keys) & set(week.index_keys)
