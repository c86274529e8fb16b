"""An incident's values from its reports (docs/reconciliation.md, "The incident's values").

Copies of one report are one source; primary mentions give values and background mentions only
fill a field no primary mention gives; where "most frequent" ties, the first value wins.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from incidents.linkage.records import PRECISION_ORDER, LinkRecord

GEO_PRECISION_RANK = {"site": 5, "district": 4, "city": 3, "governorate": 2, "country": 1}
PLACE_COLUMNS = ("place_id", "location_name", "location_name_ar", "country", "admin1", "city",
                 "latitude", "longitude", "geo_precision")
LIST_SEPARATOR = "; "
INCIDENT_COLUMNS = (
    "incident_id", "event_date", "date_precision", "time_of_day", "country", "admin1", "city",
    "location_name", "location_name_ar", "place_id", "latitude", "longitude", "geo_precision",
    "weapon_type", "weapon_detail", "projectile_count", "projectile_count_max", "killed", "killed_max",
    "injured", "injured_max", "property_damage", "target_type", "target_name", "launch_site",
    "perpetrator_claimed", "claim_disowned", "perpetrator_accused", "source_count", "article_count",
    "single_source", "is_background", "first_reported_at", "created_run_id", "updated_run_id", "link_confidence",
)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _recency(report: LinkRecord) -> tuple:
    published = (1, report.published_at) if report.published_at is not None else (0,)
    return published, report.article_id, report.mention.mention_index


def _most_frequent(values: list):
    """The most frequent value; ties to the lowest (the lower count, the earlier date, A before B)."""
    if len(values) < 2:
        return values[0] if values else None
    counts = Counter(values)
    return min(counts, key=lambda value: (-counts[value], value))


def _most_counted(counts: list[int]) -> int | None:
    """The count most sources give; ties to the higher: a report of the one rocket intercepted or
    the one that hit a building counts part of a salvo another report counts whole (an article's
    own count is its largest total too, docs/extraction.md)."""
    if not counts:
        return None
    tally = Counter(counts)
    return max(tally, key=lambda value: (tally[value], value))


def _published_later(a: LinkRecord, b: LinkRecord) -> bool:
    return a.published_at is not None and b.published_at is not None and a.published_at > b.published_at


class _Sources:
    """A group's reports as independent sources: primary first, background only to fill a gap."""

    def __init__(self, members: list[LinkRecord]):
        tiers = [[r for r in members if r.is_primary], [r for r in members if not r.is_primary]]
        self.tiers = []
        for tier in tiers:
            if not tier:
                continue
            by_copy_group: dict[str, list[LinkRecord]] = defaultdict(list)
            for report in tier:
                by_copy_group[report.copy_group].append(report)
            self.tiers.append([sorted(copies, key=_recency, reverse=True) for copies in by_copy_group.values()])

    def per_source(self, value_of, finest: bool = False) -> list[tuple[object, LinkRecord]]:
        """One value per copy group, from its most recent article that gives one; with ``finest``
        (values that are (precision rank, ...) tuples) from its most recent article of the finest
        precision: a near copy that lost the lead's "اليوم الجمعة" does not make its original's day
        a week."""
        for tier in self.tiers:
            found = []
            for copies in tier:
                given = [(value, report) for report in copies if (value := value_of(report)) is not None]
                if given:
                    found.append(min(given, key=lambda item: item[0][0]) if finest else given[0])
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
    dated = sources.per_source(lambda r: (r.precision_rank, r.first_day) if r.year_known else None, finest=True)
    if not dated:
        return None, "unknown"
    finest = min(rank for (rank, _), _ in dated)
    ordinal = _most_frequent([day for (rank, day), _ in dated if rank == finest])
    return date.fromordinal(ordinal), PRECISION_ORDER[finest]


