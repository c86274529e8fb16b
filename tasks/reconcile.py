"""Reconcile: every mention of every article into incidents, with ids that last across runs.

Loading articles one run at a time gives the same incidents as loading them all at once. A run
regroups only what its new mentions can reach (section 6), which is exactly what regrouping the
whole history would change. The work is plain functions over plain data; only ``reconcile_task``
at the bottom touches Prefect. ``docs/reconciliation.md`` says the same for
analysts, with examples. Thresholds are the defaults of ``ReconcileSettings``.

1. When two reports may describe the same attack (all must hold; otherwise never merged)
   - Same article: never. The extractor already decided that two mentions of one article are two
     attacks.
   - Date. Both years known: two day dates must be equal, or on consecutive days when the earlier
     is in the evening or at night and the later at night or dawn (one hour around midnight); a week date (no date words: "the days
     before publication") allows 7 days either way; a month date needs the same month, a year date
     the same year (the vaguer of the two decides). A date with no year but a month (and day) must
     agree with the other's month (and day). Weekdays, where both are known, must agree (a week
     date's weekday is the publication day's and is not used). A year outside 1900-2100 is a
     misreading: no year.
   - Place: same country (an unknown country only matches an unknown country); same governorate
     and same city when both are known; two site-level places more than 15 km apart never match.
   - A background mention recalls an attack from before its article was published: a report
     whose date begins more than a day after that publication is another attack.
   - Weapon class equal, or one unknown. Classes: rocket, missile and mortar are one class
     ("projectile": Arabic صاروخ is both rocket and missile, قذيفة both mortar and rocket shell);
     drone, IED, airstrike and gunfire are each their own.
   - Time of day: dawn never matches evening or night; evening and night, dawn and morning count
     as the same time (outlets name the same hour differently).
   - Strict rule when either date has no year: score at least 0.75 and at least two agreeing
     specifics among exact place, launch site, projectile count, killed, injured. When either
     report has not even a month, they must also share the exact place or the launch site.
2. Score, in points out of 100 (score = points / 100, kept in [0, 1]):
   date: same day 35, within a week 20, same month 10, same year 0; without a year: same month
   and day 25, same month only 5, same weekday +5.
   place: same exact place (site or district place id) 30, else both within 3 km 15, else same
   city 10, else same governorate 5; two named sites more than 3 km apart lose 10.
   same weapon type, weapon detail, target type, launch site: 10 each.
   same projectile count, killed, injured: 10 each; far apart (by more than 1 and more than half
   the larger): -5 each; close figures cost nothing (sources often disagree).
   same time of day 5; different (not a hard conflict) -5.
   A report joins a group when its average over the group's members is at least 0.5 (0.75 when
   it or a member has a date without a year).
3. Grouping, deterministic: primary mentions first, by event date (no day date last), then
   mention id. Each joins the group with the highest average score, provided it is compatible with
   EVERY member (no chaining), else starts a group. Then background mentions (attacks an article
   recalls): each joins the best primary group it is compatible with (role 'background'); the rest
   group among themselves into incidents with is_background. Candidates come from an index on
   (country, city, date period); no pair outside it is ever compared.
4. Values. Copies of one report (same copy group) are one source: within a copy group, the most
   recently published article that gives a value gives it. Primary mentions give values;
   background mentions only fill a field no primary mention gives.
   - killed / injured: the lowest figure across sources (ACLED's conservative choice), *_max the
     highest. A 0 is dropped when a source published later gives a positive figure.
   - projectile_count: the most frequent, ties to the lower; projectile_count_max the highest.
   - event_date: the most precise (day, week, month, year); among them the most frequent, ties to
     the earliest. A month or year date is stored as its first day; read it with date_precision.
     A date without a year never gives an event_date (NULL, 'unknown').
   - place: the most precise (site, district, city, governorate, country), ties to the most
     frequent, then the lowest place_id; a missing country, governorate or city is filled from
     the other sources.
   - weapon_type, target_type: most frequent known value; weapon_detail, target_name,
     launch_site, time_of_day: most frequent value; ties to the alphabetically first.
     property_damage, claim_disowned: true if any source says true.
   - perpetrator_claimed / perpetrator_accused: every distinct name, sorted, joined with '; '.
   - source_count: copy groups among primary mentions (all mentions for a background incident);
     article_count: every article linked, background included.
   - incident_field_values.chosen: the value, as text, is the incident's (for the name lists:
     one of the names).
5. Ids. A new incident's id is "inc_" + 12 hex digits of sha256 of its first mention's id. An
   incident holding mentions that had ids keeps the id most of them had (ties: created in the
   earliest run, then the lowest id); when a previous incident splits, the part with most of its
   mentions keeps the id. Ids that lose a merge are written to incident_id_map. A fresh id that
   would repeat a live or retired id is hashed again with a counter. updated_run_id moves when the
   incident's set of mentions changes.
6. Scope of a run. The grouping of 3 decides for one report at a time, in a fixed order (primaries
   before background mentions; then by date, publication time, id), and a decision depends only on
   the groups made of reports decided before it. Two reports are *compatible* when they share a
   country and pass every rule of 1 (`_pair_points` is not None); only compatible reports ever
   share a group. A run takes in the incidents of its new and re-read mentions and of incidents that
   lost one, whole. Their reports are *free* (they decide again); every other report taken in is
   *pinned*: it joins the group of the latest earlier report of its old incident, as it did before.
   After grouping, a free report has *moved* when it is new or joined other members than before;
   every stored incident holding a report compatible with a moved one is taken in, pinned, so
   that the moved one chose among all it could join. A report whose group is not the set its
   incident was can be seen differently by reports decided after the difference: every compatible
   report after that point is taken in and freed, and so is a pinned report that finds its own
   group changed. The scope is grouped again until nothing is taken in or freed; only incidents
   with a free report are written. The result is the one a regrouping of the whole history gives:
   a report outside the scope, or pinned, is incompatible with every report whose group changed
   before its turn, so every group it considers holds, at its turn, the same members as before, and it
   makes the same choice; and a free report meets, whole, every incident it could join. The
   history is only read through ``History``: the stored mentions near the changed ones in date and
   place, found in SQL, are checked here with `_pair_points`.
   ``reconcile`` over all mentions stays the reference (and the `--full-reconcile` run); tests
   hold the two equal. A scope is exact only against a history grouped by the same rules: a run
   whose rules (``rules_fingerprint``) differ from the last run's regroups everything once.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Protocol

from prefect import task

from tasks import STAGE_TASK_OPTIONS

from incidents.heap import paced_for_batches
from incidents.model import ArticleInfo, Mention

PRIMARY = "primary"
BACKGROUND = "background"

WEAPON_CLASS = {
    "rocket": "projectile",
    "missile": "projectile",
    "mortar": "projectile",
    "drone": "drone",
    "ied": "ied",
    "airstrike": "airstrike",
    "gunfire": "gunfire",
}
HARD_TIME_CONFLICTS = frozenset({frozenset({"dawn", "evening"}), frozenset({"dawn", "night"})})
AROUND_MIDNIGHT = frozenset({"night", "dawn"})
NEIGHBOURING_TIMES = frozenset({frozenset({"evening", "night"}), frozenset({"dawn", "morning"})})

PRECISION_ORDER = ("day", "week", "month", "year")
PLAUSIBLE_YEARS = range(1900, 2101)
GEO_PRECISION_RANK = {"site": 5, "district": 4, "city": 3, "governorate": 2, "country": 1}

# Points out of 100 that a pair of compatible reports earns; integers so that sums are exact.
DATE_POINTS = (35, 20, 10, 0)                 # by PRECISION_ORDER: day, week, month, year
POINTS_YEARLESS_DAY = 25
POINTS_YEARLESS_MONTH = 5
POINTS_WEEKDAY = 5
POINTS_SAME_PLACE = 30
POINTS_NEARBY = 15
POINTS_SAME_CITY = 10
POINTS_SAME_ADMIN1 = 5
PENALTY_DIFFERENT_SITES = 10
POINTS_SPECIFIC = 10
PENALTY_COUNT_CONFLICT = 5
POINTS_SAME_TIME = 5
PENALTY_TIME_CONFLICT = 5
FULL_SCORE = 100
EARTH_RADIUS_KM = 6371.0088

INCIDENT_COLUMNS = (
    "incident_id", "event_date", "date_precision", "time_of_day", "country", "admin1", "city",
    "location_name", "location_name_ar", "place_id", "latitude", "longitude", "geo_precision",
    "weapon_type", "weapon_detail", "projectile_count", "projectile_count_max", "killed", "killed_max",
    "injured", "injured_max", "property_damage", "target_type", "target_name", "launch_site",
    "perpetrator_claimed", "claim_disowned", "perpetrator_accused", "source_count", "article_count",
    "single_source", "is_background", "first_reported_at", "created_run_id", "updated_run_id",
)
PLACE_COLUMNS = ("place_id", "location_name", "location_name_ar", "country", "admin1", "city",
                 "latitude", "longitude", "geo_precision")
LIST_SEPARATOR = "; "


# Raised whenever a change to the rules could group stored reports differently (section 6).
RULES_VERSION = 3


@dataclass(frozen=True)
class ReconcileSettings:
    merge_threshold: float = 0.5
    # Without a year a date matches the same day of any year: more evidence is needed.
    strict_merge_threshold: float = 0.75
    strict_min_specifics: int = 2
    site_max_distance_km: float = 15.0
    nearby_distance_km: float = 3.0
    week_tolerance_days: int = 7
    # A recalled attack with no year is a recent one: at most this long before its article.
    recall_lookback_days: int = 365

    def __post_init__(self):
        if not 0.0 < self.merge_threshold <= self.strict_merge_threshold <= 1.0:
            raise ValueError("thresholds must satisfy 0 < merge_threshold <= strict_merge_threshold <= 1")
        if self.strict_min_specifics < 0 or self.week_tolerance_days < 0 or self.recall_lookback_days < 0:
            raise ValueError("strict_min_specifics, week_tolerance_days and recall_lookback_days must be 0 or more")
        if not 0.0 <= self.nearby_distance_km <= self.site_max_distance_km:
            raise ValueError("distances must satisfy 0 <= nearby_distance_km <= site_max_distance_km")


def rules_fingerprint(settings: ReconcileSettings | None = None) -> str:
    """What a stored grouping was made by: the rules' version and their settings."""
    return f"{RULES_VERSION} {settings or ReconcileSettings()}"


