"""The date a news page prints for its article, read from the page furniture an excerpt begins with.

A scraped excerpt rarely comes with a publication time, but it often starts with the page's own
date line: "نشر في 11-08-2023 | 15:43", "تاريخ النشر: 11th, August 2023 GMT", "الأحد 18 فبراير
2018 / 23:59", "Jul 06, 2020 9:43 PM", "الأربعاء 2021/08/18". The same head also holds dates that
are not the article's: the site's "today" header ("الثلاثاء، 26 نوفمبر 2024" on a page from 2016),
a crawl stamp, a photo caption of an earlier strike. So the date lines are ranked by what marks
them as the publication's:

1. ``cue`` — introduced by a publication word (تاريخ النشر، نشر في، منشور، published ...);
2. ``timestamp`` — followed by a clock time (a date and time of posting, not of a caption);
3. ``date_line`` — a line that holds nothing but a date (with its weekday, time, Hijri date).

A date is taken only with the year written on the page; the Unix epoch ("1 يناير 1970", an
empty date field) is no date. Offsets are in the original text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from incidents.arabic import date_words
from incidents.arabic.dates import find_dates
from incidents.arabic.lexicon import word_alternation
from incidents.arabic.normalize import normalize_with_offsets

# The page's furniture comes before the story; a date line further down is part of the story or
# of another item on the page.
PAGE_HEAD_CHARS = 700
_RANKS = ("cue", "timestamp", "date_line")
_UNIX_EPOCH = datetime.date(1970, 1, 1)

_ENGLISH_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
# Publication words, normalized; the date may follow after a colon, a weekday and a comma.
_CUE_BEFORE_RE = re.compile(
    r"(?:تاريخ النشر|تاريخ الاضافه|نشر في|نشر بتاريخ|نشر|منشور|اخر تحديث|published|posted|updated)"
    r"\s*:?\s*(?:[^\W\d_]+\s*[،,\s-]\s*)?$"
)
_CLOCK_AFTER_RE = re.compile(r"[\s,،|@/–—-]*(?:الساعه\s*)?[0-9]{1,2}[:.][0-9]{2}(?![0-9])")
# What a date line may hold besides its date: weekday, clock time, am/pm, time zone, Hijri date,
# separators and bullets.
_CLOCK_RE = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?")
# A line without four digits in a row (any script's) holds no written year: skipped unread.
_YEAR_DIGITS_RE = re.compile(r"\d{4}")
# "— name (@handle) 7 يناير 2020": the signature of an embedded post dates the post, not the page.
_EMBEDDED_POST_RE = re.compile(r"\(@\w+\)")
_LINE_FILLER_WORDS = 2  # "أمن |", "عربي", "دمشق": a section or a city beside the date
# Words a date line prints around its date (normalized): clock and zone words, and the Hijri date
# printed beside the Gregorian one ("الأحد - 14 ذو القعدة 1441 هـ - 05 يوليو 2020 مـ").
_DATE_LINE_WORDS = frozenset(
    "gmt am pm بتوقيت الساعه صباحا مساء مساءا ظهرا توقيت "
    "محرم صفر ربيع الاول الاخر الثاني جمادي جمادي الاولي الاخره رجب شعبان رمضان شوال ذو القعده الحجه".split()
)


@dataclass(frozen=True)
class PageDate:
    date: datetime.date
    start: int  # span of the date in the original text
    end: int
    rank: str  # 'cue' | 'timestamp' | 'date_line'


@lru_cache(maxsize=1)
def _written_date_re() -> re.Pattern[str]:
    """Dates that the Arabic date grammar does not read: English month names ("Jul 06, 2020",
    "11th, August 2023") and a month before its day ("أيلول/سبتمبر 20, 2023")."""
    english = word_alternation(_ENGLISH_MONTHS)
    arabic = word_alternation(date_words.month_numbers())
    return re.compile(
        rf"(?<!\w)(?:(?P<day>[0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<month>{english})\.?,?\s+(?P<year>[0-9]{{4}})"
        rf"|(?P<month_first>{english}|{arabic})\.?(?:\s*/\s*(?:{arabic}|{english}))?\s+(?P<day_after>[0-9]{{1,2}})"
        rf"(?:st|nd|rd|th)?,?\s+(?P<year_after>[0-9]{{4}}))(?!\w)"
    )


def _written_dates(line: str) -> list[tuple[int, int, datetime.date]]:
    found = []
    arabic_months = date_words.month_numbers()
    for match in _written_date_re().finditer(line):
        month_word = match["month"] or match["month_first"]
        month = _ENGLISH_MONTHS.get(month_word) or arabic_months.get(month_word)
        day, year = match["day"] or match["day_after"], match["year"] or match["year_after"]
        try:
            found.append((match.start(), match.end(), datetime.date(int(year), month, int(day))))
        except (TypeError, ValueError):
            continue
    return found


def _line_dates(line: str) -> list[tuple[int, int, datetime.date]]:
    """Full dates with a written year in one normalized line, in order."""
    found = [
        (m.start, m.end, m.date)
        for m in find_dates(line, None)
        if m.date is not None and not m.year_inferred
    ]
    taken = [(start, end) for start, end, _ in found]
    found += [d for d in _written_dates(line) if not any(s < d[1] and d[0] < e for s, e in taken)]
    return sorted((d for d in found if d[2] != _UNIX_EPOCH), key=lambda d: d[0])


def _only_a_date(line: str, start: int, end: int) -> bool:
    rest = _CLOCK_RE.sub(" ", line[:start] + " " + line[end:])
    words = [w for w in re.findall(r"[^\W\d_]+", rest)
             if len(w) > 1 and w not in _DATE_LINE_WORDS and not date_words.is_calendar_word(w)]
    return len(words) <= _LINE_FILLER_WORDS


def _rank(line: str, start: int, end: int) -> str | None:
    if _CUE_BEFORE_RE.search(line, max(0, start - 40), start):
        return "cue"
    if _CLOCK_AFTER_RE.match(line, end):
        return "timestamp"
    if _only_a_date(line, start, end):
        return "date_line"
    return None


def page_date(text: str) -> PageDate | None:
    """The publication date the page prints in its first lines, or None."""
    head = text[:PAGE_HEAD_CHARS]
    best: PageDate | None = None
    line_start = 0
    for raw_line in head.split("\n"):
        if not _YEAR_DIGITS_RE.search(raw_line) or _EMBEDDED_POST_RE.search(raw_line):
            line_start += len(raw_line) + 1
            continue
        line, offsets = normalize_with_offsets(raw_line)
        for start, end, date in _line_dates(line):
            rank = _rank(line, start, end)
            if rank is None:
                continue
            found = PageDate(date, line_start + offsets[start], line_start + offsets[end], rank)
            if rank == "cue":
                return found
            if best is None or _RANKS.index(rank) < _RANKS.index(best.rank):
                best = found
        line_start += len(raw_line) + 1
    return best