def _place(sources: _Sources) -> dict:
    def has_place(report: LinkRecord):
        m = report.mention
        return True if (m.place_id or m.geo_precision or m.country or m.admin1 or m.city) else None

    located = [report for _, report in sources.per_source(has_place)]
    if not located:
        return dict.fromkeys(PLACE_COLUMNS)
    finest = max(GEO_PRECISION_RANK.get(r.mention.geo_precision, 0) for r in located)
    finest_reports = [r for r in located if GEO_PRECISION_RANK.get(r.mention.geo_precision, 0) == finest]
    place_counts = Counter(r.place_id for r in finest_reports)
    # Two places named as often: the one in the country most reports put it in (Tower 22 in Jordan,
    # not the base across the border that one statement names).
    country_counts = Counter(r.mention.country for r in located if r.mention.country)
    chosen = min(finest_reports, key=lambda r: (-place_counts[r.place_id], -country_counts[r.mention.country],
                                                 r.place_id is None, r.place_id or "", _recency(r)))
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


def _split_names(given: str | None) -> str | None:
    names = {name for part in given.split(";") if (name := part.strip())} if given else set()
    return LIST_SEPARATOR.join(sorted(names)) if names else None


def _one_report_row(report: LinkRecord, incident_id: str, confidence: float | None) -> dict:
    """``incident_row`` of a single report, read straight from it: what the general path gives
    when every value has one source (34,000 of the 56,000 incidents of bench/bench_reconcile.py's
    100,000 articles; the general path took 4 s for all of them)."""
    m = report.mention
    located = m.place_id or m.geo_precision or m.country or m.admin1 or m.city
    values = {
        "incident_id": incident_id,
        "event_date": date.fromordinal(report.first_day) if report.year_known else None,
        "date_precision": PRECISION_ORDER[report.precision_rank] if report.year_known else "unknown",
        "time_of_day": report.time_of_day,
        **{column: getattr(m, column) if located else None for column in PLACE_COLUMNS},
        "weapon_type": report.weapon_type or "unknown",
        "weapon_detail": _text(m.weapon_detail),
        "projectile_count": report.projectile_count,
        "projectile_count_max": report.projectile_count,
        "killed": m.killed,
        "killed_max": m.killed,
        "injured": m.injured,
        "injured_max": m.injured,
        "property_damage": None if m.property_damage is None else True in (m.property_damage,),
        "target_type": report.target_type or "unknown",
        "target_name": _text(m.target_name),
        "launch_site": _text(m.launch_site),
        "perpetrator_claimed": _split_names(_text(m.perpetrator_claimed)),
        "claim_disowned": None if m.claim_disowned is None else True in (m.claim_disowned,),
        "perpetrator_accused": _split_names(_text(m.perpetrator_accused)),
        "source_count": 1,
        "article_count": 1,
        "single_source": True,
        "is_background": not report.is_primary,
        "first_reported_at": report.published_at,
        "created_run_id": None,
        "updated_run_id": None,
        "link_confidence": confidence,
    }
    return {column: values[column] for column in INCIDENT_COLUMNS}


def incident_row(members: list[LinkRecord], incident_id: str, confidence: float | None) -> dict:
    """The incidents row of these reports (every column of the table, in its order)."""
    if len(members) == 1:
        return _one_report_row(members[0], incident_id, confidence)
    return _reports_row(members, incident_id, confidence)


def _reports_row(members: list[LinkRecord], incident_id: str, confidence: float | None) -> dict:
    sources = _Sources(members)
    event_date, date_precision = _event_date(sources)
    killed, killed_max = _casualties(sources, "killed")
    injured, injured_max = _casualties(sources, "injured")
    projectiles = [value for value, _ in sources.per_source(lambda r: r.projectile_count)]
    counted = [r for r in members if r.is_primary] or members
    source_count = len({r.copy_group for r in counted})
    published = [r.published_at for r in members if r.published_at is not None]
    values = {
        "incident_id": incident_id,
        "event_date": event_date,
        "date_precision": date_precision,
        "time_of_day": sources.most_frequent(lambda r: r.time_of_day),
        **_place(sources),
        "weapon_type": sources.most_frequent(lambda r: r.weapon_type) or "unknown",
        "weapon_detail": sources.most_frequent(lambda r: _text(r.mention.weapon_detail)),
        "projectile_count": _most_counted(projectiles),
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
        "article_count": len({r.article_id for r in members}),
        "single_source": source_count == 1,
        "is_background": not any(r.is_primary for r in members),
        "first_reported_at": min(published, default=None),
        "created_run_id": None,
        "updated_run_id": None,
        "link_confidence": confidence,
    }
    return {column: values[column] for column in INCIDENT_COLUMNS}

