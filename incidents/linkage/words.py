"""What a report's words say about which attack it tells: the uncommon words it shares with
another report, each weighed by how rare it is in Arabic.

Reports of one attack share names, places, quoted statements and turns of phrase; reports of two
attacks at one base share the base's name and the news vocabulary. Weighing a shared word by its
rarity in the language (wordfreq's Arabic frequencies, fixed data: a record stays a pure function
of its report) tells the two apart: over every pair of the real-reporting set's articles, the
rarity-weighted overlap of whole articles separates one attack from two with AUC 0.986, the plain
overlap of the attack sentences with 0.816 (docs/reconciliation.md, "Text evidence").
"""

from __future__ import annotations

import re
from functools import lru_cache

from stop_words import get_stop_words
from wordfreq import top_n_list, zipf_frequency

from incidents.arabic.lexicon import read_rows
from incidents.arabic.normalize import normalize, tokens

# A word shorter than this is a particle or a digit: no evidence that two reports tell one attack.
MIN_WORD_LENGTH = 3
# Words as runs of letters: camel-tools' tokenizer (used for the lexicons) splits punctuation off
# as tokens of its own, which this drops anyway, at a fifth of the speed on 100,000 reports.
_WORD_RE = re.compile(r"[^\W\d_]{%d,}" % MIN_WORD_LENGTH)
# The words wordfreq knows (by frequency); a word past them is as rare as its rarest.
KNOWN_WORDS = 200_000
# Zipf frequency is log10 of a word's uses per billion words: 7 is the commonest words', 1 about
# wordfreq's rarest. A word weighs how many powers of ten rarer than the commonest it is.
COMMONEST_ZIPF = 7.0
RAREST_ZIPF = 1.0


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Words every attack report uses: Arabic function words (the ``stop-words`` package's list)
    and the attack vocabulary of our lexicons (cues, weapons, count nouns, calendar, numbers).
    Sharing them says nothing; sharing the rest (names, places, quoted phrases) does."""
    words = set()
    for word in get_stop_words("arabic"):
        words.update(tokens(normalize(word)))
    for name, column in (("cues", "phrase"), ("weapons", "phrase"), ("count_nouns", "form"),
                         ("calendar", "word"), ("number_words", "word")):
        for row in read_rows(f"{name}.csv"):
            words.update(tokens(normalize(row[column])))
    return frozenset(words)


def words_of_normalized(normalized: str) -> frozenset[str]:
    """The uncommon words of an already normalized text."""
    return frozenset(_WORD_RE.findall(normalized)) - common_words()


def sentence_words(text: str) -> frozenset[str]:
    return words_of_normalized(normalize(text))


@lru_cache(maxsize=1)
def _zipf_by_normal_form() -> dict[str, float]:
    """wordfreq's Arabic frequencies keyed by our matching form (several spellings meet in one)."""
    found: dict[str, float] = {}
    for word in top_n_list("ar", KNOWN_WORDS):
        form = normalize(word)
        zipf = zipf_frequency(word, "ar")
        if zipf > found.get(form, 0.0):
            found[form] = zipf
    return found


def rarity(word: str) -> float:
    """How much sharing this (normalized) word says: 0 for the commonest words, 6 for the rarest."""
    zipf = _zipf_by_normal_form().get(word, RAREST_ZIPF)
    return max(0.0, COMMONEST_ZIPF - max(zipf, RAREST_ZIPF))


def total_rarity(words: frozenset[str]) -> float:
    return sum(map(rarity, words))


def weighted_overlap(mine: frozenset[str], theirs: frozenset[str], mine_total: float, theirs_total: float) -> float:
    """Rarity-weighted Jaccard similarity: the shared words' rarity over the rarity of all words."""
    shared = sum(map(rarity, mine & theirs))
    union = mine_total + theirs_total - shared
    return shared / union if union > 0 else 0.0
