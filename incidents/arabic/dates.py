"""Date and time expressions in Arabic news copy, resolved against a reference (publication) date.

Incidents are compared with ACLED / GTD / UCDP by date, so every mention carries a precision, and a
wrong date is worse than none: a year comes only from the text or from the reference date, never
from a guess, and expressions that cannot be pinned down keep ``precision='unknown'``.

The text is scanned once by a single regex for *atoms*: numbers, numeric dates, and lexicon words
(month and weekday names, times of day, ``أمس``, ``العام`` ...). A small left-to-right parser then
joins atoms that stand next to each other, with only spaces, ``/ - ( ) ,`` or glue words such as
``من`` / ``يوم`` between them, into mentions, and each mention is resolved against the reference.

All functions take text already passed through :func:`incidents.arabic.normalize.normalize`.
"""

from __future__ import annotations

import csv
import datetime
import re
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Iterable, Mapping

from incidents import LEXICON_DIR
from incidents.arabic.lexicon import word_alternation
from incidents.arabic.normalize import normalize, squeeze_spaces

# Lexicon kinds that are date words in their own right, found by the scanning regex. The other
# kinds only describe the surroundings of a mention (glue between atoms, words before or after it).
_ATOM_KINDS = frozenset(
    {
        "month",
        "weekday",
        "time_of_day",
        "time_after",
        "relative_day",
        "day_ordinal",
        "relative_period",
        "period_part",
        "unit",
    }
)
_CONTEXT_KINDS = frozenset({"homograph", "glue", "year_preposition", "not_date"})
# Month names and ordinals never carry a proclitic: "باب" is "door", not ب + آب.
_KINDS_WITHOUT_PROCLITIC = frozenset({"month", "day_ordinal"})
_PROCLITIC = "[وف]?ب?"

# منذ / قبل / بعد before a date: the date bounds a span (year_preposition values in calendar.csv).
_BOUND_PREPOSITIONS = frozenset({"since", "before", "after"})

# Atoms further apart than this are separate expressions even if only glue lies between them.
_MAX_GAP_CHARS = 20
# How far back the words before a mention (حتى، منذ، النائب ...) are looked for.
_CONTEXT_CHARS = 40

_GREGORIAN_YEARS = range(1900, 2101)
_HIJRI_YEARS = range(1300, 1601)
_HIJRI_ERA = "ه"  # هـ after normalization
_GREGORIAN_ERAS = frozenset({"م", "ء"})
# "م" is also the abbreviation for metres ("2000 م"), so only these make a year on their own.
_SELF_EVIDENT_ERAS = frozenset({"ء", _HIJRI_ERA})

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

# "17 و18 تشرين الثاني", "17 أو 18": the second number closes a list or range of days, so
# neither is the date (a 17-18 range never becomes atoms at all).
_DAY_LIST_GAP_RE = re.compile(r"\s*(?:و|او|الي)\s*")

# An ordinal right after a definite noun is its adjective, not a day: الأسبوع الأول من تموز,
# النصف الأول من تموز.
_DEFINITE_WORD_BEFORE_RE = re.compile(r"(?<!\w)(?:[وف]?ب?ال|[وف]?لل)[^\W\d_]+\s+$")

# Datelines sit at the top of a report.
_DATELINE_CHARS = 400
_UNIX_EPOCH = datetime.date(1970, 1, 1)
_LONGEST_DATE_CHARS = 80
_SENTENCE_END_RE = re.compile(r"[.!?](?![0-9])")

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
    # The date bounds a span rather than dating an event: 'since' (منذ أيلول 2020), 'before', 'after'.
    bound: str | None = None

    @property
    def date(self) -> datetime.date | None:
        if self.year is None or self.month is None or self.day is None:
            return None
        return datetime.date(self.year, self.month, self.day)


@dataclass(frozen=True, slots=True)
class _Atom:
    start: int
    end: int
    roles: Mapping[str, str]  # lexicon kind -> value; empty for numbers
    number: int | None = None
    era: str | None = None
    numeric_date: datetime.date | None = None


