"""Reconciliation: the values an incident keeps from its sources, and the rows it writes."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from incidents import store
from incidents.linkage import values
from incidents.linkage.records import link_record
from incidents.model import FieldValue
from tasks import load

from reconcile_cases import (
    BAGHDAD_CITY, BALAD_BASE, ERBIL_AIRPORT, GREEN_ZONE, GUARDS_KILLED, GUARDS_KILLED_AGAIN, article,
    embassy_rockets, incident_of, on, report, run,
)


MIGRATIONS = Path(__file__).resolve().parents[2] / "sql" / "migrations"


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


def test_rows_have_exactly_the_columns_of_the_tables():
    result = run(embassy_rockets())
    assert list(result.incidents[0]) == ddl_columns("incidents")
    assert list(result.incident_sources[0]) == ddl_columns("incident_sources")


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


def test_an_early_no_casualties_gives_way_to_a_later_toll():
    # The later report tells the same rockets in much the same words (our own sentences): a "no
    # casualties" against a toll is strong evidence of two attacks, which the text outweighs.
    mentions = [
        report("a1:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", killed=0, injured=0,
               evidence="سقطت ثلاثة صواريخ كاتيوشا على مخازن المتعاقدين في قاعدة بلد الجوية دون خسائر"),
        report("a2:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", killed=3, injured=0,
               evidence="قتل ثلاثة من المتعاقدين بسقوط صواريخ كاتيوشا على مخازن قاعدة بلد الجوية"),
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


@pytest.mark.parametrize("fields", [
    dict(**on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=3, killed=0, injured=2,
         time_of_day="night", weapon_detail=" Katyusha ", target_type="embassy", target_name="the embassy",
         launch_site="  ", perpetrator_claimed="Group B; Group A;;", perpetrator_accused=" ",
         property_damage=True, claim_disowned=False),
    dict(**on("2020-11-17", "week"), **BAGHDAD_CITY, weapon_type="unknown", target_type="unknown"),
    dict(event_year=2020, event_month=11, date_precision="month", **BALAD_BASE, property_damage=False),
    dict(event_year=2020, date_precision="year", country="Iraq", claim_disowned=True),
    dict(event_month=11, event_day=17, location_name="a base the gazetteer lacks", latitude=33.0, longitude=44.0),
    dict(role="background", **on("2019-01-02"), **ERBIL_AIRPORT, killed=4, perpetrator_accused="Group C"),
    dict(),
])
def test_a_single_reports_incident_row_is_the_general_paths(fields):
    """A lone report's row is read straight from it (most incidents hold one report): the same
    row the general path of several sources gives."""
    record = link_record(report("a1:0", **fields), article("a1"))
    assert values.incident_row([record], "x", None) == values._reports_row([record], "x", None)
    confident = link_record(report("a1:0", **fields), None)
    assert values.incident_row([confident], "y", 0.8) == values._reports_row([confident], "y", 0.8)
