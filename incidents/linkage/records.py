"""What one report (a mention) brings to linkage: its fields in comparable form and its words.

A record is a pure function of its mention and its article, so that a report compared tonight
and compared again in a full regroup gives the same comparison (incremental equals batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from incidents.linkage.words import ReportWords, sentence_words
from incidents.model import ArticleInfo, Mention

PRIMARY = "primary"
PRECISION_ORDER = ("day", "week", "month", "year")
PLAUSIBLE_YEARS = range(1900, 2101)
# A report's date words "the days before publication" (precision week) cover this many days.
WEEK_TOLERANCE_DAYS = 7
# A date without a year is of an attack at most this long before its article (a recent one).
RECALL_LOOKBACK_DAYS = 365
WEAPON_CLASS = {
    "rocket": "projectile", "missile": "projectile", "mortar": "projectile", "drone": "drone", "ied": "ied",
    "airstrike": "airstrike", "gunfire": "gunfire",
}


@dataclass(slots=True)
class LinkRecord:
    mention: Mention
    mention_id: str
    article_id: str
    copy_group: str
    is_primary: bool
    published_at: datetime | None
    published_day: int | None      # ordinal of the article's publication day
    year_known: bool
    precision: str | None          # day | week | month | year when the year is known
    first_day: int                 # ordinals of the period the date covers (year known)
    last_day: int
    tolerance: int                 # days before a week date (its publication day) the attack may be
    month: int | None
    day: int | None
    weekday: int | None            # 0 = Monday: of a day date, or written ("on Monday") when the date is not known
    country: str | None
    admin1: str | None
    city: str | None
    place_id: str | None           # a site or district: a shared city is not a shared place
    latitude: float | None         # degrees: a site, district or city (a governorate's centre says little)
    longitude: float | None
    is_point: bool                 # a site or district: its distance to another point is evidence
    weapon_type: str | None
    weapon_class: str | None
    weapon_detail: str | None
    projectile_count: int | None
    killed: int | None
    injured: int | None
    time_of_day: str | None
    launch_key: str | None
    claimants: frozenset[str]
    target_type: str | None
    target_name: str | None
    words: ReportWords             # a report's article's uncommon words (a recollection's: its sentences')
    order: tuple                   # a fixed order of reports: the grouping never depends on input order
    blocking_keys: tuple | None = None  # index keys and probe keys, made once (``candidates.keys``)

    @property
    def window(self) -> tuple[int, int]:
        """First and last day the attack may be on: a week date ("the days before publication")
        from a week before its day to the day after (time zones)."""
        if self.tolerance:
            return self.first_day - self.tolerance, self.last_day + 1
        return self.first_day, self.last_day

    @property
    def precision_rank(self) -> int:
        return PRECISION_ORDER.index(self.precision) if self.precision else len(PRECISION_ORDER)

    @property
    def has_date(self) -> bool:
        return self.year_known or self.month is not None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _folded(value: str | None) -> str | None:
    value = _text(value)
    return value.casefold() if value else None


def evidence_text(mention: Mention) -> str:
    """The attack sentences of a mention: its own and those its values were read from."""
    sentences = dict.fromkeys([mention.evidence or ""] + [value.evidence for value in mention.values])
    return " ".join(sentence for sentence in sentences if sentence)


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


def _period(stated: str, year: int, month: int | None, day: int | None) -> tuple[str, int, int]:
    """Precision and first and last day of a dated report (an impossible day keeps its month)."""
    supported = "day" if day else "month" if month else "year"
    precision = stated if stated in PRECISION_ORDER else supported
    precision = max(precision, supported, key=PRECISION_ORDER.index)
    if precision in ("day", "week"):
        try:
            ordinal = date(year, month, day).toordinal()
            return precision, ordinal, ordinal
        except ValueError:
            precision = "month"
    if precision == "month":
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return precision, date(year, month, 1).toordinal(), following.toordinal() - 1
    return "year", date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()


def link_record(mention: Mention, article: ArticleInfo | None, words: ReportWords | None = None) -> LinkRecord:
    """The record of this mention; ``words``, when given, are its words as already read (a full
    regroup reads them as numbers, and clustering does not read them), not made here again."""
    weapon_type = _text(mention.weapon_type)
    weapon_type = None if weapon_type in (None, "unknown") else weapon_type
    target_type = _text(mention.target_type)
    located = (mention.geo_precision in ("site", "district", "city") and mention.latitude is not None
               and mention.longitude is not None)
    published = article.published_at if article else None
    year, month, day = _calendar(mention)
    precision, first_day, last_day, tolerance = None, 0, 0, 0
    if year is not None:
        precision, first_day, last_day = _period(mention.date_precision, year, month, day)
        tolerance = WEEK_TOLERANCE_DAYS if precision == "week" else 0
        if precision not in ("day", "week"):
            day = None
    claimants = frozenset(name.strip().casefold() for name in (mention.perpetrator_claimed or "").split(";")
                          if name.strip())
    weekday = date.fromordinal(first_day).weekday() if precision == "day" else mention.event_weekday
    # A report's whole article tells its attack (headline, quotes, names); an article recalling an
    # attack tells another one, so a recollection has only the sentences that recall it.
    if words is None and mention.role == PRIMARY and article is not None and article.words is not None:
        words = article.words
    elif words is None:
        words = ReportWords.of(sentence_words(evidence_text(mention)))
    point = first_day if precision in ("day", "week") else math.inf
    published_key = published.timestamp() if published else math.inf
    return LinkRecord(
        mention=mention,
        mention_id=mention.mention_id,
        article_id=mention.article_id,
        copy_group=article.copy_group if article else mention.article_id,
        is_primary=mention.role == PRIMARY,
        published_at=published,
        published_day=published.date().toordinal() if published else None,
        year_known=year is not None,
        precision=precision,
        first_day=first_day,
        last_day=last_day,
        tolerance=tolerance,
        month=month,
        day=day,
        country=_text(mention.country),
        admin1=_text(mention.admin1),
        city=_text(mention.city),
        place_id=_text(mention.place_id) if mention.geo_precision in ("site", "district") else None,
        latitude=mention.latitude if located else None,
        longitude=mention.longitude if located else None,
        is_point=located and mention.geo_precision in ("site", "district"),
        weapon_type=weapon_type,
        weapon_class=WEAPON_CLASS.get(weapon_type, weapon_type),
        weapon_detail=_folded(mention.weapon_detail),
        projectile_count=mention.projectile_count,
        killed=mention.killed,
        injured=mention.injured,
        time_of_day=_text(mention.time_of_day),
        launch_key=_text(mention.launch_place_id) or _folded(mention.launch_site),
        claimants=claimants,
        target_type=None if target_type in (None, "unknown") else target_type,
        target_name=_folded(mention.target_name),
        weekday=weekday,
        words=words,
        order=(mention.role != PRIMARY, point, published_key, mention.mention_id),
    )