@dataclass
class ReconcileInputs:
    mentions: list[Mention]
    articles: dict[str, ArticleInfo]
    previous_assignment: dict[str, str]        # mention_id -> incident_id from the last run
    previous_created_run: dict[str, int]       # incident_id -> run that created it (the older wins a tied merge)
    run_id: int
    now: datetime
    # incident_id -> run that last changed it: an incident whose mentions did not change keeps it.
    previous_updated_run: dict[str, int] = field(default_factory=dict)
    # Ids of live incidents outside these mentions and of retired ones: a fresh id never repeats one.
    # Those a fresh id could run into are enough (``ids_a_fresh_id_may_meet``).
    ids_in_use: set[str] = field(default_factory=set)
    # Mentions that keep the decision they had (section 6): each joins the group of the latest
    # report of its previous incident decided before it, instead of choosing.
    pinned: set[str] = field(default_factory=set)
    settings: ReconcileSettings = field(default_factory=ReconcileSettings)


@dataclass
class ReconcileResult:
    incidents: list[dict]            # rows for the incidents table (every column of the DDL)
    incident_sources: list[dict]
    id_map: list[dict]               # retired_id, surviving_id, retired_at, run_id (only NEW merges of this run)
    assignment: dict[str, str]       # mention_id -> incident_id
    # mention_id -> the members its group had when it joined (empty when it started the group)
    joined: dict[str, frozenset[str]]
    stats: dict                      # new, updated, retired, dropped, incidents, background_incidents, mentions


# --- what one mention brings to the comparison --------------------------------------------------

@dataclass(slots=True)
class _Report:
    mention: Mention
    mention_id: str
    article_id: str
    copy_group: str
    published_at: datetime | None
    is_primary: bool
    recalled_by: int | None        # a background mention: ordinal of the day its article was published
    country: str | None
    admin1: str | None
    city: str | None
    place_id: str | None           # only for site and district places: a shared city is not a shared place
    launch_key: str | None
    latitude: float | None         # radians, only for site and district places: a city centroid says nothing
    longitude: float | None
    cos_latitude: float
    is_site: bool
    weapon_type: str | None        # None when unknown
    weapon_class: str | None
    weapon_detail: str | None
    target_type: str | None
    projectile_count: int | None
    killed: int | None
    injured: int | None
    time_of_day: str | None
    weekday: int | None
    year_known: bool
    precision: str | None          # day | week | month | year when the year is known
    precision_rank: int = 0        # its place in PRECISION_ORDER
    first_day: int = 0             # ordinals of the period the date covers (year known)
    last_day: int = 0
    tolerance: int = 0
    month: int | None = None
    day: int | None = None
    recalled_since: int | None = None  # a recall with no year: the earliest day it may stand for
    sort_key: tuple = ()
    order: tuple = ()              # when the grouping decides for it: primaries first, then by sort_key
    index_keys: list[str] = field(default_factory=list)
    probe_keys: list[str] = field(default_factory=list)

    @property
    def has_month(self) -> bool:
        return self.month is not None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _folded(value: str | None) -> str | None:
    value = _text(value)
    return value.casefold() if value else None


def _calendar(mention: Mention) -> tuple[int | None, int | None, int | None]:
    """Year, month and day; a year outside PLAUSIBLE_YEARS is a misreading and counts as unknown."""
    year, month, day = mention.event_year, mention.event_month, mention.event_day
    if mention.event_date:
        try:
            parsed = date.fromisoformat(mention.event_date)
            year, month, day = parsed.year, parsed.month, parsed.day
        except ValueError:
            pass
    if year not in PLAUSIBLE_YEARS:
        year = None
    month = month if month and 1 <= month <= 12 else None
    day = day if month and day and 1 <= day <= 31 else None
    return year, month, day


def _effective_precision(stated: str, month: int | None, day: int | None) -> str:
    """The stated precision, lowered to what the date's parts can carry ('unknown' read from them)."""
    supported = "day" if day else "month" if month else "year"
    if stated not in PRECISION_ORDER:
        return supported
    return max(stated, supported, key=PRECISION_ORDER.index)


def _year_bounds(year: int) -> tuple[int, int]:
    return date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()


def _month_bounds(year: int, month: int) -> tuple[int, int]:
    first = date(year, month, 1).toordinal()
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, following.toordinal() - 1


