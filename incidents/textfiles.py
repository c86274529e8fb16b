"""Decoding of article bytes and checks that what was decoded is article text."""

from __future__ import annotations

import codecs
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

ARABIC_LETTER_RE = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
LETTER_RE = re.compile(r"[^\W\d_]")
CONTROL_RE = re.compile(r"[\x00-\x08\x0E-\x1F\x7F]")


class Unreadable(Exception):
    """A file or record that cannot become an article; ``reason`` is the short code stored."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read as: UTF-8 (BOM or not), UTF-16 with BOM, Windows-1256."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    if b"\x00" in data:
        raise Unreadable("binary", "contains NUL bytes and has no UTF-16 byte order mark")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        text = data.decode("cp1256", errors="replace")
        # cp1256 maps almost every byte to something: only accept text that reads as Arabic.
        letters = LETTER_RE.findall(text)
        arabic = ARABIC_LETTER_RE.findall(text)
        if "\ufffd" in text or not letters or len(arabic) / len(letters) < 0.5:
            raise Unreadable(
                "undecodable",
                f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
                "and not Arabic text in Windows-1256",
            ) from None
        return text, "cp1256"


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Unreadable("undecodable", f"invalid {encoding} at byte {exc.start}: {exc.reason}") from None


def check_article_text(text: str) -> str:
    """The text, trimmed, if it can be an article; raises ``Unreadable`` otherwise."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Unreadable("empty", "no text")
    if not is_valid_unicode(text):
        raise Unreadable("undecodable", "the text holds a lone UTF-16 surrogate (a JSON escape such as \\ud800)")
    controls = len(CONTROL_RE.findall(text))
    if controls > max(3, len(text) // 100):
        raise Unreadable("binary", f"{controls} control characters: not text")
    if not LETTER_RE.search(text):
        raise Unreadable("no_text", "no letters in the text")
    return CONTROL_RE.sub(" ", text)


def is_valid_unicode(text: str) -> bool:
    """False for text with lone surrogates: JSON escapes can make them, and they cannot be stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_published_at(value, default_timezone: str) -> datetime | None:
    """An ISO 8601 time; one without an offset is taken in the default time zone."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published_at must be a string, not {type(value).__name__}")
    cleaned = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(default_timezone))
    try:
        # Stored in UTC: a time at the edge of the calendar (year 1 at +14:00) has no UTC value.
        parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"published_at {value!r} is out of range") from None
    return parsed
