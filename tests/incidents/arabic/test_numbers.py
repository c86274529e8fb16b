"""Number phrases and counted nouns (incidents.arabic.numbers).

The cases live in cases/numbers.json, written in ordinary Arabic spelling. Two shapes share the
list: ``{"text", "expect", "why"}`` for ``find_quantities`` and ``{"phrase", "value", "why"}`` for
``parse_number``. Texts, phrases and expected lemmas are normalized here, as the pipeline does
before extraction.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from incidents.arabic.normalize import normalize
from incidents.arabic.numbers import (
    COUNT_NOUNS_CSV,
    NUMBER_WORDS_CSV,
    Quantity,
    find_quantities,
    ordinal_value,
    parse_number,
)

CASES = json.loads((Path(__file__).parent / "cases" / "numbers.json").read_text(encoding="utf-8"))
QUANTITY_CASES = [case for case in CASES if "text" in case]
NUMBER_CASES = [case for case in CASES if "phrase" in case]
COMPARED_FIELDS = ("value", "lemma", "category", "vague", "partitive")


def _case_id(case: dict) -> str:
    return case["why"]


def _expected(item: dict) -> dict:
    expected = {field: item.get(field, False) for field in COMPARED_FIELDS}
    expected["lemma"] = normalize(item["lemma"])
    if "weapon" in item:
        expected["weapon"] = item["weapon"]
    return expected


def _found(quantity: Quantity, fields: dict) -> dict:
    return {field: getattr(quantity, field) for field in fields}


def test_there_are_enough_cases():
    assert len(QUANTITY_CASES) >= 60
    assert len(NUMBER_CASES) >= 20


@pytest.mark.parametrize("case", QUANTITY_CASES, ids=_case_id)
def test_find_quantities(case):
    text = normalize(case["text"])
    expected = [_expected(item) for item in case["expect"]]
    found = find_quantities(text)
    assert [_found(quantity, item) for quantity, item in zip(found, expected)] == expected
    assert len(found) == len(expected)
    for quantity in found:
        assert text[quantity.start : quantity.end] == quantity.text


@pytest.mark.parametrize("case", NUMBER_CASES, ids=_case_id)
def test_parse_number(case):
    assert parse_number(normalize(case["phrase"])) == case["value"]


@pytest.mark.parametrize(
    ("text", "span_text"),
    [
        ("بثلاثة صواريخ", "ثلاثه صواريخ"),
        ("بـ2500 عسكري", "2500 عسكري"),
        ("وقذيفتي هاون", "قذيفتي"),
        ("بالصواريخ الثلاثة", "الصواريخ الثلاثه"),
        ("وعدد من الصواريخ", "عدد من الصواريخ"),
        ("صاروخين اثنين", "صاروخين اثنين"),
    ],
)
def test_span_covers_number_and_noun_without_proclitics(text, span_text):
    (quantity,) = find_quantities(normalize(text))
    assert quantity.text == span_text


def test_quantities_come_in_text_order_across_an_article():
    text = normalize(
        "سقطت ثلاثة صواريخ كاتيوشا على المنطقة الخضراء، ما أدى إلى إصابة مدنيين اثنين. "
        "وأوضح مصدر أن أحد الصواريخ سقط قرب مجمع سكني، فأصيب مدنيان بشظايا."
    )
    found = find_quantities(text)
    assert [(q.value, q.lemma, q.partitive) for q in found] == [
        (3, "صاروخ", False),
        (2, "مدني", False),
        (1, "صاروخ", True),
        (2, "مدني", False),
    ]
    assert [q.start for q in found] == sorted(q.start for q in found)


@pytest.mark.parametrize(("word", "rank"), [("الأول", 1), ("الثالثة", 3), ("عاشر", 10), ("ثلاثة", None)])
def test_ordinal_value(word, rank):
    assert ordinal_value(normalize(word)) == rank


def test_lexicon_files_are_well_formed():
    with NUMBER_WORDS_CSV.open(encoding="utf-8", newline="") as handle:
        number_rows = list(csv.DictReader(handle))
    with COUNT_NOUNS_CSV.open(encoding="utf-8", newline="") as handle:
        noun_rows = list(csv.DictReader(handle))
    kinds = {"cardinal", "ordinal", "tens", "hundreds", "thousands", "vague"}
    for row in number_rows:
        assert row["kind"] in kinds, row
        assert (row["value"] == "") == (row["kind"] == "vague"), row
    for row in noun_rows:
        assert row["number"] in {"singular", "dual", "plural"}, row
        assert row["category"] in {"projectile", "person"}, row
        assert row["weapon"] in {"", "rocket", "mortar", "drone", "ied", "missile"}, row
    forms = [normalize(row["form"]) for row in noun_rows]
    assert len(forms) == len(set(forms)), "a form is listed twice once normalized"
