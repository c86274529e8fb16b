"""Comparison levels: how two reports agree on each field, and the few facts that make two reports
certainly two attacks (hard negatives).

A level is a name; ``None`` means one of the two does not say, which is no evidence either way.
How much a level weighs is not decided here but estimated from labelled pairs (``weights``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from incidents.linkage.records import RECALL_LOOKBACK_DAYS, LinkRecord
from incidents.linkage.words import weighted_overlap

EARTH_RADIUS_KM = 6371.0088
NEAR_KM = 3.0
CLOSE_KM = 15.0
# Two located places (sites, districts, cities) farther apart than this are two attacks: a base and
# "the nearest town" are within it, two cities of one night are not.
FAR_APART_KM = 50.0
OPPOSITE_TIMES = frozenset({frozenset({"dawn", "evening"}), frozenset({"dawn", "night"})})
NEIGHBOURING_TIMES = frozenset({frozenset({"evening", "night"}), frozenset({"dawn", "morning"})})
# First reports name the weapon wrongly in known ways: rockets that were drones, an explosion that
# was gunfire, a drone that was an airstrike. Such a pair is weak evidence against, not a veto.
CONFUSABLE_WEAPONS = frozenset({frozenset({"projectile", "drone"}), frozenset({"ied", "gunfire"}),
                                frozenset({"drone", "airstrike"}), frozenset({"projectile", "ied"})})
MIN_WORDS_FOR_TEXT = 3

# Levels that make two reports certainly two attacks: they weigh nothing, they forbid.
HARD_NEGATIVES = frozenset({
    "after_the_recalling_article", "different_days", "different_dates", "not_in_the_year_before_its_article",
    "different_months", "far_apart", "different_governorates", "same_article",
})
FIELDS = ("date", "weekday", "place", "weapon", "projectile_count", "killed", "injured", "time_of_day",
          "launch_site", "claimants", "target", "text", "copies")


@dataclass(frozen=True, slots=True)
class Comparison:
    levels: tuple[str | None, ...]   # one per FIELDS (a hard negative is its field's level too)
    conflict: str | None             # the hard negative that makes them certainly two attacks, or None


def _date(a: LinkRecord, b: LinkRecord) -> tuple[str | None, str | None]:
    for recall, other in ((a, b), (b, a)):
        if not recall.is_primary and recall.published_day is not None and other.year_known \
                and other.first_day > recall.published_day + 1:
            return "after_the_recalling_article", "after_the_recalling_article"
    if a.year_known and b.year_known:
        gap = max(a.first_day, b.first_day) - min(a.last_day, b.last_day)
        if a.precision == b.precision == "day":
            if gap <= 0:
                return "same_day", None
            earlier, later = (a, b) if a.first_day < b.first_day else (b, a)
            # "Late Saturday night" and "early Sunday" can be one hour; any other two days are two.
            if gap == 1 and earlier.time_of_day in ("evening", "night") and later.time_of_day in ("night", "dawn"):
                return "around_midnight", None
            return "different_days", "different_days"
        (a_first, a_last), (b_first, b_last) = a.window, b.window
        if max(a_first, b_first) > min(a_last, b_last):
            return "different_dates", "different_dates"
        vaguer = max(a.precision, b.precision, key=("day", "week", "month", "year").index)
        return {"day": "same_day", "week": "same_week", "month": "same_month", "year": "same_year"}[vaguer], None
    for yearless, other in ((a, b), (b, a)):
        if not yearless.year_known and yearless.published_day is not None and other.year_known and (
                other.first_day > yearless.published_day + 1
                or other.last_day < yearless.published_day - RECALL_LOOKBACK_DAYS):
            return "not_in_the_year_before_its_article", "not_in_the_year_before_its_article"
    if not a.year_known and not b.year_known and a.published_day is not None and b.published_day is not None \
            and abs(a.published_day - b.published_day) > RECALL_LOOKBACK_DAYS + 1:
        return "not_in_the_year_before_its_article", "not_in_the_year_before_its_article"
    if not (a.has_date and b.has_date):
        return None, None
    return _day_of_year(a, b)


def _days_of_year(record: LinkRecord) -> set[tuple[int, int | None]] | None:
    """(month, day) pairs a date may stand for; day None when only the month is known."""
    if not record.year_known:
        return {(record.month, record.day)}
    if record.precision in ("day", "week"):
        first, last = record.window
        return {(d.month, d.day) for d in map(date.fromordinal, range(first, last + 1))}
    if record.precision == "month":
        return {(date.fromordinal(record.first_day).month, None)}
    return None


def _day_of_year(a: LinkRecord, b: LinkRecord) -> tuple[str | None, str | None]:
    mine, theirs = _days_of_year(a), _days_of_year(b)
    if mine is None or theirs is None:
        return None, None
    if {m for m, _ in mine}.isdisjoint(m for m, _ in theirs):
        return "different_months", "different_months"
    days_a = {md for md in mine if md[1] is not None}
    days_b = {md for md in theirs if md[1] is not None}
    if days_a and days_b:
        return ("yearless_same_day", None) if days_a & days_b else ("different_days", "different_days")
    return "yearless_same_month", None


def distance_km(a: LinkRecord, b: LinkRecord) -> float:
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    half_lat = math.sin((lat_b - lat_a) / 2)
    half_lon = math.sin(math.radians(b.longitude - a.longitude) / 2)
    h = half_lat * half_lat + math.cos(lat_a) * math.cos(lat_b) * half_lon * half_lon
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _place(a: LinkRecord, b: LinkRecord) -> tuple[str | None, str | None]:
    if a.place_id is not None and a.place_id == b.place_id:
        return "same_place", None
    if a.latitude is not None and b.latitude is not None:
        km = distance_km(a, b)
        if km > FAR_APART_KM:
            return "far_apart", "far_apart"
        if a.is_point and b.is_point:
            return ("within_3km" if km <= NEAR_KM else "within_15km" if km <= CLOSE_KM else "within_50km"), None
    # Names without a distance. A wrong country is a common misreading of real reports (13 of the
    # 146 labelled pairs of one attack): evidence against, not a veto. Two governorates never
    # were (0 of 145 when this was measured): two attacks.
    if a.country is not None and b.country is not None and a.country != b.country:
        return "different_countries", None
    if a.admin1 is not None and b.admin1 is not None:
        if a.admin1 != b.admin1:
            return "different_governorates", "different_governorates"
        if a.city is not None and b.city is not None:
            return ("same_city" if a.city == b.city else "other_city"), None
        return "same_governorate", None
    return None, None


def _weapon(a: LinkRecord, b: LinkRecord) -> str | None:
    if a.weapon_type is None or b.weapon_type is None:
        return None
    if a.weapon_type == b.weapon_type:
        return "same_type"
    if a.weapon_class == b.weapon_class:
        return "same_class"
    return "confusable" if frozenset((a.weapon_class, b.weapon_class)) in CONFUSABLE_WEAPONS else "different"


def _count(mine: int | None, theirs: int | None, zero_apart: bool) -> str | None:
    if mine is None or theirs is None:
        return None
    if mine == theirs:
        return "equal"
    if zero_apart and (mine == 0 or theirs == 0):
        return "none_and_some"     # an early "no casualties" and a later toll
    return "close" if abs(mine - theirs) <= max(1, max(mine, theirs) // 2) else "far"


def _time(a: LinkRecord, b: LinkRecord) -> str | None:
    if a.time_of_day is None or b.time_of_day is None:
        return None
    pair = frozenset((a.time_of_day, b.time_of_day))
    if a.time_of_day == b.time_of_day or pair in NEIGHBOURING_TIMES:
        return "same"
    return "opposite_times" if pair in OPPOSITE_TIMES else "different"


def _same_or_different(mine, theirs) -> str | None:
    if not mine or not theirs:
        return None
    return "same" if mine == theirs else "different"


def _claimants(a: LinkRecord, b: LinkRecord) -> str | None:
    if not a.claimants or not b.claimants:
        return None
    return "shared" if a.claimants & b.claimants else "disjoint"


def _target(a: LinkRecord, b: LinkRecord) -> str | None:
    if a.target_name is not None and a.target_name == b.target_name:
        return "same_name"
    if a.target_type is None or b.target_type is None:
        return None
    return "same_type" if a.target_type == b.target_type else "different_type"


def text_similarity(a: LinkRecord, b: LinkRecord) -> float | None:
    """Rarity-weighted overlap of the two reports' uncommon words, None when one has too few."""
    if len(a.words) < MIN_WORDS_FOR_TEXT or len(b.words) < MIN_WORDS_FOR_TEXT:
        return None
    return weighted_overlap(a.words, b.words, a.words_rarity, b.words_rarity)


