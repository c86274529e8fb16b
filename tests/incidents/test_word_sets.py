"""The text level of many pairs at once (``WordSets.overlaps``) is the very float that one pair's
sets give (``one_pair``, the definition): a pair whose similarity is exactly on a level's floor (shared
words worth 3.00 of 10.00) must fall on the same side of it both ways, or a night and a full
regroup would weigh one pair differently."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.linkage.words import RARITY_UNIT, ReportWords, WordSets, _rarities, rarity_units, total_rarity

# Words of every rarity wordfreq gives, and words it does not know (the rarest).
KNOWN = sorted(_rarities())[::50]
WORDS = KNOWN + [f"كلمة{number}" for number in range(200)]


def one_pair(a: ReportWords, b: ReportWords) -> float:
    """Rarity-weighted Jaccard similarity of two reports' sets: the shared words' rarity over the
    rarity of all their words."""
    shared = total_rarity(a.words & b.words)
    union = a.rarity + b.rarity - shared
    return shared / union if union > 0 else 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.frozensets(st.sampled_from(WORDS), max_size=120), min_size=1, max_size=12))
def test_many_pairs_give_the_floats_of_one_pair(word_sets):
    reports = [ReportWords.of(words) for words in word_sets]
    pairs = list(itertools.product(range(len(reports)), repeat=2))
    a, b = np.array([x for x, _ in pairs]), np.array([y for _, y in pairs])
    found = WordSets.of(reports).overlaps(a, b)
    assert found.tolist() == [one_pair(reports[x], reports[y]) for x, y in pairs]


def test_sums_that_floats_round_differently_in_another_order():
    # Thousands of shared words of many rarities: a plain float sum in another order than fsum's
    # differs in its last bits; the whole-number sum does not.
    rng = random.Random(3)
    common = frozenset(rng.sample(KNOWN, 2000))
    rarities = [_rarities()[word] for word in sorted(common)]
    assert sum(rarities) != math.fsum(rarities)
    reports = [ReportWords.of(common | frozenset(rng.sample(WORDS, 300))) for _ in range(6)]
    pairs = [(x, y) for x in range(6) for y in range(6)]
    found = WordSets.of(reports).overlaps(np.array([x for x, _ in pairs]), np.array([y for _, y in pairs]))
    assert found.tolist() == [one_pair(reports[x], reports[y]) for x, y in pairs]


def test_every_rarity_is_a_whole_number_of_units():
    units = rarity_units(WORDS)
    assert units.min() >= 0 and (units * RARITY_UNIT <= 6.0).all()


def test_reports_without_words_share_nothing():
    reports = [ReportWords.of(frozenset()), ReportWords.of(frozenset(WORDS[:5]))]
    assert WordSets.of(reports).overlaps(np.array([0, 0, 1]), np.array([0, 1, 1])).tolist() == [0.0, 0.0, 1.0]