def _report(mention: Mention, articles: dict[str, ArticleInfo], settings: ReconcileSettings) -> _Report:
    article = articles.get(mention.article_id)
    weapon_type = _text(mention.weapon_type)
    weapon_type = None if weapon_type in (None, "unknown") else weapon_type
    target_type = _text(mention.target_type)
    has_point = mention.geo_precision in ("site", "district") and mention.latitude is not None \
        and mention.longitude is not None
    report = _Report(
        mention=mention,
        mention_id=mention.mention_id,
        article_id=mention.article_id,
        copy_group=article.copy_group if article else mention.article_id,
        published_at=article.published_at if article else None,
        is_primary=mention.role == PRIMARY,
        recalled_by=article.published_at.date().toordinal()
        if article and article.published_at and mention.role != PRIMARY else None,
        country=_text(mention.country),
        admin1=_text(mention.admin1),
        city=_text(mention.city),
        place_id=_text(mention.place_id) if mention.geo_precision in ("site", "district") else None,
        launch_key=_text(mention.launch_place_id) or _folded(mention.launch_site),
        latitude=math.radians(mention.latitude) if has_point else None,
        longitude=math.radians(mention.longitude) if has_point else None,
        cos_latitude=math.cos(math.radians(mention.latitude)) if has_point else 0.0,
        is_site=has_point and mention.geo_precision == "site",
        weapon_type=weapon_type,
        weapon_class=WEAPON_CLASS.get(weapon_type, weapon_type),
        weapon_detail=_folded(mention.weapon_detail),
        target_type=None if target_type in (None, "unknown") else target_type,
        projectile_count=mention.projectile_count,
        killed=mention.killed,
        injured=mention.injured,
        time_of_day=_text(mention.time_of_day),
        weekday=mention.event_weekday,
        year_known=False,
        precision=None,
    )
    year, month, day = _calendar(mention)
    report.month, report.day = month, day
    if year is not None:
        _set_dated_period(report, mention.date_precision, year, month, day, settings)
    if report.recalled_by is not None and not report.year_known:
        report.recalled_since = report.recalled_by - settings.recall_lookback_days
    point = report.first_day if report.precision in ("day", "week") else None
    if report.precision == "day":
        report.weekday = date.fromordinal(point).weekday()
    elif report.precision == "week":
        # A week date is the day the report was read against: its weekday says nothing of the attack.
        report.weekday = None
    published = report.published_at.timestamp() if report.published_at else math.inf
    report.sort_key = (point is None, point or 0, published, mention.mention_id)
    report.order = (not report.is_primary, report.sort_key)
    window = _window(report)
    report.index_keys = _index_keys(report, window)
    report.probe_keys = _probe_keys(report, window, settings)
    return report


def _set_dated_period(report: _Report, stated: str, year: int, month: int | None, day: int | None,
                      settings: ReconcileSettings) -> None:
    precision = _effective_precision(stated, month, day)
    try:
        if precision in ("day", "week"):
            report.first_day = report.last_day = date(year, month, day).toordinal()
            report.tolerance = settings.week_tolerance_days if precision == "week" else 0
            if precision == "day" and report.time_of_day in AROUND_MIDNIGHT:
                report.tolerance = 1  # "late Saturday night" and "early Sunday" can be one hour
        elif precision == "month":
            report.first_day, report.last_day = _month_bounds(year, month)
        else:
            report.first_day, report.last_day = _year_bounds(year)
    except ValueError:
        # An impossible date (30 February): keep what is certain.
        precision = "month" if precision in ("day", "week") else "year"
        report.day = None
        if precision == "month":
            report.first_day, report.last_day = _month_bounds(year, month)
        else:
            report.first_day, report.last_day = _year_bounds(year)
    report.year_known = True
    report.precision = precision
    report.precision_rank = PRECISION_ORDER.index(precision)


# --- comparing two reports ----------------------------------------------------------------------

def _haversine_km(a: _Report, b: _Report) -> float:
    half_sin_lat = math.sin((b.latitude - a.latitude) / 2)
    half_sin_lon = math.sin((b.longitude - a.longitude) / 2)
    h = half_sin_lat * half_sin_lat + a.cos_latitude * b.cos_latitude * half_sin_lon * half_sin_lon
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h) if h < 1.0 else 1.0)


def _yearless_against_dated(undated_year: _Report, dated: _Report) -> int | None:
    if undated_year.month is None or dated.precision == "year":
        return 0
    if dated.precision == "month":
        month = date.fromordinal(dated.first_day).month
        return POINTS_YEARLESS_MONTH if month == undated_year.month else None
    for ordinal in range(dated.first_day - dated.tolerance, dated.last_day + dated.tolerance + 1):
        day = date.fromordinal(ordinal)
        if day.month == undated_year.month and (undated_year.day is None or day.day == undated_year.day):
            exact = undated_year.day is not None and dated.tolerance == 0
            return POINTS_YEARLESS_DAY if exact else POINTS_YEARLESS_MONTH
    return None


def _yearless_date_points(a: _Report, b: _Report) -> int | None:
    """Date points when at least one of the two dates has no year."""
    if a.year_known or b.year_known:
        points = _yearless_against_dated(b, a) if a.year_known else _yearless_against_dated(a, b)
    elif a.month is not None and b.month is not None:
        if a.month != b.month or (a.day is not None and b.day is not None and a.day != b.day):
            return None
        points = POINTS_YEARLESS_DAY if a.day is not None and b.day is not None else POINTS_YEARLESS_MONTH
    else:
        points = 0
    if points is not None and a.weekday is not None and b.weekday is not None:
        points += POINTS_WEEKDAY
    return points


