"""The dateline of a report: the publication date its opening writes, when no metadata gives one.

All functions take text already passed through :func:`incidents.arabic.normalize.normalize`.
"""

from __future__ import annotations

import datetime
import re

from incidents.arabic.dates import DateMention, find_dates

# Datelines sit at the top of a report.
_DATELINE_CHARS = 400
_UNIX_EPOCH = datetime.date(1970, 1, 1)
_LONGEST_DATE_CHARS = 80
_SENTENCE_END_RE = re.compile(r"[.!?](?![0-9])")


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
