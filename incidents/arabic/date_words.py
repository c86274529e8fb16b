"""Date words in Arabic news copy: the calendar lexicon and the parser that joins them into drafts.

The text is scanned once by a single regex for *atoms*: numbers, numeric dates, and lexicon words
(month and weekday names, times of day, ``أمس``, ``العام`` ...) from ``lexicons/calendar.csv``. A
small left-to-right parser then joins atoms that stand next to each other, with only spaces,
``/ - ( ) ,`` or glue words such as ``من`` / ``يوم`` between them, into :class:`Draft` expressions:
what the text writes (a day, a month, a weekday, "yesterday", "last year"), not yet a date.
:mod:`incidents.arabic.dates` resolves them against the publication date.

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
HIJRI_ERA = "ه"  # هـ after normalization
_GREGORIAN_ERAS = frozenset({"م", "ء"})
# "م" is also the abbreviation for metres ("2000 م"), so only these make a year on their own.
_SELF_EVIDENT_ERAS = frozenset({"ء", HIJRI_ERA})

# "17 و18 تشرين الثاني", "17 أو 18": the second number closes a list or range of days, so
# neither is the date (a 17-18 range never becomes atoms at all).
_DAY_LIST_GAP_RE = re.compile(r"\s*(?:و|او|الي)\s*")

# An ordinal right after a definite noun is its adjective, not a day: الأسبوع الأول من تموز,
# النصف الأول من تموز.
_DEFINITE_WORD_BEFORE_RE = re.compile(r"(?<!\w)(?:[وف]?ب?ال|[وف]?لل)[^\W\d_]+\s+$")

@dataclass(frozen=True, slots=True)
class _Atom:
    start: int
    end: int
    roles: Mapping[str, str]  # lexicon kind -> value; empty for numbers
    number: int | None = None
    era: str | None = None
    numeric_date: datetime.date | None = None


@dataclass(slots=True)
class Draft:
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

    def drafts(self) -> Iterable[Draft]:
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

    def _parse_at(self, index: int) -> tuple[Draft | None, int]:
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

    def _day_core(self, index: int, time_of_day: str | None) -> Draft | None:
        """An expression naming a day: weekday, اليوم / أمس, or a written day and month."""
        roles = self.atoms[index].roles
        if "weekday" in roles:
            return self._weekday(index, time_of_day)
        if "relative_day" in roles:
            return self._relative_day(index)
        return self._calendar_date(index, need_day=time_of_day is not None)

    def _weekday(self, index: int, time_of_day: str | None) -> Draft:
        atom = self.atoms[index]
        weekday = int(atom.roles["weekday"])
        draft = Draft(atom.start, atom.end, index, "weekday", weekday=weekday)
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
            week = Draft(atom.start, atom.end, index, "weekday", weekday=weekday, unit="week")
            if self._take_relative(week, following + 1):
                return week
        relative = self._joined_role(following, "relative_period")
        if relative:
            draft.relative = relative
            draft.extend_to(following, self.atoms[following])
        return draft

    def _relative_day(self, index: int) -> Draft | None:
        atom = self.atoms[index]
        if self.grammar.not_date_after_re.match(self.text, atom.end):
            return None
        draft = Draft(
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

    def _calendar_date(self, index: int, need_day: bool) -> Draft | None:
        """17 تشرين الثاني/نوفمبر 2020, الخامس من أيار, 2020/11/17, 17 من الشهر الجاري, تموز الماضي."""
        atom = self.atoms[index]
        if atom.numeric_date is not None:
            return Draft(atom.start, atom.end, index, "explicit", written_date=atom.numeric_date)
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

    def _month(self, index: int) -> Draft | None:
        """A month name, once even when paired (تشرين الثاني/نوفمبر), with a year or الماضي."""
        atom = self.atoms[index]
        if "month" not in atom.roles:
            return None
        month = atom.roles["month"]
        draft = Draft(atom.start, atom.end, index, "period", month=int(month))
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

    def _day_of_relative_month(self, index: int) -> Draft | None:
        """The month of "17 من الشهر الجاري"; needs the relative word, a bare الشهر is too vague."""
        if self.atoms[index].roles.get("unit") != "month":
            return None
        draft = Draft(self.atoms[index].start, self.atoms[index].end, index, "explicit", unit="month")
        return draft if self._take_relative(draft, index + 1) else None

    def _take_year(self, draft: Draft, index: int) -> bool:
        if not self._joined(index):
            return False
        atom = self.atoms[index]
        if atom.number is None or not _is_year(atom.number, atom.era):
            return False
        draft.year, draft.era, draft.has_context = atom.number, atom.era, True
        draft.extend_to(index, atom)
        return True

    def _take_relative(self, draft: Draft, index: int) -> bool:
        relative = self._joined_role(index, "relative_period")
        if relative is None:
            return False
        draft.relative, draft.has_context = relative, True
        draft.extend_to(index, self.atoms[index])
        return True

    def _period(self, index: int) -> Draft | None:
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
            return Draft(atom.start, unit_atom.end, index + 1, "period", unit=unit, relative=roles["relative_period"])
        return self._bare_year(index, needs_context=True)

    def _unit_period(self, index: int, bare_unit_ok: bool) -> Draft | None:
        atom = self.atoms[index]
        unit = atom.roles.get("unit")
        if unit is None:
            return None
        if unit == "month" and self._joined_role(index + 1, "month"):
            draft = self._month(index + 1)  # شهر تموز
            draft.start = atom.start
            return draft
        draft = Draft(atom.start, atom.end, index, "period", unit=unit)
        if unit == "year" and self._take_year(draft, index + 1):
            return draft
        if self._take_relative(draft, index + 1):
            return draft
        if bare_unit_ok:
            draft.relative = "current"  # مطلع العام: this year
            return draft
        return None

    def _bare_year(self, index: int, needs_context: bool) -> Draft | None:
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
        return Draft(atom.start, atom.end, index, "period", unit="year", year=atom.number, era=atom.era)


def _is_year(number: int, era: str | None) -> bool:
    if era == HIJRI_ERA:
        return number in _HIJRI_YEARS
    return number in _GREGORIAN_YEARS and (era is None or era in _GREGORIAN_ERAS)



def drafts(text: str) -> Iterable[Draft]:
    """The date expressions of normalized ``text``, left to right, not yet resolved."""
    return _Parser(text, _grammar()).drafts()
