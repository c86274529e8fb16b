"""Saved news pages: the headline, the page's own publication time, and the body without the chrome.

The pages in ``cases/html_pages.json`` are written for these tests in the shapes real news sites
use (meta tags, JSON-LD ``@graph``, ``<time>``, a dated canonical url, menus, related links).
"""

import json
from datetime import datetime
from pathlib import Path

import pytest

from incidents.htmltext import read_html
from incidents.textfiles import Unreadable

CASES = json.loads((Path(__file__).parent / "cases" / "html_pages.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_page(case):
    article = read_html(case["html"].encode("utf-8"), "page.html", "Asia/Baghdad")
    expected = case["published_at"]
    assert article.published_at == (datetime.fromisoformat(expected) if expected else None)
    assert article.published_at_origin == ("html" if expected else "none")
    if "title" in case:
        assert article.title == case["title"]
    if "first_line" in case:
        assert article.text.split("\n", 1)[0] == case["first_line"]
    for words in case["contains"]:
        assert words in article.text
    for words in case["excludes"]:
        assert words not in article.text


def test_headline_is_not_repeated_when_the_body_starts_with_it():
    html = ("<html><head><title>انفجار في السوق</title></head><body><article><p>انفجار في السوق</p>"
            "<p>انفجرت عبوة ناسفة صباح اليوم في سوق شعبية وسط المدينة وأدت إلى إصابة ثلاثة من المارة.</p>"
            "</article></body></html>")
    text = read_html(html.encode("utf-8"), "page.html", "Asia/Baghdad").text
    assert text.count("انفجار في السوق") == 1


def test_a_page_without_text_is_rejected_as_empty():
    html = "<html><head><style>p {color: red}</style></head><body><script>var x = 1;</script></body></html>"
    with pytest.raises(Unreadable) as raised:
        read_html(html.encode("utf-8"), "page.html", "Asia/Baghdad")
    assert raised.value.reason == "empty"