@dataclass(slots=True)
class _Draft:
    """A parsed but not yet resolved mention; ``last`` is the index of its last atom."""

    start: int
    end: int
    last: int
    kind: str
    day: int | None = None
    month: int | None = None
    year: int | None = None
    era: str | None = None
    weekday: int | None = None
    offset: int | None = None  # days from the reference (اليوم / أمس)
    relative: str | None = None  # previous / current / next
    year_relative: str | None = None  # the same, for the year: تموز من العام الماضي
    # The calendar unit named: العام الماضي، 17 من الشهر الجاري، الثلاثاء من الأسبوع الماضي.
    unit: str | None = None
    time_of_day: str | None = None
    # Something beside a month name (a pair, a year, الماضي) shows it is one: آب is also "father".
    has_context: bool = False
    written_date: datetime.date | None = None
    bound: str | None = None

    def extend_to(self, atom_index: int, atom: _Atom) -> None:
        self.last = atom_index
        self.end = atom.end


@dataclass(frozen=True)
class _Grammar:
    atom_re: re.Pattern[str]
    gap_re: re.Pattern[str]
    context_before_re: re.Pattern[str]
    not_date_after_re: re.Pattern[str]
    roles: Mapping[str, Mapping[str, str]]


@lru_cache(maxsize=1)
def _calendar_lexicon() -> dict[str, dict[str, str]]:
    """Normalized word -> {kind: value}; one word may have several kinds (إلى is glue and a stop)."""
    roles: dict[str, dict[str, str]] = {}
    with open(LEXICON_DIR / "calendar.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            word = squeeze_spaces(normalize(row["word"]))
            kind, value = row["kind"].strip(), row["value"].strip()
            if kind not in _ATOM_KINDS | _CONTEXT_KINDS:
                raise ValueError(f"calendar.csv: unknown kind {kind!r} for {row['word']!r}")
            previous = roles.setdefault(word, {}).setdefault(kind, value)
            if previous != value:
                raise ValueError(f"calendar.csv: {row['word']!r} is {kind} {previous} and {value}")
    return roles


@lru_cache(maxsize=1)
def month_numbers() -> dict[str, int]:
    """Normalized month name (Levantine, Egyptian, Maghreb) -> month number."""
    return {word: int(kinds["month"]) for word, kinds in _calendar_lexicon().items() if "month" in kinds}


def is_calendar_word(word: str) -> bool:
    """Whether a normalized word is a date word of the lexicon (a month, a weekday, a time of day ...)."""
    kinds = _calendar_lexicon().get(word)
    return bool(kinds and kinds.keys() & _ATOM_KINDS)


def _words_of(roles: Mapping[str, Mapping[str, str]], kind: str, value: str | None = None) -> list[str]:
    return [word for word, kinds in roles.items() if kind in kinds and value in (None, kinds[kind])]


@lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    roles = _calendar_lexicon()
    atom_words = [word for word, kinds in roles.items() if kinds.keys() & _ATOM_KINDS]
    bare_words = [word for word in atom_words if roles[word].keys() & _KINDS_WITHOUT_PROCLITIC]
    proclitic_words = [word for word in atom_words if word not in bare_words]
    atom_re = re.compile(
        # 2020/11/17 and 17/11/2020 (also with - or .)
        r"(?<![0-9])(?:(?P<ymd>[0-9]{4})[/.-](?P<ymd_m>[0-9]{1,2})[/.-](?P<ymd_d>[0-9]{1,2})"
        r"|(?P<dmy_d>[0-9]{1,2})[/.-](?P<dmy_m>[0-9]{1,2})[/.-](?P<dmy>[0-9]{4}))(?![0-9]|[/.-][0-9])"
        # a number on its own: not part of 2,500 / 2.5 / 10:30 / a 17-18 range; maybe an era mark
        r"|(?<![0-9])(?<![0-9][.,/:-])(?P<number>[0-9]{1,4})(?:\s?(?P<era>[مءه])(?!\w))?"
        r"(?!\w|[.,/:-][0-9])"
        rf"|(?<!\w)(?P<bare>{word_alternation(bare_words)})(?!\w)"
        rf"|(?<!\w){_PROCLITIC}(?P<word>{word_alternation(proclitic_words)})(?!\w)"
    )
    glue = word_alternation(_words_of(roles, "glue"))
    gap_re = re.compile(rf"(?:[\s,()/-]|(?<!\w)(?:{glue})(?!\w))*")
    context_before_re = re.compile(
        rf"(?<!\w){_PROCLITIC}(?:(?P<not_date>{word_alternation(_words_of(roles, 'not_date', 'before'))})"
        rf"|(?P<title>{word_alternation(_words_of(roles, 'not_date', 'title'))})"
        rf"|(?P<year_preposition>{word_alternation(_words_of(roles, 'year_preposition'))}))"
        r"\s+(?:ال)?$"
    )
    # After اليوم / أمس an ordinal or one of these words makes it "the next day", "the first day"...
    after_words = _words_of(roles, "not_date", "after") + _words_of(roles, "day_ordinal")
    not_date_after_re = re.compile(rf"\s+(?:{word_alternation(after_words)})(?!\w)")
    return _Grammar(atom_re, gap_re, context_before_re, not_date_after_re, roles)


def _numeric_date(match: re.Match[str]) -> datetime.date | None:
    if match["ymd"]:
        parts = match["ymd"], match["ymd_m"], match["ymd_d"]
    else:
        parts = match["dmy"], match["dmy_m"], match["dmy_d"]
    year, month, day = (int(part) for part in parts)
    if month > 12 >= day and not match["ymd"]:
        month, day = day, month  # 12/19/2022: a US page writes the month first, and no month is 19
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


class _Parser:
    def __init__(self, text: str, grammar: _Grammar):
        self.text = text
        self.grammar = grammar
        self.atoms = [self._atom(match) for match in grammar.atom_re.finditer(text)]

    def _atom(self, match: re.Match[str]) -> _Atom:
        if match["number"]:
            return _Atom(match.start(), match.end(), {}, int(match["number"]), match["era"])
        group = "bare" if match["bare"] else "word" if match["word"] else None
        if group is None:
            return _Atom(match.start(), match.end(), {}, numeric_date=_numeric_date(match))
        # The span leaves out a proclitic: وفي بنهاية 2021 is the date "نهاية 2021".
        roles = self.grammar.roles[squeeze_spaces(match[group])]
        return _Atom(match.start(group), match.end(), roles)

    def drafts(self) -> Iterable[_Draft]:
        index = 0
        while index < len(self.atoms):
            draft, index = self._parse_at(index)
            if draft is not None:
                yield draft

    def _joined(self, index: int) -> bool:
        """Whether atom ``index`` continues the expression of atom ``index - 1``."""
        if not 0 < index < len(self.atoms):
            return False
        gap_start, gap_end = self.atoms[index - 1].end, self.atoms[index].start
        return (
            gap_end - gap_start <= _MAX_GAP_CHARS
            and self.grammar.gap_re.fullmatch(self.text, gap_start, gap_end) is not None
        )

    def _joined_role(self, index: int, kind: str) -> str | None:
        return self.atoms[index].roles.get(kind) if self._joined(index) else None

    def _context_before(self, start: int) -> str | None:
        match = self.grammar.context_before_re.search(self.text, max(0, start - _CONTEXT_CHARS), start)
        return match.lastgroup if match else None

    def _parse_at(self, index: int) -> tuple[_Draft | None, int]:
        """The mention starting at atom ``index`` (or None) and the index to continue from."""
        atom = self.atoms[index]
        time_of_day = atom.roles.get("time_of_day")
        if time_of_day and "relative_day" not in atom.roles and self._joined(index + 1):
            draft = self._day_core(index + 1, time_of_day)
            if draft is not None:
                draft.start, draft.time_of_day = atom.start, time_of_day
        else:
            draft = self._day_core(index, None) or self._period(index)
        if draft is None:
            return None, index + 1
        trailing_time = self._joined_role(draft.last + 1, "time_after")
        if trailing_time and draft.time_of_day is None and draft.kind != "period":
            draft.time_of_day = trailing_time
            draft.extend_to(draft.last + 1, self.atoms[draft.last + 1])
        context = self.grammar.context_before_re.search(self.text, max(0, draft.start - _CONTEXT_CHARS), draft.start)
        if context and context.lastgroup == "not_date":
            # Skip the whole expression: "جسر 14 تموز" must not leave a bare "تموز" behind.
            return None, draft.last + 1
        if context and context.lastgroup == "year_preposition":
            preposition = self.grammar.roles[squeeze_spaces(context["year_preposition"])]["year_preposition"]
            draft.bound = preposition if preposition in _BOUND_PREPOSITIONS else None
        return draft, draft.last + 1

    def _day_core(self, index: int, time_of_day: str | None) -> _Draft | None:
        """An expression naming a day: weekday, اليوم / أمس, or a written day and month."""
        roles = self.atoms[index].roles
        if "weekday" in roles:
            return self._weekday(index, time_of_day)
        if "relative_day" in roles:
            return self._relative_day(index)
        return self._calendar_date(index, need_day=time_of_day is not None)

    def _weekday(self, index: int, time_of_day: str | None) -> _Draft:
        atom = self.atoms[index]
        weekday = int(atom.roles["weekday"])
        draft = _Draft(atom.start, atom.end, index, "weekday", weekday=weekday)
        following = index + 1
        if self._joined(following):
            written = self._calendar_date(following, need_day=True)
            if written is not None:
                written.start = atom.start
                return written
        following_weekday = self._joined_role(following, "weekday")
        if time_of_day == "night" and following_weekday == str((weekday + 1) % 7):
            # ليل الاثنين - الثلاثاء: one night, dated by the evening it starts on.
            draft.extend_to(following, self.atoms[following])
            following += 1
        if self._joined_role(following, "unit") == "week":
            # الثلاثاء من الأسبوع الماضي: a day of a named week, not the most recent Tuesday.
            week = _Draft(atom.start, atom.end, index, "weekday", weekday=weekday, unit="week")
            if self._take_relative(week, following + 1):
                return week
        relative = self._joined_role(following, "relative_period")
        if relative:
            draft.relative = relative
            draft.extend_to(following, self.atoms[following])
        return draft

    def _relative_day(self, index: int) -> _Draft | None:
        atom = self.atoms[index]
        if self.grammar.not_date_after_re.match(self.text, atom.end):
            return None
        draft = _Draft(
            atom.start,
            atom.end,
            index,
            "relative",
            offset=int(atom.roles["relative_day"]),
            time_of_day=atom.roles.get("time_of_day"),
        )
        if self._joined_role(index + 1, "weekday") is None:
            return draft
        # أمس الثلاثاء / اليوم (الأحد): the weekday is written, so it decides the date.
        weekday_draft = self._weekday(index + 1, draft.time_of_day)
        weekday_draft.start = atom.start
        weekday_draft.time_of_day = draft.time_of_day
        if weekday_draft.kind == "weekday":
            weekday_draft.offset = draft.offset
        return weekday_draft

    def _calendar_date(self, index: int, need_day: bool) -> _Draft | None:
        """17 تشرين الثاني/نوفمبر 2020, الخامس من أيار, 2020/11/17, 17 من الشهر الجاري, تموز الماضي."""
        atom = self.atoms[index]
        if atom.numeric_date is not None:
            return _Draft(atom.start, atom.end, index, "explicit", written_date=atom.numeric_date)
        day = None
        if atom.number is not None and atom.era is None and 1 <= atom.number <= 31:
            if self._closes_day_list(index):
                return None
            day = atom.number
        elif "day_ordinal" in atom.roles and not self._is_adjective(index):
            day = int(atom.roles["day_ordinal"])
        if day is None:
            if need_day:
                return None
            draft = self._month(index)
            if draft is not None and "homograph" in atom.roles and not draft.has_context:
                return None
            return draft
        if not self._joined(index + 1):
            return None
        draft = self._month(index + 1) or self._day_of_relative_month(index + 1)
        if draft is None:
            return None
        draft.start, draft.day, draft.kind = atom.start, day, "explicit"
        return draft

    def _is_adjective(self, index: int) -> bool:
        if self._joined(index) and "weekday" in self.atoms[index - 1].roles:
            return False  # الثلاثاء الخامس من أيار
        start = self.atoms[index].start
        return _DEFINITE_WORD_BEFORE_RE.search(self.text, max(0, start - _CONTEXT_CHARS), start) is not None

    def _closes_day_list(self, index: int) -> bool:
        previous = self.atoms[index - 1] if index > 0 else None
        return (
            previous is not None
            and previous.number is not None
            and _DAY_LIST_GAP_RE.fullmatch(self.text, previous.end, self.atoms[index].start) is not None
        )

    def _month(self, index: int) -> _Draft | None:
        """A month name, once even when paired (تشرين الثاني/نوفمبر), with a year or الماضي."""
        atom = self.atoms[index]
        if "month" not in atom.roles:
            return None
        month = atom.roles["month"]
        draft = _Draft(atom.start, atom.end, index, "period", month=int(month))
        if self._joined_role(index + 1, "month") == month:
            draft.has_context = True
            draft.extend_to(index + 1, self.atoms[index + 1])
        following = draft.last + 1
        if self._joined_role(following, "unit") == "year":  # تموز من عام 2020، تموز من العام الماضي
            if self._take_year(draft, following + 1):
                draft.kind = "explicit"
            elif self._take_relative(draft, following + 1):
                draft.year_relative, draft.relative = draft.relative, None
        elif self._take_year(draft, following):
            draft.kind = "explicit"
        else:
            self._take_relative(draft, following)
        return draft

    def _day_of_relative_month(self, index: int) -> _Draft | None:
        """The month of "17 من الشهر الجاري"; needs the relative word, a bare الشهر is too vague."""
        if self.atoms[index].roles.get("unit") != "month":
            return None
        draft = _Draft(self.atoms[index].start, self.atoms[index].end, index, "explicit", unit="month")
        return draft if self._take_relative(draft, index + 1) else None

    def _take_year(self, draft: _Draft, index: int) -> bool:
        if not self._joined(index):
            return False
        atom = self.atoms[index]
        if atom.number is None or not _is_year(atom.number, atom.era):
            return False
        draft.year, draft.era, draft.has_context = atom.number, atom.era, True
        draft.extend_to(index, atom)
        return True

    def _take_relative(self, draft: _Draft, index: int) -> bool:
        relative = self._joined_role(index, "relative_period")
        if relative is None:
            return False
        draft.relative, draft.has_context = relative, True
        draft.extend_to(index, self.atoms[index])
        return True

    def _period(self, index: int) -> _Draft | None:
        """مطلع العام، أواخر العام الماضي، منتصف تشرين الأول، العام 2014، في 2014، هذا الشهر."""
        atom = self.atoms[index]
        roles = atom.roles
        if "period_part" in roles:
            if not self._joined(index + 1):
                return None
            inner = (
                self._unit_period(index + 1, bare_unit_ok=True)
                or self._month(index + 1)
                or self._bare_year(index + 1, needs_context=False)
            )
            if inner is not None:
                inner.start, inner.kind = atom.start, "period"
            return inner
        if "unit" in roles:
            if self._context_before(atom.start) == "title":
                return None  # النائب العام الحالي is the attorney general, not this year
            return self._unit_period(index, bare_unit_ok=False)
        unit = self._joined_role(index + 1, "unit") if "relative_period" in roles else None
        if unit is not None:  # هذا العام
            unit_atom = self.atoms[index + 1]
            return _Draft(atom.start, unit_atom.end, index + 1, "period", unit=unit, relative=roles["relative_period"])
        return self._bare_year(index, needs_context=True)

    def _unit_period(self, index: int, bare_unit_ok: bool) -> _Draft | None:
        atom = self.atoms[index]
        unit = atom.roles.get("unit")
        if unit is None:
            return None
        if unit == "month" and self._joined_role(index + 1, "month"):
            draft = self._month(index + 1)  # شهر تموز
            draft.start = atom.start
            return draft
        draft = _Draft(atom.start, atom.end, index, "period", unit=unit)
        if unit == "year" and self._take_year(draft, index + 1):
            return draft
        if self._take_relative(draft, index + 1):
            return draft
        if bare_unit_ok:
            draft.relative = "current"  # مطلع العام: this year
            return draft
        return None

    def _bare_year(self, index: int, needs_context: bool) -> _Draft | None:
        """في 2014، منذ 2014، 2022ء. A number alone is a count far more often than a year."""
        atom = self.atoms[index]
        if atom.number is None or not _is_year(atom.number, atom.era):
            return None
        if (
            needs_context
            and atom.era not in _SELF_EVIDENT_ERAS
            and self._context_before(atom.start) != "year_preposition"
        ):
            return None
        return _Draft(atom.start, atom.end, index, "period", unit="year", year=atom.number, era=atom.era)


def _is_year(number: int, era: str | None) -> bool:
    if era == _HIJRI_ERA:
        return number in _HIJRI_YEARS
    return number in _GREGORIAN_YEARS and (era is None or era in _GREGORIAN_ERAS)


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

    def resolve(self, draft: _Draft) -> DateMention | None:
        if draft.era == _HIJRI_ERA:
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
        draft: _Draft,
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
            bound=draft.bound,
        )

    def _on_day(self, draft: _Draft, date: datetime.date | None) -> DateMention:
        if date is None:
            return self._mention(draft, None, None, None, "unknown")
        return self._mention(draft, *_parts(date), "day", year_inferred=True)

    def _offset_date(self, offset: int) -> datetime.date | None:
        return None if self.reference is None else self.reference + datetime.timedelta(days=offset)

    def _weekday(self, draft: _Draft) -> DateMention:
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

    def _day_and_month(self, draft: _Draft) -> DateMention | None:
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

    def _month(self, draft: _Draft) -> DateMention:
        if draft.year is not None:
            return self._mention(draft, draft.year, draft.month, None, "month")
        if self.reference is None:
            return self._mention(draft, None, draft.month, None, "unknown")
        return self._mention(draft, self._inferred_year(draft), draft.month, None, "month", year_inferred=True)

    def _inferred_year(self, draft: _Draft) -> int:
        if draft.year_relative is not None:
            return self.reference.year + _RELATIVE_STEP[draft.year_relative]
        return _year_of_month(draft.month, draft.relative, self.reference)

    def _unit(self, draft: _Draft) -> DateMention:
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
    mentions = (resolver.resolve(draft) for draft in _Parser(text, _grammar()).drafts())
    return [mention for mention in mentions if mention is not None]


