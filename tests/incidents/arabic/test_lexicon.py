"""Lexicon matching (incidents.arabic.lexicon): several lexicons read in one walk find what each
finds alone."""

from __future__ import annotations

import pytest

from incidents.arabic import lexicon
from incidents.arabic.lexicon import LexiconSet, PhraseMatcher, cue_matcher, cue_matchers
from incidents.arabic.normalize import normalize

# Lexicons that share words ("مقتل" alone in one, "مقتل احد" in another), so that a phrase of
# one overlaps a phrase of the other.
LEXICONS = {
    "killed": {"قتل": "k", "مقتل": "k", "لقي مصرعه": "k"},
    "denied": {"لم يقتل": "n", "مقتل احد": "n"},
    "attack": {"هجوم": "a", "هجوم صاروخي": "a"},
}
TEXTS = [
    "اسفر الهجوم الصاروخي عن مقتل احد الجنود ولقي مصرعه اخر، ولم يقتل غيرهما.",
    "وقتل جندي في هجوم، ثم هجوم صاروخي ثان ومقتل اثنين.",
    "لا شيء هنا.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_set_finds_what_each_lexicon_finds_alone(text):
    matchers = {name: PhraseMatcher(entries) for name, entries in LEXICONS.items()}
    normalized = normalize(text)
    together = LexiconSet(matchers).find_all(normalized)
    assert together == {name: matcher.find_all(normalized) for name, matcher in matchers.items()}


def test_overlapping_lexicons_each_keep_their_match():
    normalized = normalize(TEXTS[0])
    found = LexiconSet({name: PhraseMatcher(entries) for name, entries in LEXICONS.items()}).find_all(normalized)
    assert [m.phrase for m in found["killed"]] == [normalize("مقتل"), normalize("لقي مصرعه")]
    assert [m.phrase for m in found["denied"]] == [normalize("مقتل احد"), normalize("لم يقتل")]
    assert found["attack"] == [], "the article ال comes off only for lexicons that ask for it"
    found = LexiconSet({name: PhraseMatcher(entries) for name, entries in LEXICONS.items()}).find_all(normalize(TEXTS[1]))
    assert [m.phrase for m in found["attack"]] == [normalize("هجوم"), normalize("هجوم صاروخي")]
    assert [m.phrase for m in found["killed"]] == [normalize("قتل"), normalize("مقتل")]


def test_the_cue_set_reads_sentences_as_the_cue_lexicons_do():
    kinds = ("attack_noun", "event_verb", "killed", "injured", "no_casualties", "no_killed", "claim", "update")
    sentence = normalize("وأعلنت الفصائل مسؤوليتها عن الهجوم الذي أسفر عن مقتل جنديين وإصابة ثلاثة آخرين، "
                         "ولم يسفر الهجوم الثاني عن إصابات، وارتفع عدد القتلى لاحقا.")
    found = cue_matchers(kinds).find_all(sentence)
    assert found == {kind: cue_matcher(kind).find_all(sentence) for kind in kinds}
    assert found["attack_noun"] and found["killed"] and found["injured"]


def test_lexicons_that_take_clitics_off_differently_do_not_share_a_walk():
    with pytest.raises(ValueError):
        LexiconSet({"plain": PhraseMatcher({"هجوم": 1}), "definite": PhraseMatcher({"هجوم": 1}, definite_too=True)})


def test_matchers_find_the_same_after_their_word_memo_is_dropped(monkeypatch):
    monkeypatch.setattr(lexicon, "_MEMO_WORDS", 3)   # every few words the memo starts again
    matchers = {name: PhraseMatcher(entries) for name, entries in LEXICONS.items()}
    lexicon_set = LexiconSet(matchers)
    for text in TEXTS * 2:
        normalized = normalize(text)
        assert lexicon_set.find_all(normalized) == {name: m.find_all(normalized) for name, m in matchers.items()}
    assert len(lexicon_set._lexicons_started) <= 3 and len(matchers["killed"]._starts_phrase) <= 3
    normalized = normalize(TEXTS[0])
    assert [m.phrase for m in matchers["killed"].find_all(normalized)] == [normalize("مقتل"), normalize("لقي مصرعه")]
