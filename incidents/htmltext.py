"""The article in a saved web page: its headline, publication time and main text.

The main text and the headline come from trafilatura, which beat this project's former container
heuristic on 181 real news pages with hand-made ground truth (4-gram F1 0.95 against 0.62;
`bench/bench_html.py`, docs/extraction.md). The publication time comes from the page's own markup
only (`article:published_time` and other meta tags, JSON-LD `datePublished`, `<time datetime>`, a
date in the canonical url), read by htmldate (through trafilatura) with its search of the running
text turned off: a date that merely appears in the article is the attack's, not the page's.

The page is parsed (lxml), never run, and nothing is fetched.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import datetime

from incidents.model import RawArticle
from incidents.textfiles import Unreadable, check_article_text, decode_text, parse_published_at

CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.I)
# The time with its offset where the markup gives one; a bare day (a date in the url) comes as
# midnight without an offset and is read in the default time zone.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# Both libraries log every page they find hard to parse at WARNING: a saved page is input, not
# a fault of the run, and what the reader could not take is reported as a rejection instead.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _decode(data: bytes) -> tuple[str, str]:
    declared = CHARSET_RE.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "ignore").lower()
        if name in ("windows-1256", "cp1256"):
            try:
                return data.decode("cp1256"), "cp1256"
            except UnicodeDecodeError:
                raise Unreadable("undecodable", "declared windows-1256 but is not") from None
    return decode_text(data)


def _published_at(found: str | None, default_timezone: str) -> datetime | None:
    try:
        return parse_published_at(found, default_timezone)
    except ValueError:
        return None


def _first_line(text: str) -> str:
    return " ".join(text.split("\n", 1)[0].split())


@functools.cache
def _extraction_config():
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # its signal-based timeout breaks worker threads
    # Below this many characters trafilatura distrusts what it found and falls back to the whole
    # page, menus included; a one-line urgent item is an article too (F1 unchanged on the bench).
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "50")
    return config


def extract_page(html: str):
    """trafilatura's reading of a page: ``.text``, ``.title``, ``.date``, ``.sitename``, ``.url``."""
    import trafilatura

    return trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, deduplicate=False,
        config=_extraction_config(),
        date_extraction_params={"extensive_search": False, "original_date": True, "outputformat": DATE_FORMAT},
    )


def read_html(data: bytes, source_file: str, default_timezone: str) -> RawArticle:
    text, encoding = _decode(data)
    document = extract_page(text)
    body = (document.text if document else None) or ""
    if not body.strip():
        raise Unreadable("empty", "the page has no article text")
    title = (document.title or "").strip() or None
    # The page shows its headline above the body, and headlines carry the toll and the place:
    # the article as read keeps it, so its values can be cited like any other sentence.
    if title and _first_line(body) != " ".join(title.split()):
        body = f"{title}\n\n{body}"
    published = _published_at(document.date, default_timezone)
    return RawArticle(
        source_file=source_file,
        text=check_article_text(body),
        encoding=encoding,
        published_at=published,
        published_at_origin="html" if published else "none",
        source=(document.sitename or "").strip() or None,
        url=(document.url or "").strip() or None,
        title=title,
    )