# Where the rarity-weighted overlap of two articles falls among pairs of the real-reporting set:
# most pairs of two attacks share less than 0.03 (nine in ten) or 0.06 (99 in 100); half the
# pairs of one attack share 0.09 or more (docs/reconciliation.md, "Text evidence").
TEXT_LEVELS = ((0.3, "most_words"), (0.15, "many_words"), (0.09, "some_words"), (0.05, "few_words"))


def _text(a: LinkRecord, b: LinkRecord) -> str | None:
    similarity = text_similarity(a, b)
    if similarity is None:
        return None
    return next((level for floor, level in TEXT_LEVELS if similarity >= floor), "no_words")


def _weekday(a: LinkRecord, b: LinkRecord, date_level: str | None) -> str | None:
    """The written weekday of a report whose date is not known ("on Monday", no publication day)
    against the other's weekday: what the date comparison could not say."""
    if date_level is not None or a.weekday is None or b.weekday is None:
        return None
    if a.weekday == b.weekday:
        return "same_weekday"
    return "next_weekday" if (a.weekday - b.weekday) % 7 in (1, 6) else "other_weekday"


def compare(a: LinkRecord, b: LinkRecord, complete: bool = True) -> Comparison:
    """The pair's levels. With ``complete`` false a hard negative's pair stops at it: its other
    fields cannot change the decision (a night's pairs are two thirds hard negatives); fitting
    the weights needs them all."""
    if a.article_id == b.article_id:
        # The extractor already decided that two mentions of one article are two attacks.
        return Comparison((None,) * len(FIELDS), "same_article")
    date_level, date_conflict = _date(a, b)
    place_level, place_conflict = _place(a, b)
    if not complete and (date_conflict or place_conflict):
        levels = dict.fromkeys(FIELDS)
        levels.update(date=date_level, place=place_level)
        return Comparison(tuple(levels.values()), date_conflict or place_conflict)
    levels = (
        date_level,
        _weekday(a, b, date_level),
        place_level,
        _weapon(a, b),
        _count(a.projectile_count, b.projectile_count, False),
        _count(a.killed, b.killed, True),
        _count(a.injured, b.injured, True),
        _time(a, b),
        _same_or_different(a.launch_key, b.launch_key),
        _claimants(a, b),
        _target(a, b),
        _text(a, b),
        "copies" if a.copy_group == b.copy_group else None,
    )
    return Comparison(levels, date_conflict or place_conflict)


def always_linked(a: LinkRecord, b: LinkRecord) -> bool:
    """Near or exact copies of one report tell the same attacks in the same order: the same
    mention of two copies is one attack, whatever the extraction made of each."""
    return (a.copy_group == b.copy_group and a.article_id != b.article_id and a.is_primary == b.is_primary
            and a.mention.mention_index == b.mention.mention_index)