def _pair_points(a: _Report, b: _Report, settings: ReconcileSettings) -> int | None:
    """Points out of 100 for two reports being one attack, or None when they cannot be."""
    # A recalled attack happened before the article that recalls it (a day's slack for time zones).
    if a.recalled_by is not None and b.year_known and b.first_day > a.recalled_by + 1:
        return None
    if b.recalled_by is not None and a.year_known and a.first_day > b.recalled_by + 1:
        return None
    # One with no year is a recent attack: within the lookback before the article that recalls it.
    if a.recalled_since is not None:
        if b.year_known and b.last_day < a.recalled_since:
            return None
        if b.recalled_since is not None and abs(a.recalled_by - b.recalled_by) > settings.recall_lookback_days + 1:
            return None
    if b.recalled_since is not None and a.year_known and a.last_day < b.recalled_since:
        return None
    # The date first: it is what tells most candidates apart.
    if a.year_known and b.year_known:
        overlap_start = a.first_day if a.first_day > b.first_day else b.first_day
        overlap_end = a.last_day if a.last_day < b.last_day else b.last_day
        if overlap_start - overlap_end > (a.tolerance if a.tolerance > b.tolerance else b.tolerance):
            return None
        points = DATE_POINTS[a.precision_rank if a.precision_rank > b.precision_rank else b.precision_rank]
        if a.precision == b.precision == "day" and a.first_day != b.first_day:
            earlier, later = (a, b) if a.first_day < b.first_day else (b, a)
            if earlier.time_of_day not in ("evening", "night") or later.time_of_day not in AROUND_MIDNIGHT:
                return None
            points = DATE_POINTS[1]
    else:
        points = _yearless_date_points(a, b)
        if points is None:
            return None
    if a.admin1 is not None and b.admin1 is not None and a.admin1 != b.admin1:
        return None
    if a.city is not None and b.city is not None and a.city != b.city:
        return None
    if a.weapon_class is not None and b.weapon_class is not None and a.weapon_class != b.weapon_class:
        return None
    if (a.weekday is not None and b.weekday is not None and a.weekday != b.weekday
            and not (a.year_known and b.year_known)):
        return None  # with both dates known the dates decide (night reports may straddle midnight)
    same_time = None
    if a.time_of_day is not None and b.time_of_day is not None:
        pair = frozenset((a.time_of_day, b.time_of_day))
        if pair in HARD_TIME_CONFLICTS:
            return None
        # Outlets call the same late hour "evening" or "night", the same early one "dawn" or "morning".
        same_time = a.time_of_day == b.time_of_day or pair in NEIGHBOURING_TIMES

    specifics = 0
    same_place = a.place_id is not None and a.place_id == b.place_id
    if same_place:
        points += POINTS_SAME_PLACE
        specifics += 1
    else:
        distance = None
        if a.latitude is not None and b.latitude is not None:
            distance = _haversine_km(a, b)
            if a.is_site and b.is_site and distance > settings.site_max_distance_km:
                return None
        if distance is not None and distance <= settings.nearby_distance_km:
            points += POINTS_NEARBY
        else:
            if a.is_site and b.is_site:
                points -= PENALTY_DIFFERENT_SITES
            if a.city is not None and a.city == b.city:
                points += POINTS_SAME_CITY
            elif a.admin1 is not None and a.admin1 == b.admin1:
                # One report names the town, the other only its governorate: nested, not different.
                nested = a.city is None or b.city is None
                points += POINTS_SAME_CITY if nested else POINTS_SAME_ADMIN1
    shared_launch = a.launch_key is not None and a.launch_key == b.launch_key
    if shared_launch:
        points += POINTS_SPECIFIC
        specifics += 1
    for mine, theirs in ((a.projectile_count, b.projectile_count), (a.killed, b.killed), (a.injured, b.injured)):
        if mine is not None and theirs is not None:
            if mine == theirs:
                points += POINTS_SPECIFIC
                specifics += 1
            elif abs(mine - theirs) > max(1, (mine if mine > theirs else theirs) // 2):
                points -= PENALTY_COUNT_CONFLICT  # close figures (2 and 3) are sources disagreeing
    for mine, theirs in ((a.weapon_type, b.weapon_type), (a.weapon_detail, b.weapon_detail),
                         (a.target_type, b.target_type)):
        if mine is not None and mine == theirs:
            points += POINTS_SPECIFIC
    if same_time is not None:
        points += POINTS_SAME_TIME if same_time else -PENALTY_TIME_CONFLICT

    if not (a.year_known and b.year_known):
        if specifics < settings.strict_min_specifics:
            return None
        no_month = not (a.year_known or a.has_month) or not (b.year_known or b.has_month)
        if no_month and not (shared_launch or same_place):
            return None
    return FULL_SCORE if points > FULL_SCORE else points if points > 0 else 0


# --- finding candidate groups without comparing all pairs ---------------------------------------

def _window(report: _Report) -> list[date]:
    """The days a day or week date may stand for (none for other dates)."""
    if not report.year_known or report.precision not in ("day", "week"):
        return []
    return [date.fromordinal(ordinal)
            for ordinal in range(report.first_day - report.tolerance, report.last_day + report.tolerance + 1)]


def _years(first_day: int, last_day: int) -> range:
    """The years of the days from ``first_day`` to ``last_day`` (ordinals)."""
    first_day, last_day = max(first_day, 1), min(last_day, date.max.toordinal())
    return range(date.fromordinal(first_day).year, date.fromordinal(last_day).year + 1)


def _anchors(report: _Report) -> list[str]:
    """What a report without a month can be matched on: its place and its launch site."""
    return [f"{kind} {value}" for kind, value in (("place", report.place_id), ("launch", report.launch_key)) if value]


def _index_keys(report: _Report, window: list[date]) -> list[str]:
    """Keys a group holding this report is filed under.

    A key names what the report's date covers: a day, a month, a year, or a month of any year for
    dates without a year. For any two compatible reports one's index keys and the other's probe
    keys share a key; the full comparison then decides. Keys are strings: a string keeps its hash.

    A recall without a year (``recalled_since``) stands for a day of the lookback before its
    article, so it is filed under the year of that article, and dated reports and other recalls
    look it up only in the years their own dates allow: the candidates of such a recall grow with
    the density of the history, not its length (a recall matched every month M of every year).
    """
    keys = []
    anchors = _anchors(report)
    if report.year_known:
        if window:
            keys += [f"day {day.toordinal()}" for day in window]
            for year, month in {(day.year, day.month) for day in window}:
                keys += [f"in month {year}-{month}", f"dated in month {month} of any year", f"in year {year}"]
        else:
            first = date.fromordinal(report.first_day)
            if report.precision == "month":
                keys += [f"month {first.year}-{first.month}", f"in year {first.year}",
                         f"dated month {first.month} of any year"]
            else:
                keys += [f"year {first.year}", "dated any year"]
        keys += [f"{anchor} in year {year}" for anchor in anchors
                 for year in _years(report.first_day, report.last_day)]
    elif report.recalled_since is not None:
        recalled = date.fromordinal(report.recalled_by).year
        if report.month is not None:
            keys += [f"yearless month {report.month} recalled {recalled}", f"yearless recalled {recalled}",
                     f"bounded yearless month {report.month}"]
        else:
            keys += [f"no month, {anchor} recalled {recalled}" for anchor in anchors]
            keys += [f"bounded no month, {anchor}" for anchor in anchors]
        keys += [f"{anchor} recalled {recalled}" for anchor in anchors]
    elif report.month is not None:
        keys += [f"yearless month {report.month}", "yearless"]
        keys += [f"unbounded {anchor}" for anchor in anchors]
    else:
        keys += [f"no month, {anchor}" for anchor in anchors]
    keys += anchors
    return _distinct(keys)


def _probe_keys(report: _Report, window: list[date], settings: ReconcileSettings) -> list[str]:
    """Keys under which the groups this report may join are filed."""
    keys = []
    anchors = _anchors(report)
    lookback = settings.recall_lookback_days
    if report.year_known:
        # Recalls without a year that this date may be: published from the day before it to the
        # lookback after it (_pair_points).
        recall_years = _years(report.first_day - 1, report.last_day + lookback)
        if window:
            keys += [f"day {day.toordinal()}" for day in window]
            for year, month in {(day.year, day.month) for day in window}:
                keys += [f"month {year}-{month}", f"yearless month {month}", f"year {year}"]
                keys += [f"yearless month {month} recalled {recalled}" for recalled in recall_years]
        else:
            first = date.fromordinal(report.first_day)
            if report.precision == "month":
                keys += [f"in month {first.year}-{first.month}", f"month {first.year}-{first.month}",
                         f"year {first.year}", f"yearless month {first.month}"]
                keys += [f"yearless month {first.month} recalled {recalled}" for recalled in recall_years]
            else:
                keys += [f"in year {first.year}", f"year {first.year}", "yearless"]
                keys += [f"yearless recalled {recalled}" for recalled in recall_years]
        keys += [f"no month, {anchor}" for anchor in anchors]
        keys += [f"no month, {anchor} recalled {recalled}" for anchor in anchors for recalled in recall_years]
    elif report.recalled_since is not None:
        # Dated reports from the lookback before the article to the day after it (with a week's
        # slack for the window of a dated report), and recalls published within the lookback.
        slack = settings.week_tolerance_days + 1
        dated_years = _years(report.recalled_since - slack, report.recalled_by + 1 + slack)
        recall_years = _years(report.recalled_by - lookback - 1, report.recalled_by + lookback + 1)
        if report.month is not None:
            for year in dated_years:
                keys += [f"in month {year}-{report.month}", f"month {year}-{report.month}", f"year {year}"]
            keys += [f"yearless month {report.month} recalled {recalled}" for recalled in recall_years]
            keys.append(f"yearless month {report.month}")
            keys += [f"no month, {anchor} recalled {recalled}" for anchor in anchors for recalled in recall_years]
        else:
            keys += [f"{anchor} in year {year}" for anchor in anchors for year in _years(
                report.recalled_since, report.recalled_by + 1)]
            keys += [f"{anchor} recalled {recalled}" for anchor in anchors for recalled in recall_years]
            keys += [f"unbounded {anchor}" for anchor in anchors]
        keys += [f"no month, {anchor}" for anchor in anchors]
    elif report.month is not None:
        keys += [f"dated in month {report.month} of any year", f"dated month {report.month} of any year",
                 "dated any year", f"yearless month {report.month}", f"bounded yearless month {report.month}"]
        keys += [f"no month, {anchor}" for anchor in anchors]
        keys += [f"bounded no month, {anchor}" for anchor in anchors]
    else:
        keys += anchors
    return _distinct(keys)


def _distinct(keys: list[str]) -> list[str]:
    # Reports of one day or place build the same keys: interned, a million reports hold one copy.
    return [sys.intern(key) for key in dict.fromkeys(keys)]


_ANY_CITY = ("any city",)   # a tuple: never equal to a city name


@dataclass(slots=True)
class _Group:
    members: list[_Report]
    articles: set[str]
    admin1: str | None
    city: str | None
    weapon_class: str | None
    has_yearless: bool


class _Grouper:
    """Greedy average-linkage grouping; candidates come from shelves of keys per (country, city)."""

    def __init__(self, settings: ReconcileSettings, previous: dict[str, str], joined: dict[str, frozenset[str]]):
        self.settings = settings
        self.previous = previous
        self.joined = joined
        self.latest_of: dict[str, int] = {}      # previous incident -> group of its latest report here
        self.groups: list[_Group] = []
        self.shelves: dict[tuple, dict[str, list[int]]] = {}
        self.threshold = round(settings.merge_threshold * FULL_SCORE)
        self.strict_threshold = round(settings.strict_merge_threshold * FULL_SCORE)

    def followed_group(self, report: _Report) -> int | None:
        """A pinned report's group: the one its previous incident's latest report joined here."""
        return self.latest_of.get(self.previous.get(report.mention_id))

    def best_group(self, report: _Report) -> int | None:
        # A group whose city is not known yet is on the shelf of no city, seen from every city.
        cities = (report.city, None) if report.city is not None else (_ANY_CITY,)
        candidates = set()
        for city in cities:
            shelf = self.shelves.get((report.country, city))
            if shelf:
                for key in report.probe_keys:
                    filed = shelf.get(key)
                    if filed:
                        candidates.update(filed)
        groups, settings = self.groups, self.settings
        best, best_average = None, -1.0
        for number in candidates:
            group = groups[number]
            if report.article_id in group.articles:
                continue
            if report.city is not None and group.city is not None and report.city != group.city:
                continue
            if report.admin1 is not None and group.admin1 is not None and report.admin1 != group.admin1:
                continue
            if report.weapon_class is not None and group.weapon_class is not None \
                    and report.weapon_class != group.weapon_class:
                continue
            total = 0
            for member in group.members:
                points = _pair_points(report, member, settings)
                if points is None:
                    break
                total += points
            else:
                size = len(group.members)
                strict = not report.year_known or group.has_yearless
                if total < (self.strict_threshold if strict else self.threshold) * size:
                    continue
                average = total / size
                # Equal averages go to the older group, whatever order the set gives.
                if average > best_average or (average == best_average and number < best):
                    best, best_average = number, average
        return best

    def start(self, report: _Report) -> None:
        self.groups.append(_Group([], set(), None, None, None, False))
        self.join(len(self.groups) - 1, report)

    def join(self, number: int, report: _Report) -> None:
        group = self.groups[number]
        self.joined[report.mention_id] = frozenset(member.mention_id for member in group.members)
        if report.mention_id in self.previous:
            self.latest_of[self.previous[report.mention_id]] = number
        group.members.append(report)
        group.articles.add(report.article_id)
        group.admin1 = group.admin1 or report.admin1
        group.city = group.city or report.city
        group.weapon_class = group.weapon_class or report.weapon_class
        group.has_yearless = group.has_yearless or not report.year_known
        for city in (group.city, _ANY_CITY):
            shelf = self.shelves.setdefault((report.country, city), {})
            for key in report.index_keys:
                filed = shelf.get(key)
                if filed is None:
                    shelf[key] = [number]
                elif filed[-1] != number:
                    filed.append(number)


def _group_reports(reports: list[_Report], settings: ReconcileSettings, previous: dict[str, str],
                   pinned: set[str]) -> tuple[list[_Group], list[_Group], dict[str, frozenset[str]]]:
    """Primary groups (with the background mentions they absorbed), background-only groups, and
    what each report joined. A pinned report does what it did before (section 6)."""
    ordered = sorted(reports, key=lambda r: r.sort_key)
    joined: dict[str, frozenset[str]] = {}
    had_primary = {previous[r.mention_id] for r in reports if r.is_primary and r.mention_id in previous}
    primary = _Grouper(settings, previous, joined)
    for report in ordered:
        if report.is_primary:
            pin = report.mention_id in pinned
            number = primary.followed_group(report) if pin else primary.best_group(report)
            if number is None:
                primary.start(report)
            else:
                primary.join(number, report)
    unmatched = []
    for report in ordered:
        if not report.is_primary:
            if report.mention_id not in pinned:
                number = primary.best_group(report)
            elif previous.get(report.mention_id) in had_primary:
                number = primary.followed_group(report)
            else:
                number = None   # it was in an incident of recalled attacks only
            if number is None:
                unmatched.append(report)
            else:
                primary.join(number, report)
    recalled = _Grouper(settings, previous, joined)
    for report in unmatched:
        pin = report.mention_id in pinned
        number = recalled.followed_group(report) if pin else recalled.best_group(report)
        if number is None:
            recalled.start(report)
        else:
            recalled.join(number, report)
    return primary.groups, recalled.groups, joined


# --- ids that last --------------------------------------------------------------------------------

def _id_candidate(anchor: str, attempt: int) -> str:
    """The id a group anchored on this mention tries at this attempt, when the earlier ones were taken."""
    return "inc_" + hashlib.sha256((f"{anchor}#{attempt}" if attempt else anchor).encode("utf-8")).hexdigest()[:12]


def _fresh_id(anchor: str, taken: set[str]) -> str:
    return next(candidate for attempt in itertools.count() if (candidate := _id_candidate(anchor, attempt)) not in taken)


def _assign_ids(groups: list[_Group], inputs: ReconcileInputs) -> tuple[list[str], list[dict], set[str]]:
    """An id per group, the id_map rows of this run's merges, and the ids given fresh."""
    previous = inputs.previous_assignment
    holders: dict[str, list[tuple[int, int]]] = defaultdict(list)   # previous id -> (group, mentions)
    claims = []
    for number, group in enumerate(groups):
        held = Counter(previous[r.mention_id] for r in group.members if r.mention_id in previous)
        for old_id, count in held.items():
            holders[old_id].append((number, count))
            created = inputs.previous_created_run.get(old_id, math.inf)
            claims.append((-count, created, old_id, number))
    ids: list[str | None] = [None] * len(groups)
    owner: dict[str, int] = {}
    for _, _, old_id, number in sorted(claims):
        if ids[number] is None and old_id not in owner:
            ids[number] = old_id
            owner[old_id] = number

    taken = set(previous.values()) | set(inputs.previous_created_run) | set(inputs.ids_in_use)
    fresh = set()
    for number, group in enumerate(groups):
        if ids[number] is None:
            ids[number] = _fresh_id(group.members[0].mention_id, taken)
            taken.add(ids[number])
            fresh.add(ids[number])

    id_map = []
    for old_id in sorted(set(holders) - set(owner)):
        survivor, _ = max(holders[old_id], key=lambda held: (held[1], -held[0]))
        id_map.append({"retired_id": old_id, "surviving_id": ids[survivor],
                       "retired_at": inputs.now, "run_id": inputs.run_id})
    return ids, id_map, fresh


# --- the incident's values ------------------------------------------------------------------------

def _recency(report: _Report) -> tuple:
    published = (1, report.published_at) if report.published_at is not None else (0,)
    return published, report.article_id, report.mention.mention_index


def _most_frequent(values: list):
    """The most frequent value; ties to the lowest (the lower count, the earlier date, A before B)."""
    if len(values) < 2:
        return values[0] if values else None
    counts = Counter(values)
    return min(counts, key=lambda value: (-counts[value], value))


def _published_later(a: _Report, b: _Report) -> bool:
    return a.published_at is not None and b.published_at is not None and a.published_at > b.published_at


class _Sources:
    """A group's reports as independent sources: primary first, background only to fill a gap."""

    def __init__(self, members: list[_Report]):
        tiers = [[r for r in members if r.is_primary], [r for r in members if not r.is_primary]]
        self.tiers = []
        for tier in tiers:
            if not tier:
                continue
            by_copy_group: dict[str, list[_Report]] = defaultdict(list)
            for report in tier:
                by_copy_group[report.copy_group].append(report)
            self.tiers.append([sorted(copies, key=_recency, reverse=True) for copies in by_copy_group.values()])

    def per_source(self, value_of) -> list[tuple[object, _Report]]:
        """One value per copy group, from its most recent article that gives one."""
        for tier in self.tiers:
            found = []
            for copies in tier:
                for report in copies:
                    value = value_of(report)
                    if value is not None:
                        found.append((value, report))
                        break
            if found:
                return found
        return []

    def every_value(self, value_of) -> list:
        for tier in self.tiers:
            found = [value for copies in tier for report in copies if (value := value_of(report)) is not None]
            if found:
                return found
        return []

    def most_frequent(self, value_of):
        return _most_frequent([value for value, _ in self.per_source(value_of)])


def _casualties(sources: _Sources, column: str) -> tuple[int | None, int | None]:
    given = sources.per_source(lambda r: getattr(r.mention, column))
    credible = [
        value for value, report in given
        if not (value == 0 and any(other > 0 and _published_later(later, report) for other, later in given))
    ]
    return (min(credible), max(value for value, _ in given)) if given else (None, None)


def _event_date(sources: _Sources) -> tuple[date | None, str]:
    dated = sources.per_source(lambda r: (r.precision_rank, r.first_day) if r.year_known else None)
    if not dated:
        return None, "unknown"
    finest = min(rank for (rank, _), _ in dated)
    ordinal = _most_frequent([day for (rank, day), _ in dated if rank == finest])
    return date.fromordinal(ordinal), PRECISION_ORDER[finest]


def _place(sources: _Sources) -> dict:
    def has_place(report: _Report):
        m = report.mention
        return True if (m.place_id or m.geo_precision or m.country or m.admin1 or m.city) else None

    located = [report for _, report in sources.per_source(has_place)]
    if not located:
        return dict.fromkeys(PLACE_COLUMNS)
    finest = max(GEO_PRECISION_RANK.get(r.mention.geo_precision, 0) for r in located)
    finest_reports = [r for r in located if GEO_PRECISION_RANK.get(r.mention.geo_precision, 0) == finest]
    place_counts = Counter(r.place_id for r in finest_reports)
    chosen = min(finest_reports, key=lambda r: (-place_counts[r.place_id], r.place_id is None, r.place_id or "",
                                                 _recency(r)))
    place = {column: getattr(chosen.mention, column) for column in PLACE_COLUMNS}
    for column in ("country", "admin1", "city"):
        if place[column] is None:
            place[column] = sources.most_frequent(lambda r, column=column: getattr(r, column))
    return place


def _any_true(sources: _Sources, column: str) -> bool | None:
    said = sources.every_value(lambda r: getattr(r.mention, column))
    return (True in said) if said else None


def _names(sources: _Sources, column: str) -> str | None:
    names = set()
    for given in sources.every_value(lambda r: _text(getattr(r.mention, column))):
        names.update(name for part in given.split(";") if (name := part.strip()))
    return LIST_SEPARATOR.join(sorted(names)) if names else None


def _incident_row(group: _Group, is_background: bool, incident_id: str) -> dict:
    sources = _Sources(group.members)
    event_date, date_precision = _event_date(sources)
    killed, killed_max = _casualties(sources, "killed")
    injured, injured_max = _casualties(sources, "injured")
    projectiles = [value for value, _ in sources.per_source(lambda r: r.projectile_count)]
    counted = [r for r in group.members if r.is_primary] or group.members
    source_count = len({r.copy_group for r in counted})
    published = [r.published_at for r in group.members if r.published_at is not None]
    values = {
        "incident_id": incident_id,
        "event_date": event_date,
        "date_precision": date_precision,
        "time_of_day": sources.most_frequent(lambda r: r.time_of_day),
        **_place(sources),
        "weapon_type": sources.most_frequent(lambda r: r.weapon_type) or "unknown",
        "weapon_detail": sources.most_frequent(lambda r: _text(r.mention.weapon_detail)),
        "projectile_count": _most_frequent(projectiles),
        "projectile_count_max": max(projectiles, default=None),
        "killed": killed,
        "killed_max": killed_max,
        "injured": injured,
        "injured_max": injured_max,
        "property_damage": _any_true(sources, "property_damage"),
        "target_type": sources.most_frequent(lambda r: r.target_type) or "unknown",
        "target_name": sources.most_frequent(lambda r: _text(r.mention.target_name)),
        "launch_site": sources.most_frequent(lambda r: _text(r.mention.launch_site)),
        "perpetrator_claimed": _names(sources, "perpetrator_claimed"),
        "claim_disowned": _any_true(sources, "claim_disowned"),
        "perpetrator_accused": _names(sources, "perpetrator_accused"),
        "source_count": source_count,
        "article_count": len(group.articles),
        "single_source": source_count == 1,
        "is_background": is_background,
        "first_reported_at": min(published, default=None),
        "created_run_id": None,
        "updated_run_id": None,
    }
    return {column: values[column] for column in INCIDENT_COLUMNS}


# --- the whole reconciliation ---------------------------------------------------------------------

@paced_for_batches()
def reconcile(inputs: ReconcileInputs) -> ReconcileResult:
    """All mentions to incidents; the same inputs in any order give the same result."""
    grouping = _grouping(inputs)
    incidents, sources = _incident_rows(grouping, inputs, None)
    return grouping.result(incidents, sources)


@dataclass
class _Grouping:
    """The groups a reconciliation made and their ids, before their incident rows are built."""

    groups: list[_Group]
    first_background: int            # groups from this number on hold recalled attacks only
    ids: list[str]
    fresh: set[str]
    changed: set[str]                # fresh ids and ids whose members are not the ones they had
    id_map: list[dict]
    assignment: dict[str, str]
    joined: dict[str, frozenset[str]]
    stats: dict

    def result(self, incidents: list[dict], sources: list[dict]) -> ReconcileResult:
        return ReconcileResult(incidents, sources, self.id_map, self.assignment, self.joined, self.stats)


def _grouping(inputs: ReconcileInputs, reports: dict[str, _Report] | None = None) -> _Grouping:
    """Groups the mentions (``reports``: reports already made of some of them) and names the groups."""
    seen = set()
    for mention in inputs.mentions:
        if mention.mention_id in seen:
            raise ValueError(f"mention {mention.mention_id} is given twice")
        seen.add(mention.mention_id)
    reports = reports or {}
    made = [reports.get(m.mention_id) or _report(m, inputs.articles, inputs.settings) for m in inputs.mentions]
    primary_groups, background_groups, joined = _group_reports(made, inputs.settings,
                                                               inputs.previous_assignment, inputs.pinned)
    groups = primary_groups + background_groups
    ids, id_map, fresh = _assign_ids(groups, inputs)

    members_before: dict[str, set[str]] = defaultdict(set)
    for mention_id, incident_id in inputs.previous_assignment.items():
        members_before[incident_id].add(mention_id)
    assignment = {report.mention_id: incident_id for group, incident_id in zip(groups, ids) for report in group.members}
    changed = {incident_id for group, incident_id in zip(groups, ids)
               if incident_id in fresh or {r.mention_id for r in group.members} != members_before.get(incident_id)}
    still_named = set(ids) | {row["retired_id"] for row in id_map}
    stats = {
        "mentions": len(made),
        "incidents": len(groups),
        "background_incidents": len(background_groups),
        "new": len(fresh),
        "updated": len(changed - fresh),
        "retired": len(id_map),
        # Previous incidents none of whose mentions remain (their articles were removed).
        "dropped": len(set(members_before) - still_named),
    }
    return _Grouping(groups, len(primary_groups), ids, fresh, changed, id_map, assignment, joined, stats)


def _incident_rows(grouping: _Grouping, inputs: ReconcileInputs,
                   incident_ids: set[str] | None) -> tuple[list[dict], list[dict]]:
    """Rows of ``incidents`` and ``incident_sources`` for these incidents (None: for all)."""
    incidents, sources = [], []
    for number, (group, incident_id) in enumerate(zip(grouping.groups, grouping.ids)):
        if incident_ids is not None and incident_id not in incident_ids:
            continue
        row = _incident_row(group, number >= grouping.first_background, incident_id)
        created = inputs.run_id if incident_id in grouping.fresh else inputs.previous_created_run.get(incident_id,
                                                                                                       inputs.run_id)
        row["created_run_id"] = created
        row["updated_run_id"] = (inputs.run_id if incident_id in grouping.changed
                                 else inputs.previous_updated_run.get(incident_id, created))
        incidents.append(row)
        sources.extend({"incident_id": incident_id, "article_id": report.article_id, "mention_id": report.mention_id,
                        "role": PRIMARY if report.is_primary else BACKGROUND} for report in group.members)
    incidents.sort(key=lambda row: row["incident_id"])
    sources.sort(key=lambda row: (row["incident_id"], row["mention_id"]))
    return incidents, sources


# --- regrouping only what new mentions reach (6) -------------------------------------------------

class History(Protocol):
    """What a run reads back of the stored mentions and incidents (``incidents.store`` has one)."""

    def mentions(self, mention_ids: Iterable[str] | None) -> list[Mention]:
        """The stored mentions among these ids (None: all of them)."""

    def incident_rows(self, mention_ids: Iterable[str] | None, incident_ids: Iterable[str] = ()) -> dict[str, str]:
        """mention_id -> incident_id of every member, gone mentions included, of the incidents that
        hold one of ``mention_ids`` or are among ``incident_ids`` (None: of every incident)."""

    def candidates(self, probes: list[Probe], min_specifics: int, recall_lookback_days: int) -> list[tuple[str, str]]:
        """(probe mention_id, stored mention_id) for every stored mention that may be compatible
        with a probe (rule 1, with ``min_specifics`` for a date without a year and the lookback
        of a recall without one): at least every compatible one, with no others required."""

    def articles(self, article_ids: Iterable[str]) -> dict[str, ArticleInfo]: ...

    def incident_runs(self, incident_ids: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
        """Created and updated run of these incidents."""

    def ids_in_use(self, incident_ids: Iterable[str]) -> set[str]:
        """Those of these ids that name a live or a retired incident."""


@dataclass(frozen=True)
class Probe:
    """A moved report as ``History.candidates`` looks for its neighbours: the date as the span it
    covers (None without a year), the place and weapon that rule candidates out, and the specifics
    a report without a year must share."""

    mention_id: str
    country: str
    admin1: str | None
    city: str | None
    weapon_class: str | None
    first_day: date | None
    last_day: date | None
    is_day: bool
    month_known: bool
    place_id: str | None           # site and district places only, as in rule 1
    launch_place_id: str | None
    has_launch: bool
    projectile_count: int | None
    killed: int | None
    injured: int | None
    recalled_by: date | None       # a background mention: the day its article was published


@dataclass
class ScopedResult:
    result: ReconcileResult
    replaced_incidents: set[str]     # stored incidents whose rows the result's rows replace
    scope_mentions: int
    rounds: int


def _probe(report: _Report) -> Probe:
    dated = report.year_known
    return Probe(report.mention_id, report.country or "", report.admin1, report.city, report.weapon_class,
                 date.fromordinal(report.first_day) if dated else None,
                 date.fromordinal(report.last_day) if dated else None,
                 dated and report.precision == "day", dated or report.has_month, report.place_id,
                 _text(report.mention.launch_place_id), report.launch_key is not None, report.projectile_count,
                 report.killed, report.injured,
                 date.fromordinal(report.recalled_by) if report.recalled_by is not None else None)


def _compatible(a: _Report, b: _Report, settings: ReconcileSettings) -> bool:
    return a.country == b.country and _pair_points(a, b, settings) is not None


def ids_a_fresh_id_may_meet(history: History, anchors: Iterable[str]) -> set[str]:
    """The stored ids that a fresh id anchored on any of these mentions would try and find taken.

    ``_fresh_id`` walks each anchor's candidates until one is free; asking the history about
    those candidates, a step at a time, replaces reading every id it holds (a second at 1M
    articles, for a few hundred fresh ids a night)."""
    attempts = dict.fromkeys(anchors, 0)
    in_use: set[str] = set()
    while attempts:
        asked = {anchor: _id_candidate(anchor, attempt) for anchor, attempt in attempts.items()}
        taken = history.ids_in_use(asked.values())
        in_use |= taken
        attempts = {anchor: attempts[anchor] + 1 for anchor, candidate in asked.items() if candidate in taken}
    return in_use


@paced_for_batches()
def reconcile_scope(history: History, changed: set[str], orphaned_incidents: set[str], run_id: int,
                    now: datetime, settings: ReconcileSettings | None = None, full: bool = False) -> ScopedResult:
    """Regroups what ``changed`` mentions (new or re-extracted) and the incidents that lost mentions
    reach, and nothing else (6); with ``full``, every stored mention."""
    settings = settings or ReconcileSettings()
    in_scope: dict[str, Mention] = {}
    previous: dict[str, str] = {}
    articles: dict[str, ArticleInfo] = {}
    reports: dict[str, _Report] = {}

    def take_in(mention_ids: set[str] | None, incident_ids: Iterable[str] = (),
                read: dict[str, _Report] | None = None) -> set[str]:
        """Loads whole incidents (``read``: reports already read); returns the mentions it added."""
        read = read or {}
        previous.update(history.incident_rows(mention_ids, incident_ids))
        wanted = None if mention_ids is None else (mention_ids | set(previous)) - in_scope.keys()
        fresh = history.mentions(None if wanted is None else wanted - read.keys())
        articles.update(history.articles({m.article_id for m in fresh} - articles.keys()))
        added = {m.mention_id: _report(m, articles, settings) for m in fresh}
        added.update({m: read[m] for m in wanted or () if m in read})
        reports.update(added)
        in_scope.update({m: report.mention for m, report in added.items()})
        return set(added)

    take_in(None if full else set(changed), orphaned_incidents)
    # Where a gone or re-read mention stood in the order before is unknown: the reports of its
    # incident count as moved from their own place in the order.
    unsettled = orphaned_incidents | {previous[c] for c in changed if c in previous}
    orphan_members = {m for m, incident in previous.items() if incident in unsettled} & in_scope.keys()
    free = set(in_scope) if full else (set(changed) | orphan_members) & in_scope.keys()
    ids_in_use: set[str] = set()
    anchors_asked: set[str] = set()
    probed_moved: set[str] = set()
    probed_changes: dict[str, tuple] = {}
    rounds = 0
    while True:
        rounds += 1
        incident_ids = set(previous.values())
        created, updated = history.incident_runs(incident_ids)
        ids_in_use |= ids_a_fresh_id_may_meet(history, in_scope.keys() - anchors_asked)
        anchors_asked |= in_scope.keys()
        inputs = ReconcileInputs(
            mentions=sorted(in_scope.values(), key=lambda m: m.mention_id), articles=articles,
            previous_assignment=previous, previous_created_run=created, previous_updated_run=updated,
            run_id=run_id, now=now, ids_in_use=ids_in_use, settings=settings, pinned=set(in_scope) - free,
        )
        if full:
            return ScopedResult(reconcile(inputs), incident_ids, len(in_scope), rounds)
        result = _grouping(inputs, reports)
        before = _joined_before(in_scope, previous, reports)
        moved = orphan_members | {m for m in free if m not in before or m in changed or result.joined[m] != before[m]}
        # A pinned report whose group is not what it joined before decides again.
        unpinned = {m for m in in_scope.keys() - free if result.joined[m] != before.get(m)}
        changed_from = _group_changes(in_scope, previous, result.assignment, reports, orphan_members)
        to_probe = {m for m in moved if m not in probed_moved}
        to_probe |= {m for m, when in changed_from.items() if when < probed_changes.get(m, (math.inf,))}
        probed_moved |= moved
        for m, when in changed_from.items():
            probed_changes[m] = min(when, probed_changes.get(m, (math.inf,)))
        pairs = history.candidates([_probe(reports[m]) for m in sorted(to_probe)], settings.strict_min_specifics,
                                   settings.recall_lookback_days)
        nearby = history.mentions({c for _, c in pairs if c not in in_scope})
        articles.update(history.articles({m.article_id for m in nearby} - articles.keys()))
        outside = {m.mention_id: _report(m, articles, settings) for m in nearby}
        wanted, freed = set(), set()
        for p, c in pairs:
            other = reports[c] if c in reports else outside[c]
            if not _compatible(reports[p], other, settings):
                continue
            if p in moved:
                wanted.add(c)            # a group p could choose: there, whole
            if p in changed_from and other.order > changed_from[p]:
                wanted.add(c)            # c decides after the group of p changed: it decides again
                freed.add(c)
        pulled = take_in(wanted - in_scope.keys(), read=outside)
        unpinned |= freed - free
        if not unpinned and not pulled:
            return _only_changed(result, inputs, free, previous, orphaned_incidents, len(in_scope), rounds)
        free |= unpinned


def _only_changed(result: _Grouping, inputs: ReconcileInputs, free: set[str], previous: dict[str, str],
                  orphaned_incidents: set[str], scope_mentions: int, rounds: int) -> ScopedResult:
    """The incidents that free reports left or joined; a group of pinned reports only is its old
    incident, unchanged, and is not written again (nor are its rows built)."""
    members: dict[str, list[str]] = defaultdict(list)
    for mention_id, incident_id in result.assignment.items():
        members[incident_id].append(mention_id)
    # Written: every group with a free report, and every group holding a report of an incident
    # such a group replaces, until no more are added (a split can leave pinned reports a new id).
    written = {result.assignment[m] for m in free}
    replaced = set(orphaned_incidents)
    while True:
        replaced |= {previous[m] for group in written for m in members[group] if m in previous}
        more = {incident for m, incident in result.assignment.items() if previous.get(m) in replaced} - written
        if not more:
            break
        written |= more
    incidents, sources = _incident_rows(result, inputs, written)
    replaced |= written & set(previous.values())
    return ScopedResult(result.result(incidents, sources), replaced, scope_mentions, rounds)


def _group_changes(in_scope: dict[str, Mention], previous: dict[str, str], assignment: dict[str, str],
                   reports: dict[str, _Report], orphan_members: set[str]) -> dict[str, tuple]:
    """Reports whose group is not the set of reports their incident was, with the point in the
    grouping's order from which a later report can see the difference (its own place at the
    earliest: before it, it is not in the group)."""
    now: dict[str, set[str]] = defaultdict(set)
    for mention_id, incident_id in assignment.items():
        now[incident_id].add(mention_id)
    then: dict[str, set[str]] = defaultdict(set)
    for mention_id, incident_id in previous.items():
        then[incident_id].add(mention_id)
    changes = {}
    for mention_id, incident_id in assignment.items():
        order = reports[mention_id].order
        if mention_id in orphan_members:
            changes[mention_id] = order
            continue
        differing = now[incident_id] ^ then.get(previous.get(mention_id), set())
        if differing:
            changes[mention_id] = max(order, min(reports[m].order for m in differing if m in in_scope))
    return changes


def _joined_before(in_scope: dict[str, Mention], previous: dict[str, str],
                   reports: dict[str, _Report]) -> dict[str, frozenset[str]]:
    """For each stored report, the members its previous incident had when it joined it."""
    members: dict[str, list[_Report]] = defaultdict(list)
    for mention_id in in_scope:
        if mention_id in previous:
            members[previous[mention_id]].append(reports[mention_id])
    joined = {}
    for group in members.values():
        group.sort(key=lambda r: r.order)
        for position, report in enumerate(group):
            joined[report.mention_id] = frozenset(r.mention_id for r in group[:position])
    return joined


@task(name="reconcile", **STAGE_TASK_OPTIONS)
def reconcile_task(history: History, changed: set[str], orphaned_incidents: set[str], run_id: int,
                   now: datetime, full: bool = False) -> ScopedResult:
    """Called, not submitted: it reads the history through the flow's own database connection."""
    return reconcile_scope(history, changed, orphaned_incidents, run_id, now, full=full)
