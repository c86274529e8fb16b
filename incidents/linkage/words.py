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

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from stop_words import get_stop_words
from wordfreq import get_frequency_dict

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
MOST_RARE = COMMONEST_ZIPF - RAREST_ZIPF
# At most once in ten thousand words of Arabic (a name, a place, a rare verb): rare enough that two
# reports sharing it are worth comparing.
RARE_ZIPF = 4.0
# A report without any date is found through its rarest words that Arabic knows (a name, a
# place, a quoted phrase's word), which the reports of its attack repeat: over the real set's pairs
# of one attack, sharing one of each other's ten rarest words found 61% (the MinHash bands of
# the whole articles' words, used before, 19%), at 5% of the pairs of two attacks.
RAREST_KEPT = 10
# Every word's rarity (7 minus a Zipf value rounded to hundredths, or MOST_RARE) is a whole number
# of these: summed as whole numbers, the rarities of the words two reports share are exact, and
# rounded once they are the float ``math.fsum`` gives (``WordSets.overlaps``).
RARITY_UNIT = 2.0 ** -52
# A word's units split in two, each summed exactly in a float (below 2 ** 53 over 2 ** 20 words).
_SPLIT = 2 ** 26
# Pairs whose shared words are found at a time (``WordSets.overlaps``): their rows, some hundred
# words each, are copied and merged, about 15 MB at a time (as fast as 20,000 and 80,000 at a time).
_PAIRS_AT_A_TIME = 5_000


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Words every attack report uses: Arabic function words (the ``stop-words`` package's list)
    and the attack vocabulary of ``lexicons/text_common_words.csv``. Sharing them says nothing;
    sharing the rest (names, places, quoted phrases) does. The vocabulary is a list of its own,
    not the extraction lexicons, so that a row added to read a field does not move the links."""
    words = set()
    for word in get_stop_words("arabic"):
        words.update(tokens(normalize(word)))
    for row in read_rows("text_common_words.csv"):
        words.update(tokens(normalize(row["word"])))
    return frozenset(words)


def words_of_normalized(normalized: str) -> frozenset[str]:
    """The uncommon words of an already normalized text."""
    return frozenset(_WORD_RE.findall(normalized)) - common_words()


def sentence_words(text: str) -> frozenset[str]:
    return words_of_normalized(normalize(text))


@lru_cache(maxsize=1)
def _zipf_by_normal_form() -> dict[str, float]:
    """wordfreq's Arabic frequencies keyed by our matching form (several spellings meet in one),
    as Zipf values: log10 of uses per billion words."""
    found: dict[str, float] = {}
    for word, frequency in itertools.islice(get_frequency_dict("ar").items(), KNOWN_WORDS):
        form = normalize(word)
        zipf = round(math.log10(frequency) + 9, 2)   # as wordfreq.zipf_frequency gives it
        if zipf > found.get(form, 0.0):
            found[form] = zipf
    return found


@lru_cache(maxsize=1)
def _rarities() -> dict[str, float]:
    """How much sharing each (normalized) word says: 0 for the commonest words, MOST_RARE for the
    rarest and for words wordfreq does not know."""
    return {form: max(0.0, COMMONEST_ZIPF - max(zipf, RAREST_ZIPF)) for form, zipf in _zipf_by_normal_form().items()}


@lru_cache(maxsize=1)
def _rare_known() -> dict[str, float]:
    return {form: zipf for form, zipf in _zipf_by_normal_form().items() if zipf <= RARE_ZIPF}


def rarest_known(words: frozenset[str], count: int) -> list[str]:
    """The ``count`` rarest of these words that wordfreq knows and that are rare enough to name
    something (RARE_ZIPF or less): a word it does not know is most often a misspelling or a form
    no other report writes the same way, and "building" or "ministry" name nothing."""
    rare = _rare_known()
    return sorted(rare.keys() & words, key=lambda word: (rare[word], word))[:count]


def total_rarity(words: frozenset[str]) -> float:
    # fsum: exactly rounded whatever the order, and a set's order follows the process's string
    # hashing: a plain sum gave 711.42 in one worker process and 711.4200000000003 in another.
    return math.fsum(map(_rarities().get, words, itertools.repeat(MOST_RARE)))


@dataclass(frozen=True, slots=True)
class ReportWords:
    """A report's uncommon words with what linkage derives from them, made once per article (at
    load, stored in ``article_words``) rather than once per comparison."""

    words: frozenset[str]
    rarity: float                  # their summed rarity
    rarest: tuple[str, ...]        # the RAREST_KEPT rarest of them (``rarest_known``)

    @classmethod
    def of(cls, words: frozenset[str]) -> "ReportWords":
        return cls(words, total_rarity(words), tuple(rarest_known(words, RAREST_KEPT)))


def rarity_units(words: Iterable[str]) -> np.ndarray:
    """Each word's rarity (``total_rarity`` of it alone) as a whole number of RARITY_UNITs."""
    rarities = _rarities()
    units = np.fromiter((rarities.get(word, MOST_RARE) for word in words), np.float64) / RARITY_UNIT
    if not np.array_equal(units, np.floor(units)):
        raise ValueError("a word's rarity is not a whole number of RARITY_UNITs: the exact sums need one")
    return units.astype(np.int64)


