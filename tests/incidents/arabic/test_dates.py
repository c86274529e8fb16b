"""Date expressions, driven by cases/dates.json.

Each case has the text in normal Arabic spelling, a reference (publication) date or null, the
expected mentions in order, and why the case matters. Only the keys given in an expected mention
are compared, so a case states exactly what it is about. ``function`` selects
``infer_publication_date`` (at most one expected mention); ``reference_time`` is "HH:MM".
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.arabic.datelines import infer_publication_date
from incidents.arabic.dates import DateMention, find_dates
from incidents.arabic.normalize import normalize

CASES = json.loads((Path(__file__).parent / "cases" / "dates.json").read_text(encoding="utf-8"))


def _observed(mention: DateMention, keys: list[str]) -> dict[str, object]:
    values = {
        "date": mention.date.isoformat() if mention.date else None,
        "year": mention.year,
        "month": mention.month,
        "day": mention.day,
        "precision": mention.precision,
        "time_of_day": mention.time_of_day,
        "kind": mention.kind,
        "year_inferred": mention.year_inferred,
        "text": mention.text,
        "bound": mention.bound,
    }
    return {key: values[key] for key in keys}


def _expected(item: dict[str, object]) -> dict[str, object]:
    if "text" in item:
        return {**item, "text": normalize(item["text"])}
    return item


def _run(case: dict) -> list[DateMention]:
    text = normalize(case["text"])
    if case.get("function") == "infer_publication_date":
        mention = infer_publication_date(text)
        return [] if mention is None else [mention]
    reference = case["reference"] and datetime.date.fromisoformat(case["reference"])
    reference_time = case.get("reference_time") and datetime.time.fromisoformat(case["reference_time"])
    return find_dates(text, reference, reference_time)


@pytest.mark.parametrize("case", CASES, ids=[f"{index:03d}-{case['why'][:40]}" for index, case in enumerate(CASES)])
def test_case(case):
    mentions = _run(case)
    observed = [_observed(mention, list(item)) for mention, item in zip(mentions, case["expect"])]
    assert len(mentions) == len(case["expect"]), [mention.text for mention in mentions]
    assert observed == [_expected(item) for item in case["expect"]], case["why"]


def test_there_are_enough_cases():
    assert len(CASES) >= 60


def test_spans_point_into_the_normalized_text():
    text = normalize("قتل جنديان مساء الثلاثاء 17 تشرين الثاني/نوفمبر، وبالأمس سقطت صواريخ منذ مطلع العام")
    for mention in find_dates(text, datetime.date(2020, 11, 18)):
        assert text[mention.start : mention.end] == mention.text


_PIECES = [
    "17", "2020", "2014", "31", "1441", "ه", "م", "ء", "/", "-", "(", ")", "،", "من", "يوم", "في", "حتى",
    "تشرين الثاني", "نوفمبر", "آب", "شباط", "الثلاثاء", "الجمعة", "الأحد", "اليوم", "أمس", "الليلة الماضية",
    "مساء", "فجر", "صباحاً", "العام", "الشهر", "الأسبوع", "الماضي", "المقبل", "هذا", "مطلع", "منتصف",
    "الخامس", "الحادي والعشرين", "عام", "النائب", "جندي", "2020/11/17", "29", "كانون الأول",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=12),
    st.one_of(st.none(), st.dates(datetime.date(1950, 1, 1), datetime.date(2090, 12, 31))),
)
def test_any_sequence_of_date_words_resolves_consistently(pieces, reference):
    text = normalize(" ".join(pieces))
    for mention in find_dates(text, reference):
        assert text[mention.start : mention.end] == mention.text
        if reference is None:
            assert not mention.year_inferred
        if mention.precision == "day":
            assert mention.date is not None
        looks_ahead = any(normalize(word) in mention.text for word in ("المقبل", "هذا"))
        if mention.year_inferred and mention.kind == "explicit" and not looks_ahead:
            # A report is about the past: an inferred explicit date is never after the next day.
            assert mention.date is None or mention.date <= reference + datetime.timedelta(days=1)
