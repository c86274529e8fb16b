"""Date and time expressions in Arabic news copy, resolved against a reference (publication) date.

Incidents are compared with ACLED / GTD / UCDP by date, so every mention carries a precision, and a
wrong date is worse than none: a year comes only from the text or from the reference date, never
from a guess, and expressions that cannot be pinned down keep ``precision='unknown'``.

The expressions themselves (atoms of the calendar lexicon joined into drafts) are read by
:mod:`incidents.arabic.date_words`; this module places each one in time.

All functions take text already passed through :func:`incidents.arabic.normalize.normalize`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from incidents.arabic.date_words import HIJRI_ERA, Draft, drafts

_SUNDAY = 6  # datetime.date.weekday()
_RELATIVE_STEP = {"previous": -1, "current": 0, "next": 1}

# When a time of day starts, in local time; a reference time is only trusted to within
# _CLOCK_SLACK because feeds mix UTC and Baghdad time.
_TIME_OF_DAY_START = {
    "dawn": datetime.time(4),
    "morning": datetime.time(6),
    "midday": datetime.time(11),
    "afternoon": datetime.time(14),
    "evening": datetime.time(17),
    "night": datetime.time(20),
}
_CLOCK_SLACK = datetime.timedelta(hours=3)

# The year of a day and month with no year written is searched this far back (29 February).
_MAX_YEARS_BACK = 8


@dataclass(frozen=True)
class DateMention:
    start: int  # span in the normalized text
    end: int
    text: str  # the matched normalized text
    year: int | None
    month: int | None
    day: int | None
    precision: str  # 'day' | 'week' | 'month' | 'year' | 'unknown'
    time_of_day: str | None  # dawn / morning / midday / afternoon / evening / night
    kind: str  # 'explicit' | 'relative' | 'weekday' | 'period'
    year_inferred: bool  # the year was not written but taken from the reference date
    weekday: int | None = None  # written weekday (Monday = 0): known even when the date is not
    offset: int | None = None  # days from the reference a relative word says (اليوم 0, أمس -1)
    # The date bounds a span rather than dating an event: 'since' (منذ أيلول 2020), 'before', 'after'.
    bound: str | None = None

    @property
    def date(self) -> datetime.date | None:
        if self.year is None or self.month is None or self.day is None:
            return None
        return datetime.date(self.year, self.month, self.day)


def _exists(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _shift_month(reference: datetime.date, months: int) -> tuple[int, int]:
    index = reference.year * 12 + reference.month - 1 + months
    return index // 12, index % 12 + 1


def _year_of_month(month: int, relative: str | None, reference: datetime.date) -> int:
    """The year of a month named without one; "the previous July" is strictly before this month."""
    if relative == "previous":
        return reference.year if month < reference.month else reference.year - 1
    if relative == "next":
        return reference.year if month > reference.month else reference.year + 1
    if relative == "current":
        return reference.year
    latest = reference + datetime.timedelta(days=1)
    return latest.year if month <= latest.month else latest.year - 1


def _latest_date(month: int, day: int, reference: datetime.date) -> datetime.date | None:
    """The latest day/month on or before the day after the reference: reports are about the past,
    and a dateline a few hours behind the event is common."""
    latest = reference + datetime.timedelta(days=1)
    for year in range(latest.year, latest.year - _MAX_YEARS_BACK, -1):
        if _exists(year, month, day) and datetime.date(year, month, day) <= latest:
            return datetime.date(year, month, day)
    return None


def _nearest_weekday(weekday: int, anchor: datetime.date, relative: str | None) -> datetime.date:
    if relative == "next":
        return anchor + datetime.timedelta(days=(weekday - anchor.weekday() - 1) % 7 + 1)
    if relative == "previous":
        return anchor - datetime.timedelta(days=(anchor.weekday() - weekday - 1) % 7 + 1)
    return anchor - datetime.timedelta(days=(anchor.weekday() - weekday) % 7)


def _day_of_week(weekday: int, reference: datetime.date, weeks: int) -> datetime.date:
    """The weekday in the week ``weeks`` away from the reference's; Iraqi weeks start on Sunday."""
    days_since_sunday = (reference.weekday() - _SUNDAY) % 7
    week_start = reference - datetime.timedelta(days=days_since_sunday) + datetime.timedelta(weeks=weeks)
    return week_start + datetime.timedelta(days=(weekday - _SUNDAY) % 7)


def _not_yet_happened(time_of_day: str | None, reference_time: datetime.time | None) -> bool:
    if time_of_day is None or reference_time is None:
        return False
    starts = datetime.datetime.combine(datetime.date.min, _TIME_OF_DAY_START[time_of_day])
    return starts - datetime.datetime.combine(datetime.date.min, reference_time) > _CLOCK_SLACK