class WordSets:
    """Many reports' words at once, for the text level of many pairs: a sparse matrix of reports
    by word numbers (1 where a report has the word), each report's summed rarity, and each
    word's rarity in whole RARITY_UNITs. ``overlaps`` gives, for pairs of rows, the very floats
    two sets' ``total_rarity`` (``math.fsum``) would give, without a Python set or sum per pair (800,000 pairs at
    100,000 articles of bench/bench_reconcile.py: 8.7 s as sets, docs/benchmarks.md)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, rarity: np.ndarray, units: np.ndarray):
        # indptr, indices: each report's word numbers (CSR), any order within a report, no repeats;
        # rarity: each report's summed rarity (``ReportWords.rarity``); units: each word's.
        units = np.asarray(units, np.int64)
        self.matrix = sparse.csr_array((np.ones(len(indices), np.int8), np.asarray(indices, np.int32),
                                        np.asarray(indptr, np.int64)), shape=(len(indptr) - 1, len(units)))
        self.matrix.sort_indices()
        self.rarity = np.asarray(rarity, np.float64)
        self._high = (units // _SPLIT).astype(np.float64)
        self._low = (units % _SPLIT).astype(np.float64)

    @classmethod
    def of(cls, reports: Sequence[ReportWords]) -> "WordSets":
        numbers: dict[str, int] = {}
        indices = [numbers.setdefault(word, len(numbers)) for report in reports for word in report.words]
        indptr = np.cumsum([0] + [len(report.words) for report in reports])
        return cls(indptr, np.array(indices, np.int32), [report.rarity for report in reports],
                   rarity_units(numbers))

    def overlaps(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The rarity-weighted Jaccard similarity of rows ``a`` and ``b``: the rarity of the words
        they share over the rarity of all their words."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        shared = np.empty(len(a), np.float64)
        for start in range(0, len(a), _PAIRS_AT_A_TIME):
            x, y = a[start:start + _PAIRS_AT_A_TIME], b[start:start + _PAIRS_AT_A_TIME]
            common = self.matrix[x].multiply(self.matrix[y]).tocsr()
            row = np.repeat(np.arange(len(x)), np.diff(common.indptr))
            high = np.bincount(row, weights=self._high[common.indices], minlength=len(x))
            low = np.bincount(row, weights=self._low[common.indices], minlength=len(x))
            # Both sums are exact; one addition rounds their total as fsum rounds it.
            shared[start:start + len(x)] = (high * _SPLIT + low) * RARITY_UNIT
        union = self.rarity[a] + self.rarity[b] - shared
        return np.divide(shared, union, out=np.zeros(len(a)), where=union > 0)
