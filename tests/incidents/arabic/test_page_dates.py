"""The date a page prints for its article (incidents.arabic.page_dates), driven by cases/page_dates.json.

Each case is the head of a scraped page in our own sentences, in the shapes real pages print their
dates (publication words, posting times, date lines with Hijri dates, English and US formats), and
the date that must be read, with its rank, or null when the page gives none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incidents.arabic.page_dates import page_date

CASES = json.loads((Path(__file__).parent / "cases" / "page_dates.json").read_text(encoding="utf-8"))


def _text(case: dict) -> str:
    text = case["text"]
    if "pad_to" in case:
        text = (text * (case["pad_to"] // len(text) + 1))[: case["pad_to"]]
    return text + case.get("suffix", "")


@pytest.mark.parametrize("case", CASES, ids=[case["why"][:60] for case in CASES])
def test_page_date(case):
    text = _text(case)
    found = page_date(text)
    if case["expect"] is None:
        assert found is None, found
        return
    assert found is not None
    assert {"date": found.date.isoformat(), "rank": found.rank} == case["expect"]
    # The span is the date as the page prints it: the original text, digits and all.
    assert any(ch.isdigit() for ch in text[found.start:found.end])
