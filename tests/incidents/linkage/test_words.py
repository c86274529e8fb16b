"""The text evidence's vocabulary: what two reports sharing a word says about one attack."""

import re
import shutil

import pytest

from incidents import LEXICON_DIR
from incidents.arabic import lexicon
from incidents.arabic.normalize import normalize, tokens
from incidents.linkage import words

GUARDS = "حارسين"   # "two guards" (oblique dual): once added to count_nouns.csv, it left the text evidence


@pytest.fixture
def fresh_vocabulary():
    words.common_words.cache_clear()
    yield
    words.common_words.cache_clear()


def test_the_attack_vocabulary_is_written_as_text_is_matched():
    rows = lexicon.read_rows("text_common_words.csv")
    listed = [row["word"] for row in rows]
    assert len(listed) == len(set(listed)), "a word listed twice"
    for word in listed:
        # Another spelling (أ for ا, ة for ه), two words or a short particle would never be left out.
        assert tokens(normalize(word)) == [word], word
        assert re.fullmatch(r"[^\W\d_]{%d,}" % words.MIN_WORD_LENGTH, word), word


def test_a_row_added_to_an_extraction_lexicon_does_not_change_what_reports_share(tmp_path, monkeypatch,
                                                                                fresh_vocabulary):
    sentence = f"قتل {GUARDS} في هجوم على مقر الشركة"
    before = words.sentence_words(sentence)
    assert GUARDS in before

    directory = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, directory)
    with open(directory / "count_nouns.csv", "a", encoding="utf-8") as handle:
        handle.write(f"{GUARDS},حارس,dual,person,\n")
    monkeypatch.setattr(lexicon, "LEXICON_DIR", directory)
    words.common_words.cache_clear()

    assert words.sentence_words(sentence) == before
