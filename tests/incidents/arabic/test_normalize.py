"""Normalization for matching and the way back to the original text (incidents.arabic.normalize)."""

from __future__ import annotations

import random

import pytest

from incidents.arabic.normalize import normalize, normalize_with_offsets, original_span, translation_table


def offsets_char_by_char(text: str) -> list[int]:
    """What the offsets mean: each normalized character points at the character it came from."""
    table = translation_table()
    offsets = [index for index, ch in enumerate(text) for _ in table.get(ord(ch), ch)]
    return offsets + [len(text)]


# Diacritics and tatweel vanish, the lam-alef ligature becomes two letters, a zero-width
# non-joiner vanishes, Arabic-Indic digits and punctuation map one to one.
TEXTS = [
    "سقطت ثلاثة صواريخ على قاعدة بلد الجوية.",
    "قُتِلَ جنديٌّ وأُصيبَ ثلاثةٌ آخرون في هجـــوم بطائرةٍ مسيّرة، يوم ٣ تشرين الأول/أكتوبر.",
    "\ufefb \ufef5حد، «قاعدة» \u200cعين الأسد؛ Rocket ATTACK!",
    "",
    "\u064b\u0640\ufefb",
]


@pytest.mark.parametrize("text", TEXTS)
def test_offsets_point_at_the_original_characters(text):
    normalized, offsets = normalize_with_offsets(text)
    assert normalized == normalize(text)
    assert offsets == offsets_char_by_char(text)
    assert len(offsets) == len(normalized) + 1


def test_offsets_on_random_text_with_every_kind_of_character():
    alphabet = [chr(code) for code in translation_table()] + list("ابتثجحخدذرسشصضطظعغفقكلمنهوي ،.")
    rng = random.Random(5)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert normalize_with_offsets(text) == (normalize(text), offsets_char_by_char(text)), repr(text)


def test_a_span_of_the_matching_form_maps_back_to_the_words_as_written():
    text = "وقال المتحدث إنّ هجـوماً بطائرةٍ مسيّرة استهدف القاعدة."
    normalized, offsets = normalize_with_offsets(text)
    needle = normalize("بطائرة مسيرة")
    start = normalized.index(needle)
    begin, end = original_span(offsets, start, start + len(needle))
    assert text[begin:end] == "بطائرةٍ مسيّرة"


def test_normalize_reads_every_character_as_the_table_says():
    """Characters the table changes, characters between its entries, and characters past its last
    one (emoji, CJK, astral planes) come out exactly as the mapping of the pipeline says."""
    table = translation_table()
    alphabet = [chr(code) for code in table] + ["ب", "\u2100", "\ufb4f", "\uffef", "\ufff0", "中", "\U0001F600",
                                                "\U00010000", "\x00"]
    rng = random.Random(11)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert normalize(text) == "".join(table.get(ord(ch), ch) for ch in text), repr(text)


def test_a_word_broken_with_tatweel_and_a_dot_reads_as_the_word():
    """Some outlets write هجـ.ـوم، غـ.ـارات so that platforms do not flag the word; a dot that ends
    a sentence after a word stays."""
    text = "شـ.ـنت طائرات غـ.ـارات برشـ.قـ.ـات على المطار. وقتل جندي."
    normalized, offsets = normalize_with_offsets(text)
    assert normalized == normalize(text) == "شنت طائرات غارات برشقات علي المطار. وقتل جندي."
    assert len(offsets) == len(normalized) + 1 and offsets[-1] == len(text)
    start = normalized.index("غارات")
    begin, end = original_span(offsets, start, start + len("غارات"))
    assert text[begin:end] == "غـ.ـارات"
