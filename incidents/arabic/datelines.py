"""The dateline of a report: the publication date its opening writes, when no metadata gives one,
and where the dateline and the page's date line stand in the text (``dateline_of``).

``infer_publication_date`` takes text already passed through
:func:`incidents.arabic.normalize.normalize`; ``dateline_of`` takes the article's text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from incidents.arabic.dates import DateMention, find_dates
from incidents.arabic.normalize import normalize, normalize_with_offsets
from incidents.arabic.page_dates import page_date

# Datelines sit at the top of a report.
_DATELINE_CHARS = 400
_HEADLINE_CHARS = 200
_UNIX_EPOCH = datetime.date(1970, 1, 1)
_LONGEST_DATE_CHARS = 80
_SENTENCE_END_RE = re.compile(r"[.!?](?![0-9])")
# A dateline's date follows its place right away (بغداد - 3 آذار 2021، بغداد - الأحد 5 أيار 2024);
# a date further into the lead's sentence (الأنبار - أعلنت الخلية، مساء الأحد 5 أيار 2024، ...)
# is the attack's date told in the lead, not a dateline.
_DATELINE_RE = re.compile(r"(?:^|\n)[^\n]{0,60}(?:\(|\s[-–/]\s*)[^\n(),.]{0,14}$")
_DATELINE_PREFIX_RE = re.compile(r"\s*[^\n()\-–—/.,،]{2,40}?\s*(?:\([^)\n]{1,40}\)\s*)*[-–—/](?=\s)")
# After a headline, only a place of a few words opens a dateline (أربيل (كوردستان 24)-، شمال شرق
# سوريا - (رويترز)); "قصف إسرائيلي على دمشق - 19 آب 2021 (سانا)" is a photo's caption.
_HEADED_DATELINE_RE = re.compile(r"\s*[^\s()\-–—/.,،]+(?:\s+[^\s()\-–—/.,،]+){0,2}\s*(?:\([^)\n]{1,40}\)\s*)*[-–—/](?=\s)")
# A photo's caption: what it shows, a dash, its date with the year, the agency; alone on its line
# (قصف إسرائيلي على دمشق - 19 آب 2021 (سانا)). Its head is a phrase, not a dateline's place.
_CAPTION_RE = re.compile(
    r"(?P<head>[^\n]*?\S)\s+[-–—]\s+[^\n()\-–—]{4,40}?(?:19|20)\d\d\s*\([^)\n]{1,40}\)\s*$")
_CAPTION_HEAD_WORDS = 4
_DATELINE_AFTER_RE = re.compile(r"[^\n\w]{0,4}\s*\(")


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


def is_caption(line: str) -> bool:
    """Whether a line is a photo's caption with its date and agency: the picture's event, which
    may be another attack, and its date, which is not the report's."""
    found = _CAPTION_RE.fullmatch(line.strip())
    return bool(found) and len(found.group("head").split()) >= _CAPTION_HEAD_WORDS


def _without_captions(text: str) -> str:
    """The text with its caption lines blanked (same length: offsets stay the text's)."""
    return "\n".join(" " * len(line) if is_caption(line) else line for line in text.split("\n"))


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


@dataclass(frozen=True)
class Dateline:
    """Where an article's dateline is: its date dates the report, its city is where it was filed."""

    date_start: int = 0
    date_end: int = 0
    # Where the dateline's city and outlet stand: at the text's start, or on the line after the headline.
    place_start: int = 0
    place_end: int = 0
    page_date_start: int = 0  # the date line the page prints (page_dates.page_date)
    page_date_end: int = 0
    report_date: datetime.date | None = None  # the date the dateline or the page's date line gives

    def dates_report(self, position: int) -> bool:
        """Whether a date at ``position`` of the text dates the report, not the attack."""
        return self.date_start <= position < self.date_end or self.page_date_start <= position < self.page_date_end

    def files_from(self, position: int) -> bool:
        """Whether a place at ``position`` of the text is the dateline's: where the copy was filed."""
        return self.place_start <= position < self.place_end


def _after_headline(opening: str) -> int:
    """Where the line after a headline starts (0 when the text does not open with one): pages
    print the headline, then the dateline ("أربيل (كوردستان 24)- أعلنت …")."""
    first_end = opening.find("\n")
    if not 0 < first_end <= _HEADLINE_CHARS or _SENTENCE_END_RE.search(opening[:first_end].rstrip()[-1:]):
        return 0
    following = len(opening) - len(opening[first_end:].lstrip())
    return following if following < len(opening) else 0


def dateline_of(text: str) -> tuple[Dateline, datetime.date | None]:
    """The article's dateline, and the first full date of its lead (a reference of last resort).

    A dateline (بغداد - 3 آذار 2021 (واع)، or (سبوتنيك - 14 كانون الثاني 2022)) and the date line
    a page prints ("نشر في 11-08-2023 | 15:43", see ``page_dates``) date the report, not the
    attack: their dates are left out of the event's dates. The dateline's city (الرمادي (العراق)
    (رويترز) -) is not the scene.
    """
    opening = _without_captions(text[:600])
    place_start = _after_headline(opening)
    prefix = _DATELINE_PREFIX_RE.match(opening) or (
        _HEADED_DATELINE_RE.match(opening, place_start) if place_start else None)
    place_start = prefix.start() if prefix else 0
    place_end = prefix.end() if prefix else 0
    found = infer_publication_date(normalize(opening))
    date_start = date_end = 0
    if found is not None:
        _, offsets = normalize_with_offsets(opening)
        start = offsets[min(found.start, len(offsets) - 1)]
        end = offsets[min(found.end, len(offsets) - 1)]
        if _DATELINE_RE.search(opening[max(0, start - 80):start]) or _DATELINE_AFTER_RE.match(opening, end):
            date_start, date_end = start, end
            place_start, place_end = (place_start, max(place_end, end)) if place_end else (0, end)
    printed = page_date(text)
    if printed is not None and (printed.rank != "date_line" or not date_end):
        report_date = printed.date
    else:
        report_date = found.date if date_end else None
    dateline = Dateline(date_start, date_end, place_start, place_end, *((printed.start, printed.end) if printed else (0, 0)),
                        report_date=report_date)
    return dateline, found.date if found is not None else None
