"""Reconciliation: which reports become one incident (mentions built by hand, the way the extractor
gives them; helpers in ``reconcile_cases.py``)."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from incidents.linkage.clustering import is_link
from incidents.linkage.comparisons import FIELDS
from incidents.linkage.linking import Overrides, score_pair, score_pairs
from incidents.linkage.words import ReportWords
from incidents.model import ArticleInfo

from reconcile_cases import (
    BALAD_BASE, ERBIL_AIRPORT, FIVE_WOUNDED, GREEN_ZONE, GUARDS_KILLED, GUARDS_KILLED_AGAIN, article,
    embassy_rockets, incident_of, on, report, run,
)


def groups(result) -> set[frozenset[str]]:
    by_incident: dict[str, set[str]] = {}
    for mention_id, incident_id in result.assignment.items():
        by_incident.setdefault(incident_id, set()).add(mention_id)
    return {frozenset(members) for members in by_incident.values()}


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


def test_the_same_base_hit_on_two_days_is_two_incidents():
    result = run([
        report("a1:0", **on("2020-11-17"), **BALAD_BASE, weapon_type="rocket", projectile_count=2),
        report("a2:0", **on("2020-11-18"), **BALAD_BASE, weapon_type="rocket", projectile_count=2),
    ])
    assert len(result.incidents) == 2


def test_a_night_told_on_the_next_day_meets_the_day_before_it_told_without_an_hour():
    """"ليلة الأحد" is the night before Sunday: one outlet dates the drones to Sunday night, another
    to Saturday without an hour; they can be one hour. Two consecutive days with no hour on either
    side stay two attacks."""
    night_after = [
        report("a1:0", **on("2020-11-17"), **ERBIL_AIRPORT, weapon_type="drone", target_type="airport"),
        report("a2:0", **on("2020-11-18"), **ERBIL_AIRPORT, weapon_type="drone", target_type="airport",
               time_of_day="night"),
    ]
    result = run(night_after)
    date_level = result.links[0].levels[FIELDS.index("date")]
    assert date_level == "around_midnight" and result.links[0].conflict is None
    no_hours = [replace(mention, time_of_day=None) for mention in night_after]
    (link,) = run(no_hours).links
    assert link.conflict is not None, "two days without an hour are a hard negative"


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


# A base hit by rockets at night, in our words: what a recall repeats of the attack it recalls.
BALAD_NIGHT = "سقطت ثلاثة صواريخ كاتيوشا ليلا على قاعدة بلد الجوية ما أدى إلى مقتل جندي وإصابة أربعة من الحراس"


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


def test_a_report_with_no_time_at_all_is_compared_with_its_towns_reports_of_the_same_toll():
    """A page with neither a date nor a publication day, whose words name nothing rare the dated
    reports repeat, was compared with nothing but its site's reports: "rockets on Kilis, four
    dead and six wounded" never met the dated report of that toll (the real set's RG27, RG28).
    Its town and its toll together (dead and wounded) pick out a few reports at any time."""
    kilis = dict(country="Turkey", admin1="Kilis", city="Kilis", latitude=36.7184, longitude=37.1212,
                 geo_precision="city", weapon_type="rocket")
    mentions = [report("a1:0", **on("2016-04-18"), **kilis, killed=4, injured=6),
                report("a2:0", **on("2016-04-22"), **kilis, killed=2, injured=4),
                report("u:0", **kilis, killed=4, injured=6)]
    articles = {"a1": article("a1"), "a2": article("a2", hours=96), "u": undated_article("u", OTHER_STORY)}
    compared = {(row.a, row.b): row for row in run(mentions, articles).links}
    assert ("a1:0", "u:0") in compared, "the report of the same toll is a candidate"
    killed = FIELDS.index("killed")
    assert compared["a1:0", "u:0"].levels[killed] == "equal"
    assert ("a2:0", "u:0") not in compared, "another toll of the town is not"


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
