"""Near-copy detection: MinHash signatures of word shingles, LSH banding, verification.

From normalized text to near-copy pairs:

1. **Words** are maximal runs of word characters (what the regex ``\\w`` matches: letters,
   digits, underscore). Punctuation and spaces only separate words, so ``قال،`` and ``قال``
   are the same word.
2. **Shingles** are the runs of ``shingle_words`` consecutive words, each hashed to 32 bits.
   A text with fewer words than that has one shingle made of the words it has.
3. **Signature**: for each of ``num_perm`` hash functions, the smallest value it gives over the
   article's shingles. Two articles agree on one position with probability equal to the
   Jaccard similarity of their shingle sets, so the share of equal positions estimates it.
4. **Bands**: the first ``bands * rows`` positions are cut into ``bands`` bands of ``rows``
   positions, each hashed to one int64 key. Articles that share a key in the same band are
   candidates; stored as ``(article_id, band, band_key)`` rows this is an SQL equi-join, and a
   nightly run only looks up the keys of its new articles.
5. **Verification**: a candidate pair is a near copy when its estimated Jaccard similarity is at
   least ``threshold``.

The hash functions are ``h(x) = (a * x + b) mod 2**64 >> 32`` on 32-bit shingle hashes with
random 64-bit ``a`` and ``b``: Dietzfelbinger's multiply-add-shift scheme, as strongly universal
as ``(a * x + b) mod p`` but without a division, and twice as fast in numpy as the Mersenne-prime
form (measured on this stage: 2.0 s against 4.1 s for 100k articles of 500 words). Every hash
here is integer arithmetic on constants derived from fixed seeds with SplitMix64, never Python's
``hash()`` (salted per process) and never numpy's random generators (whose streams numpy does
not promise to keep), so signatures stored in the database stay comparable with later runs.
Changing ``num_perm``, ``shingle_words`` or ``seed`` makes stored signatures incomparable;
changing ``threshold`` or ``false_negative_weight`` changes the bands and so the stored band
keys (recomputable from the stored signatures with :func:`band_keys`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_U64 = np.uint64
_MASK64 = (1 << 64) - 1

# Batches of about this many characters keep the intermediate arrays of shingling and of the
# hash-function loop inside the CPU caches: 2**16 to 2**19 measured fastest (2**14: half speed).
_BATCH_CHARS = 1 << 18
# Candidate pairs are verified in chunks so that the gathered signatures stay small.
_VERIFY_CHUNK = 1 << 16

# Fixed seeds of the word and shingle hashes: shingle hashes do not depend on MinHashParams.seed,
# so that the same text has the same shingles under every setting.
_WORD_BASE_SEED = 0x5EED_0001
_SHINGLE_SEED = 0x5EED_0002
_BAND_SEED = 0x5EED_0003


def _splitmix64(seed: int, count: int) -> np.ndarray:
    """``count`` pseudo-random 64-bit integers from ``seed`` (Steele, Lea & Flood's SplitMix64)."""
    state = seed & _MASK64
    values = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & _MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        values.append(z ^ (z >> 31))
    return np.array(values, dtype=_U64)


def _fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: a bijection that makes every output bit depend on all
    input bits, which the polynomial and linear combinations below do not."""
    values = values ^ (values >> _U64(33))
    values *= _U64(0xFF51AFD7ED558CCD)
    values ^= values >> _U64(33)
    values *= _U64(0xC4CEB9FE1A85EC53)
    values ^= values >> _U64(33)
    return values


# The word hash is a polynomial in an odd base, which is invertible modulo 2**64.
_WORD_BASE = int(_splitmix64(_WORD_BASE_SEED, 1)[0]) | 1
_WORD_BASE_INVERSE = pow(_WORD_BASE, -1, 1 << 64)


def _powers(base: int, count: int) -> np.ndarray:
    powers = np.empty(count, dtype=_U64)
    powers[:1] = 1
    np.cumprod(np.full(count - 1, base, dtype=_U64), out=powers[1:])
    return powers


class _PowerTables:
    """Powers of the word base and of its inverse, shared by all batches and grown on demand.

    Prefect may run tasks in threads: the pair of tables is replaced whole, so a reader holds
    an old or a new pair, both correct; the lock keeps two threads from growing it at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables = (_powers(_WORD_BASE, _BATCH_CHARS), _powers(_WORD_BASE_INVERSE, _BATCH_CHARS))

    def get(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        tables = self._tables
        if len(tables[0]) < count:
            with self._lock:
                tables = self._tables
                if len(tables[0]) < count:
                    size = max(count, 2 * len(tables[0]))
                    tables = (_powers(_WORD_BASE, size), _powers(_WORD_BASE_INVERSE, size))
                    self._tables = tables
        return tables[0][:count], tables[1][:count]


_POWER_TABLES = _PowerTables()


@lru_cache(maxsize=1)
def _word_char_table() -> np.ndarray:
    """For each code point of the Basic Multilingual Plane, whether ``\\w`` matches it.

    Code points beyond it (emoji, rare scripts) are treated as separators.
    """
    return np.array([chr(c).isalnum() or c == 0x5F for c in range(0x10000)], dtype=bool)


@lru_cache(maxsize=None)
def _shingle_multipliers(shingle_words: int) -> np.ndarray:
    return _splitmix64(_SHINGLE_SEED, shingle_words)


@lru_cache(maxsize=None)
def _band_multipliers(rows: int) -> np.ndarray:
    return _splitmix64(_BAND_SEED, rows)


@lru_cache(maxsize=None)
def _hash_functions(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    coefficients = _splitmix64(seed, 2 * num_perm)
    return coefficients[:num_perm], coefficients[num_perm:]


@lru_cache(maxsize=None)
def _optimal_bands_rows(threshold: float, num_perm: int, false_negative_weight: float) -> tuple[int, int]:
    """The (bands, rows) with bands * rows <= num_perm that minimise the weighted sum of the
    false positive probability (similarity below the threshold, yet one band equal) and the
    false negative probability (similarity above it, yet no band equal), each integrated over
    the similarity: datasketch's criterion, on a fixed grid instead of adaptive quadrature so
    that the choice is the same on every machine.
    """
    candidates = np.array(
        [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=float
    )
    bands, rows = candidates[:, :1], candidates[:, 1:]
    below = np.linspace(0.0, threshold, 2001)
    above = np.linspace(threshold, 1.0, 2001)
    false_positive = np.trapezoid(1.0 - (1.0 - below**rows) ** bands, below, axis=1)
    false_negative = np.trapezoid((1.0 - above**rows) ** bands, above, axis=1)
    # Rounding keeps last-bit differences between machines from deciding a near tie.
    error = np.round((1.0 - false_negative_weight) * false_positive + false_negative_weight * false_negative, 9)
    best = int(np.argmin(error))
    return int(candidates[best, 0]), int(candidates[best, 1])


@dataclass(frozen=True)
class MinHashParams:
    """Settings of near-copy detection; the first three defaults are those of
    ``incidents.settings.Settings``."""

    num_perm: int = 128
    shingle_words: int = 3  # word n-grams of normalized text
    threshold: float = 0.6  # estimated Jaccard at or above which two articles are near copies
    seed: int = 1
    # Weight of pairs the bands miss against that of needless candidates (1 - weight) when
    # bands and rows are chosen. A needless candidate costs one signature comparison, a missed
    # pair is lost. At 0.5 (datasketch's default) the bands for threshold 0.6 are 18 x 7, whose
    # detection curve is halfway at similarity 0.66, and the benchmark's recall drops from 0.98
    # to 0.96; at 0.7 they are 21 x 6, halfway at 0.60.
    false_negative_weight: float = 0.7

    def __post_init__(self) -> None:
        if self.num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, not {self.num_perm}")
        if self.shingle_words < 1:
            raise ValueError(f"shingle_words must be at least 1, not {self.shingle_words}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 0.0 < self.false_negative_weight < 1.0:
            raise ValueError(f"false_negative_weight must be in (0, 1), not {self.false_negative_weight}")

    @property
    def bands(self) -> int:
        return self._bands_rows[0]

    @property
    def rows(self) -> int:
        return self._bands_rows[1]

    @property
    def _bands_rows(self) -> tuple[int, int]:
        return _optimal_bands_rows(self.threshold, self.num_perm, self.false_negative_weight)


def _text_batches(texts: Sequence[str]) -> Iterator[Sequence[str]]:
    start, chars = 0, 0
    for end, text in enumerate(texts, start=1):
        chars += len(text) + 1
        if chars >= _BATCH_CHARS:
            yield texts[start:end]
            start, chars = end, 0
    if start < len(texts):
        yield texts[start:]


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the words of ``texts`` in order, and the number of words of each text."""
    # One newline between texts: a separator, so no word spans two texts.
    codes = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype="<u4")
    is_word = _word_char_table()[np.minimum(codes, 0xFFFF)]
    edges = np.diff(is_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    word_starts = np.flatnonzero(edges == 1)
    word_ends = np.flatnonzero(edges == -1)
    # Prefix sums of code * base**position give every word's polynomial hash in two lookups;
    # multiplying by base**-start makes it independent of where the word stands.
    powers, inverse_powers = _POWER_TABLES.get(len(codes))
    prefix = np.zeros(len(codes) + 1, dtype=_U64)
    np.cumsum(codes * powers, out=prefix[1:])
    hashes = _fmix64((prefix[word_ends] - prefix[word_starts]) * inverse_powers[word_starts])

    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    text_starts = np.cumsum(lengths) - lengths
    text_of_word = np.searchsorted(text_starts, word_starts, side="right") - 1
    return hashes, np.bincount(text_of_word, minlength=len(texts))


def _shingle_hash_batch(texts: Sequence[str], shingle_words: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of the shingles of ``texts`` in order (repeats kept), and how many each
    text has (at least one)."""
    word_hashes, word_counts = _word_hashes(texts)
    # Each text's words followed by `shingle_words` zeros: a text shorter than one shingle (even
    # one without words) gets one shingle of its words and zeros, and no shingle takes words of
    # two texts.
    padding = shingle_words
    padded = np.zeros(len(word_hashes) + padding * len(texts), dtype=_U64)
    text_of_word = np.repeat(np.arange(len(texts)), word_counts)
    padded[np.arange(len(word_hashes)) + padding * text_of_word] = word_hashes
    shingle_counts = np.maximum(word_counts - shingle_words + 1, 1)
    padded_starts = np.cumsum(word_counts + padding) - (word_counts + padding)
    first_shingle = np.cumsum(shingle_counts) - shingle_counts
    starts = np.repeat(padded_starts - first_shingle, shingle_counts) + np.arange(shingle_counts.sum())

    multipliers = _shingle_multipliers(shingle_words)
    combined = padded[starts] * multipliers[0]
    for offset in range(1, shingle_words):
        combined += padded[starts + offset] * multipliers[offset]
    return (_fmix64(combined) >> _U64(32)).astype(np.uint32), shingle_counts


def shingle_hashes(normalized_text: str, shingle_words: int) -> np.ndarray:
    """Sorted distinct uint32 hashes of the word shingles of one normalized text.

    The same in every process and run. A text with fewer than ``shingle_words`` words (even
    none) has one shingle.
    """
    hashes, _ = _shingle_hash_batch([normalized_text], shingle_words)
    return np.unique(hashes)


def signatures(normalized_texts: Sequence[str], params: MinHashParams = MinHashParams()) -> np.ndarray:
    """MinHash signatures, shape ``(len(normalized_texts), params.num_perm)``, dtype uint32."""
    multipliers, offsets = _hash_functions(params.num_perm, params.seed)
    result = np.empty((len(normalized_texts), params.num_perm), dtype=np.uint32)
    done = 0
    for batch in _text_batches(normalized_texts):
        shingles, counts = _shingle_hash_batch(batch, params.shingle_words)
        shingles = shingles.astype(_U64)
        segment_starts = np.cumsum(counts) - counts
        hashed = np.empty_like(shingles)
        minima = np.empty((len(batch), params.num_perm), dtype=_U64)
        # One hash function at a time over all shingles of the batch: long 1-D operations and
        # one reduceat per function beat a (shingles x num_perm) matrix, which leaves the caches.
        for index in range(params.num_perm):
            np.multiply(shingles, multipliers[index], out=hashed)
            hashed += offsets[index]
            minima[:, index] = np.minimum.reduceat(hashed, segment_starts)
        # The high half is the hash; the minimum of the full value has the minimum high half.
        result[done : done + len(batch)] = minima >> _U64(32)
        done += len(batch)
    return result


def band_keys(signatures: np.ndarray, params: MinHashParams = MinHashParams()) -> np.ndarray:
    """One int64 key per band, shape ``(n, params.bands)``: equal bands give equal keys, and
    different bands collide with probability about 2**-64."""
    count = len(signatures)
    bands = signatures[:, : params.bands * params.rows].reshape(count, params.bands, params.rows)
    multipliers = _band_multipliers(params.rows)
    keys = np.zeros((count, params.bands), dtype=_U64)
    for row in range(params.rows):
        keys += bands[:, :, row].astype(_U64) * multipliers[row]
    return keys.view(np.int64)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise share of equal signature positions: the estimated Jaccard similarity."""
    return np.asarray(np.mean(sig_a == sig_b, axis=-1))


def candidate_pairs(keys_new: np.ndarray, keys_old: np.ndarray | None = None) -> np.ndarray:
    """Pairs of articles that share a key in some band, at least one of them new.

    The articles are numbered as if the new ones were appended to the old ones: old article
    ``j`` is ``j``, new article ``i`` is ``len(keys_old) + i``. Returns an int64 array of shape
    ``(k, 2)`` of rows ``(i, j)``: ``i`` indexes ``keys_new`` and ``j < len(keys_old) + i`` is
    the earlier article of the pair, so each pair appears once, sorted. This is the in-memory
    form of the pipeline's join on ``(band, band_key)``.
    """
    old_count = 0 if keys_old is None else len(keys_old)
    total = old_count + len(keys_new)
    new_ids = old_count + np.arange(len(keys_new))
    found = []
    for band in range(keys_new.shape[1]):
        new_keys = keys_new[:, band]
        if keys_old is None:
            keys, ids = new_keys, new_ids
        else:
            # Old articles that match no new key cannot be in a pair: leave them out of the sort.
            old_matching = np.flatnonzero(np.isin(keys_old[:, band], new_keys))
            keys = np.concatenate([keys_old[old_matching, band], new_keys])
            ids = np.concatenate([old_matching, new_ids])
        order = np.lexsort((ids, keys))
        keys, ids = keys[order], ids[order]
        group_starts_here = np.ones(len(keys), dtype=bool)
        group_starts_here[1:] = keys[1:] != keys[:-1]
        group_start = np.flatnonzero(group_starts_here)[np.cumsum(group_starts_here) - 1]
        # Within a group ids ascend: a new article pairs with every member before it.
        earlier_count = np.arange(len(keys)) - group_start
        later = np.flatnonzero((ids >= old_count) & (earlier_count > 0))
        pair_counts = earlier_count[later]
        later_positions = np.repeat(later, pair_counts)
        rank = np.arange(pair_counts.sum()) - np.repeat(np.cumsum(pair_counts) - pair_counts, pair_counts)
        earlier_ids = ids[group_start[later_positions] + rank]
        # One int64 per pair, so that np.unique drops the pairs found in several bands.
        found.append((ids[later_positions] - old_count) * total + earlier_ids)
    codes = np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return np.stack([codes // total, codes % total], axis=1).astype(np.int64)


def pair_similarities(
    pairs: np.ndarray, new_signatures: np.ndarray, old_signatures: np.ndarray | None = None
) -> np.ndarray:
    """Estimated Jaccard similarity of each ``(i, j)`` pair numbered as by :func:`candidate_pairs`."""
    old_count = 0 if old_signatures is None else len(old_signatures)
    similarities = np.empty(len(pairs), dtype=float)
    for start in range(0, len(pairs), _VERIFY_CHUNK):
        chunk = pairs[start : start + _VERIFY_CHUNK]
        others = np.empty((len(chunk), new_signatures.shape[1]), dtype=new_signatures.dtype)
        is_old = chunk[:, 1] < old_count
        if old_signatures is not None:
            others[is_old] = old_signatures[chunk[is_old, 1]]
        others[~is_old] = new_signatures[chunk[~is_old, 1] - old_count]
        similarities[start : start + len(chunk)] = estimated_jaccard(new_signatures[chunk[:, 0]], others)
    return similarities


@dataclass(frozen=True)
class NearCopies:
    """What :func:`near_copies` found, and what the pipeline stores for the next run."""

    signatures: np.ndarray  # (n_new, num_perm) uint32
    band_keys: np.ndarray  # (n_new, bands) int64
    pairs: np.ndarray  # (k, 2) int64, numbered as by candidate_pairs: (new, earlier)
    similarities: np.ndarray  # (k,) estimated Jaccard, each >= threshold


def near_copies(
    normalized_texts: Sequence[str],
    params: MinHashParams = MinHashParams(),
    old_signatures: np.ndarray | None = None,
) -> NearCopies:
    """Near copies among ``normalized_texts`` and between them and earlier articles.

    ``old_signatures`` are the stored signatures of earlier articles (same ``params``).
    """
    new_signatures = signatures(normalized_texts, params)
    new_keys = band_keys(new_signatures, params)
    old_keys = None if old_signatures is None else band_keys(old_signatures, params)
    pairs = candidate_pairs(new_keys, old_keys)
    similarities = pair_similarities(pairs, new_signatures, old_signatures)
    keep = similarities >= params.threshold
    return NearCopies(new_signatures, new_keys, pairs[keep], similarities[keep])
