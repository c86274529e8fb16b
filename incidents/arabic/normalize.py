"""Normalization for matching, with a way back to the original text.

The pipeline is camel-tools' own: Unicode compatibility normalization, ``arclean``,
dediacritization, alef / alef maqsura / teh marbuta normalization, tatweel removal. Every one of
these steps acts on single characters, so the whole pipeline is precomputed into one
``str.translate`` table: normalizing a 3 KB article is one C-level pass, not a Python loop.
Evidence is shown in the original text, so ``normalize_with_offsets`` also returns, for every
normalized character, the index of the original character it came from.
"""

from __future__ import annotations

import re
from functools import lru_cache

from camel_tools.utils.charmap import CharMapper
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
    normalize_unicode,
)
from camel_tools.tokenizers.word import simple_word_tokenize

_TATWEEL = "\u0640"
# Blocks whose characters can change under the pipeline; everything else maps to itself.
_RANGES = (
    (0x0000, 0x0250),  # ASCII, Latin-1, Latin Extended
    (0x0600, 0x0780),  # Arabic, Arabic Supplement
    (0x08A0, 0x0900),  # Arabic Extended-A
    (0x2000, 0x2070),  # General Punctuation (zero-width marks, dashes, quotes)
    (0xFB50, 0xFE00),  # Arabic Presentation Forms-A
    (0xFE70, 0xFF00),  # Arabic Presentation Forms-B
    (0xFF00, 0xFFF0),  # full-width forms
)
_SPACE_RE = re.compile(r"\s+")
# Some outlets break sensitive words with a tatweel and a dot so that platforms do not flag them
# (هجـ.ـوم، غـ.ـارات، برشـ.قـ.ـات): a dot that touches a tatweel inside a word is no punctuation.
_MASKING_DOT_RE = re.compile("(?<=\u0640)\\.(?=[\u0621-\u064a\u0640])|(?<=[\u0621-\u064a])\\.(?=\u0640)")


@lru_cache(maxsize=1)
def _arclean() -> CharMapper:
    return CharMapper.builtin_mapper("arclean")


def _normalize_char(ch: str) -> str:
    out = normalize_unicode(ch)
    out = _arclean()(out)
    out = dediac_ar(out)
    out = normalize_alef_ar(out)
    out = normalize_alef_maksura_ar(out)
    out = normalize_teh_marbuta_ar(out)
    out = out.replace(_TATWEEL, "")
    # Matching is case-blind for Latin text, and every kind of space is one kind.
    out = out.lower()
    if out.isspace():
        out = " "
    return out


@lru_cache(maxsize=1)
def translation_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            mapped = _normalize_char(ch)
            if mapped != ch:
                table[cp] = mapped
    # arclean keeps the Arabic comma and semicolon; matching treats them as their ASCII forms.
    table[ord("،")] = ","
    table[ord("؛")] = ";"
    table[ord("؟")] = "?"
    for quote in "“”«»„‟″":
        table[ord(quote)] = '"'
    return table


@lru_cache(maxsize=1)
def _translation_by_code_point() -> list[str | int]:
    """``translation_table`` as a list indexed by code point (a character past its end maps to
    itself): ``str.translate`` indexes a list nearly twice as fast as it hashes into a dict."""
    table = translation_table()
    return [table.get(code, code) for code in range(max(table) + 1)]


def _masked(text: str) -> bool:
    return "\u0640." in text or ".\u0640" in text


def normalize(text: str) -> str:
    """The matching form of ``text`` (same number of lines; runs of spaces kept)."""
    if _masked(text):
        text = _MASKING_DOT_RE.sub("", text)
    return text.translate(_translation_by_code_point())


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalized text and, for each of its characters, the index of its source character.

    The list has one extra entry (``len(text)``) so that an end offset maps back too. Most
    characters map to one character; only the runs between those that vanish (diacritics,
    tatweel) or grow (ligatures) are counted apart, so the offsets of a sentence without them
    are one ``range``.
    """
    if _masked(text):
        kept = [index for index in range(len(text)) if not _masking_dot_at(text, index)]
        normalized, offsets = normalize_with_offsets("".join(text[index] for index in kept))
        kept.append(len(text))
        return normalized, [kept[offset] for offset in offsets]
    table = translation_table()
    offsets: list[int] = []
    position = 0
    for found in _not_one_to_one().finditer(text):
        index = found.start()
        offsets.extend(range(position, index))
        offsets.extend([index] * len(table[ord(found.group())]))
        position = index + 1
    offsets.extend(range(position, len(text) + 1))
    return normalize(text), offsets


def _masking_dot_at(text: str, index: int) -> bool:
    return text[index] == "." and _MASKING_DOT_RE.match(text, index) is not None


@lru_cache(maxsize=1)
def _not_one_to_one() -> re.Pattern:
    """The characters that normalize to none or to several characters."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code, mapped in sorted(translation_table().items())
                                     if len(mapped) != 1) + "]")


def original_span(offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """Maps a [start, end) span of normalized text back to the original text."""
    if end <= start:
        return offsets[start], offsets[start]
    return offsets[start], offsets[end - 1] + 1


def tokens(normalized_text: str) -> list[str]:
    """Word tokens of already-normalized text (camel-tools' simple tokenizer)."""
    return simple_word_tokenize(normalized_text)


def squeeze_spaces(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()
