"""The article in a saved web page: its main text, not menus, footers or related links.

The page is parsed (lxml through BeautifulSoup), never run: scripts and styles are dropped
before any text is taken.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from incidents.model import RawArticle
from incidents.textfiles import Unreadable, check_article_text, decode_text, parse_published_at

CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form",
               "iframe", "svg", "button", "select", "template")
CHROME_HINT_RE = re.compile(r"(^|[-_ ])(nav|menu|footer|header|sidebar|related|share|social|comment|"
                            r"breadcrumb|advert|ads|promo|newsletter|cookie|widget)([-_ ]|$)", re.I)
CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.I)
BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "li", "blockquote")


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


def _is_chrome(tag) -> bool:
    if tag.attrs is None:
        return False
    marks = " ".join(tag.get("class", []) or []) + " " + (tag.get("id") or "") + " " + (tag.get("role") or "")
    return bool(CHROME_HINT_RE.search(marks)) or tag.get("role") in ("navigation", "banner", "contentinfo")


def _block_text(container) -> str:
    blocks = []
    for node in container.find_all(BLOCK_TAGS):
        if node.find_parent(BLOCK_TAGS):
            continue
        text = " ".join(node.get_text(" ", strip=True).split())
        if text:
            blocks.append(text)
    if not blocks:
        blocks = [line.strip() for line in container.get_text("\n").split("\n") if line.strip()]
    return "\n\n".join(blocks)


def main_text(soup: BeautifulSoup) -> str:
    for tag in soup.find_all(CHROME_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_chrome):
        tag.decompose()
    candidates = soup.find_all(["article", "main"]) or []
    if not candidates:
        # The container with the most paragraph text is the article body.
        scored = [
            (sum(len(p.get_text(strip=True)) for p in div.find_all("p", recursive=False)), index, div)
            for index, div in enumerate(soup.find_all(["div", "section"]))
        ]
        scored = [item for item in scored if item[0] > 0]
        if scored:
            candidates = [max(scored, key=lambda item: (item[0], -item[1]))[2]]
    container = max(candidates, key=lambda c: len(c.get_text(strip=True))) if candidates else (soup.body or soup)
    return _block_text(container)


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content", "").strip():
            return tag["content"].strip()
    return None


def read_html(data: bytes, source_file: str, default_timezone: str) -> RawArticle:
    text, encoding = _decode(data)
    soup = BeautifulSoup(text, "lxml")
    title = _meta(soup, "og:title") or (soup.title.get_text(strip=True) if soup.title else None)
    published_raw = _meta(soup, "article:published_time", "date", "pubdate")
    try:
        published = parse_published_at(published_raw, default_timezone)
    except ValueError:
        published = None
    url = _meta(soup, "og:url")
    source = _meta(soup, "og:site_name")
    body = main_text(soup)
    if not body.strip():
        raise Unreadable("empty", "the page has no article text")
    return RawArticle(
        source_file=source_file,
        text=check_article_text(body),
        encoding=encoding,
        published_at=published,
        published_at_origin="html" if published else "none",
        source=source,
        url=url,
        title=title or None,
    )
