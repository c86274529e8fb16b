"""Extraction on the ways real outlets phrase attack reports (tasks.extract).

The cases live in ``cases/extract_*.json``: one article text each (our own sentences, written in
the patterns of real Arabic reporting: ballistic missiles, suicide and car bombs, drones first
reported as rockets, combined casualty figures, martyr words, tolls that rise, place-name leads,
two attacks in one article, funerals and reactions). ``expect`` lists the article's primary
mentions in order, each with the fields it must carry; a field given as null must be NULL (no
value invented). An empty list means the article reports no new attack.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tasks.extract import ArticleInput, extract_article

CASES = [case for path in sorted((Path(__file__).parent / "cases").glob("extract_*.json"))
         for case in json.loads(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_extract_case(case):
    published = dt.datetime.fromisoformat(case["published_at"]) if case["published_at"] else None
    mentions = extract_article(ArticleInput("case", case["text"], published))
    primaries = [m for m in mentions if m.role == "primary"]
    got = [{field: getattr(m, field) for field in expected} for m, expected in zip(primaries, case["expect"])]
    assert len(primaries) == len(case["expect"]) and got == case["expect"], got or primaries