def infer_publication_date(text: str) -> DateMention | None:
    """The dateline date: the first full date with a written year in the first 400 characters,
    either in the report's first sentence (header lines and lead, "بغداد - 3 آذار 2021 (رويترز)")
    or in parentheses ("(وكالة ... - 14 كانون الثاني 2022ء)").

    A full date further into the body is usually an earlier attack or a court case's facts, and a
    wrong reference would shift every relative date of the report, so it is not taken.
    """
    window = text[: _DATELINE_CHARS + _LONGEST_DATE_CHARS]
    sentence_end = _SENTENCE_END_RE.search(window)
    first_sentence_end = sentence_end.start() if sentence_end else len(window)
    for mention in find_dates(window, None):
        if mention.start >= _DATELINE_CHARS:
            break
        if mention.date == _UNIX_EPOCH:
            continue  # a page whose date field was empty prints the epoch ("1 يناير 1970"): no date at all
        if mention.date is not None and (
            mention.start < first_sentence_end or _in_parentheses(window, mention.start, mention.end)
        ):
            return mention
    return None


def _in_parentheses(text: str, start: int, end: int) -> bool:
    """A dateline in parentheses: "(14 كانون الثاني 2022)", "(وكالة ... - 14 كانون الثاني 2022)" or
    "الثلاثاء (9 آب 2022)"; a narrative aside such as "(الذي وقع في 3 آذار 2019)" does not count."""
    inside = text.find("(", start, end)
    if inside >= 0:
        # "الثلاثاء (9 آب 2022)": a weekday with its date in parentheses, the day of the news.
        closing = text.find(")", end)
        return closing >= 0 and not text[end:closing].strip() and "\n" not in text[inside:closing]
    opening = text.rfind("(", 0, start)
    closing = text.find(")", end)
    if opening < 0 or closing < 0 or "\n" in text[opening:closing]:
        return False
    before, after = text[opening + 1 : start].strip(), text[end:closing].strip()
    return not after and (not before or before.endswith("-"))