class _Resolver:
    def __init__(self, text: str, reference: datetime.date | None, reference_time: datetime.time | None):
        self.text = text
        self.reference = reference
        self.reference_time = reference_time

    def resolve(self, draft: Draft) -> DateMention | None:
        if draft.era == HIJRI_ERA:
            # Converting would need the Hijri month too; analysts get the text and no false year.
            return self._mention(draft, None, draft.month, draft.day, "unknown")
        if draft.written_date is not None:
            return self._mention(draft, *_parts(draft.written_date), "day")
        if draft.kind == "weekday":
            return self._weekday(draft)
        if draft.kind == "relative":
            return self._on_day(draft, self._offset_date(draft.offset))
        if draft.day is not None:
            return self._day_and_month(draft)
        if draft.month is not None:
            return self._month(draft)
        return self._unit(draft)

    def _mention(
        self,
        draft: Draft,
        year: int | None,
        month: int | None,
        day: int | None,
        precision: str,
        year_inferred: bool = False,
    ) -> DateMention:
        return DateMention(
            start=draft.start,
            end=draft.end,
            text=self.text[draft.start : draft.end],
            year=year,
            month=month,
            day=day,
            precision=precision,
            time_of_day=draft.time_of_day,
            kind=draft.kind,
            year_inferred=year_inferred,
            weekday=draft.weekday,
            offset=draft.offset,
            bound=draft.bound,
        )

    def _on_day(self, draft: Draft, date: datetime.date | None) -> DateMention:
        if date is None:
            return self._mention(draft, None, None, None, "unknown")
        return self._mention(draft, *_parts(date), "day", year_inferred=True)

    def _offset_date(self, offset: int) -> datetime.date | None:
        return None if self.reference is None else self.reference + datetime.timedelta(days=offset)

    def _weekday(self, draft: Draft) -> DateMention:
        if self.reference is None:
            return self._on_day(draft, None)
        if draft.offset is not None:
            # أمس الثلاثاء: trust the written weekday, within a day of what أمس says.
            anchor = self._offset_date(draft.offset)
            candidates = (anchor + datetime.timedelta(days=shift) for shift in (0, -1, 1))
            return self._on_day(draft, next((d for d in candidates if d.weekday() == draft.weekday), None))
        if draft.unit == "week":
            date = _day_of_week(draft.weekday, self.reference, _RELATIVE_STEP[draft.relative])
            return self._on_day(draft, date)
        date = _nearest_weekday(draft.weekday, self.reference, draft.relative)
        if draft.relative is None and date == self.reference and _not_yet_happened(
            draft.time_of_day, self.reference_time
        ):
            # "مساء الثلاثاء" in a Tuesday-morning report: tonight (planned) or a week ago.
            return self._on_day(draft, None)
        return self._on_day(draft, date)

    def _day_and_month(self, draft: Draft) -> DateMention | None:
        if draft.unit == "month":  # 17 من الشهر الجاري
            if self.reference is None:
                return self._mention(draft, None, None, draft.day, "unknown")
            year, month = _shift_month(self.reference, _RELATIVE_STEP[draft.relative])
            if not _exists(year, month, draft.day):
                return None
            return self._mention(draft, year, month, draft.day, "day", year_inferred=True)
        if draft.year is not None:
            if not _exists(draft.year, draft.month, draft.day):
                return None
            return self._mention(draft, draft.year, draft.month, draft.day, "day")
        if not _exists(2000, draft.month, draft.day):  # 31 نيسان: no such day in any year
            return None
        if self.reference is None:
            return self._mention(draft, None, draft.month, draft.day, "unknown")
        if draft.relative is None and draft.year_relative is None:
            date = _latest_date(draft.month, draft.day, self.reference)
        else:
            year = self._inferred_year(draft)
            date = datetime.date(year, draft.month, draft.day) if _exists(year, draft.month, draft.day) else None
        if date is None:
            return None
        return self._mention(draft, *_parts(date), "day", year_inferred=True)

    def _month(self, draft: Draft) -> DateMention:
        if draft.year is not None:
            return self._mention(draft, draft.year, draft.month, None, "month")
        if self.reference is None:
            return self._mention(draft, None, draft.month, None, "unknown")
        return self._mention(draft, self._inferred_year(draft), draft.month, None, "month", year_inferred=True)

    def _inferred_year(self, draft: Draft) -> int:
        if draft.year_relative is not None:
            return self.reference.year + _RELATIVE_STEP[draft.year_relative]
        return _year_of_month(draft.month, draft.relative, self.reference)

    def _unit(self, draft: Draft) -> DateMention:
        if draft.year is not None:  # عام 2014، في 2014
            return self._mention(draft, draft.year, None, None, "year")
        if self.reference is None:
            return self._mention(draft, None, None, None, "unknown")
        step = _RELATIVE_STEP[draft.relative]
        if draft.unit == "year":
            return self._mention(draft, self.reference.year + step, None, None, "year", year_inferred=True)
        if draft.unit == "month":
            year, month = _shift_month(self.reference, step)
            return self._mention(draft, year, month, None, "month", year_inferred=True)
        # A week has no calendar name: the date is the reference moved by whole weeks, a day
        # inside the week meant, which is what precision 'week' tells the analyst.
        date = self.reference + datetime.timedelta(weeks=step)
        return self._mention(draft, *_parts(date), "week", year_inferred=True)


def _parts(date: datetime.date) -> tuple[int, int, int]:
    return date.year, date.month, date.day


def find_dates(
    text: str,
    reference: datetime.date | None,
    reference_time: datetime.time | None = None,
) -> list[DateMention]:
    """Date expressions in normalized ``text``, resolved against the reference (publication) date.

    ``reference_time``, when known, keeps a weekday from resolving to the reference date itself if
    its time of day ("مساء الثلاثاء") had not yet come when the report was published.
    """
    resolver = _Resolver(text, reference, reference_time)
    mentions = (resolver.resolve(draft) for draft in drafts(text))
    return [mention for mention in mentions if mention is not None]
