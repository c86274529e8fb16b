"""Near-copy detection: this project's MinHash core against datasketch, on one synthetic corpus.

    python bench/bench_nearcopy.py --n 20000

Every method gets the same normalized texts and the same word shingles, the same ``num_perm``,
``threshold`` and false-negative weight (so datasketch's optimizer picks the same bands),
finds candidates with LSH bands and keeps the pairs whose estimated Jaccard similarity
reaches the threshold. datasketch runs twice: as it is usually fed (shingle strings,
hashed by its default SHA-1 function) and fed this project's 32-bit shingle hashes through an
identity hash function, which leaves it only the MinHash and LSH work. Times are wall-clock
from a first pass; peak memory comes from a second pass under ``tracemalloc`` (which slows
Python-heavy code, so it is kept out of the timed pass). Found pairs are scored against the
planted ground truth, where an original and its copies, and copies of one original, are linked.
The exit status is 1 when our method misses recall 0.95, precision 0.99, or is not the fastest.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from incidents.arabic.normalize import normalize
from incidents.minhash import (
    MinHashParams,
    band_keys,
    candidate_pairs,
    pair_similarities,
    shingle_hashes,
    signatures,
)
from nearcopy_corpus import make_corpus

# The word definition of incidents.minhash (the same for text in the Basic Multilingual Plane).
_WORD = re.compile(r"\w+")

Pairs = set[tuple[int, int]]


@dataclass
class Outcome:
    method: str
    bands_rows: str
    signature_seconds: float
    query_seconds: float
    candidates: int
    found: Pairs
    peak_bytes: int = 0


def shingle_strings(text: str, shingle_words: int) -> list[bytes]:
    """The shingles of incidents.minhash as UTF-8 strings (same sets, so the same Jaccard)."""
    words = _WORD.findall(text)
    if len(words) < shingle_words:
        return [" ".join(words).encode()]
    return list({" ".join(words[i : i + shingle_words]).encode() for i in range(len(words) - shingle_words + 1)})


def run_ours(texts: list[str], params: MinHashParams) -> Outcome:
    start = time.perf_counter()
    sigs = signatures(texts, params)
    signed = time.perf_counter()
    pairs = candidate_pairs(band_keys(sigs, params))
    similar = pair_similarities(pairs, sigs) >= params.threshold
    found = {(int(j), int(i)) for i, j in pairs[similar]}
    done = time.perf_counter()
    return Outcome(
        "incidents.minhash", f"{params.bands}x{params.rows}", signed - start, done - signed, len(pairs), found
    )


def run_datasketch(
    texts: list[str], params: MinHashParams, method: str, shingles: Callable[[str], list], **minhash_options
) -> Outcome:
    start = time.perf_counter()
    minhashes = MinHash.bulk(
        (shingles(text) for text in texts), num_perm=params.num_perm, seed=params.seed, **minhash_options
    )
    signed = time.perf_counter()
    weights = (1.0 - params.false_negative_weight, params.false_negative_weight)
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm, weights=weights)
    with lsh.insertion_session() as session:
        for key, minhash in enumerate(minhashes):
            session.insert(key, minhash, check_duplication=False)
    candidates = 0
    found: Pairs = set()
    for key, minhash in enumerate(minhashes):
        for other in lsh.query(minhash):
            if other < key:
                candidates += 1
                if minhash.jaccard(minhashes[other]) >= params.threshold:
                    found.add((other, key))
    done = time.perf_counter()
    return Outcome(method, f"{lsh.b}x{lsh.r}", signed - start, done - signed, candidates, found)


def peak_memory(run: Callable[[], Outcome]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def describe_corpus(texts: list[str], truth: Pairs, found: Pairs, params: MinHashParams) -> str:
    """How hard the corpus is: the true Jaccard of the planted pairs and of unplanted pairs found."""
    shingles = {i: shingle_hashes(texts[i], params.shingle_words) for pair in truth | found for i in pair}
    planted = np.array([exact_jaccard(shingles[i], shingles[j]) for i, j in truth])
    unplanted = [exact_jaccard(shingles[i], shingles[j]) for i, j in found - truth]
    return (
        f"planted pairs: {len(truth)}, true shingle Jaccard min {planted.min():.2f}, "
        f"1% {np.quantile(planted, 0.01):.2f}, median {np.median(planted):.2f}, "
        f"below the threshold {np.mean(planted < params.threshold):.1%}; "
        f"unplanted pairs found by any method: {len(unplanted)}"
        + (f", true Jaccard up to {max(unplanted):.2f}" if unplanted else "")
    )


def nightly(texts: list[str], params: MinHashParams, new_count: int) -> str:
    """The incremental case: the last ``new_count`` articles against the stored signatures of
    all earlier ones (computed beforehand, as the database would hold them)."""
    history = signatures(texts[:-new_count], params)
    history_keys = band_keys(history, params)
    start = time.perf_counter()
    new = signatures(texts[-new_count:], params)
    pairs = candidate_pairs(band_keys(new, params), history_keys)
    kept = int(np.sum(pair_similarities(pairs, new, history) >= params.threshold))
    seconds = time.perf_counter() - start
    return (
        f"nightly run: {new_count} new articles against {len(history)} stored: {seconds:.2f} s "
        f"({new_count / seconds:,.0f} new articles/s), {len(pairs)} candidates, {kept} near copies"
    )


def score(found: Pairs, truth: Pairs) -> tuple[float, float]:
    true_found = len(found & truth)
    return true_found / len(truth), (true_found / len(found) if found else 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--copy-share", type=float, default=0.2)
    parser.add_argument("--num-perm", type=int, default=MinHashParams.num_perm)
    parser.add_argument("--threshold", type=float, default=MinHashParams.threshold)
    parser.add_argument("--shingle-words", type=int, default=MinHashParams.shingle_words)
    parser.add_argument(
        "--false-negative-weight", type=float, default=MinHashParams.false_negative_weight,
        help="0.5 gives datasketch's default bands",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    args = parser.parse_args()
    params = MinHashParams(
        num_perm=args.num_perm,
        shingle_words=args.shingle_words,
        threshold=args.threshold,
        false_negative_weight=args.false_negative_weight,
    )

    raw, truth = make_corpus(args.n, seed=args.seed, copy_share=args.copy_share)
    texts = [normalize(text) for text in raw]
    print(
        f"corpus: {len(texts)} articles, mean {np.mean([len(t) for t in texts]):,.0f} characters / "
        f"{np.mean([len(t.split()) for t in texts]):,.0f} words; num_perm {params.num_perm}, "
        f"threshold {params.threshold}, {params.shingle_words}-word shingles"
    )

    runs: list[Callable[[], Outcome]] = [
        lambda: run_ours(texts, params),
        lambda: run_datasketch(
            texts, params, "datasketch (SHA-1 of shingle strings)",
            lambda text: shingle_strings(text, params.shingle_words),
        ),
        lambda: run_datasketch(
            texts, params, "datasketch (our shingle hashes)",
            lambda text: shingle_hashes(text, params.shingle_words).tolist(),
            hashfunc=int,
        ),
    ]
    outcomes = [run() for run in runs]
    if not args.no_memory:
        for outcome, run in zip(outcomes, runs):
            outcome.peak_bytes = peak_memory(run)

    header = (
        f"{'method':40} {'articles':>8} {'sign s':>7} {'LSH+verify s':>12} {'total s':>7} "
        f"{'articles/s':>10} {'peak MiB':>8} {'bands':>6} {'candidates':>10} {'found':>6} "
        f"{'recall':>6} {'precision':>9}"
    )
    print(header)
    print("-" * len(header))
    for outcome in outcomes:
        total = outcome.signature_seconds + outcome.query_seconds
        recall, precision = score(outcome.found, truth)
        peak = f"{outcome.peak_bytes / 2**20:,.0f}" if outcome.peak_bytes else "-"
        print(
            f"{outcome.method:40} {len(texts):>8} {outcome.signature_seconds:>7.2f} "
            f"{outcome.query_seconds:>12.2f} {total:>7.2f} {len(texts) / total:>10,.0f} {peak:>8} "
            f"{outcome.bands_rows:>6} {outcome.candidates:>10} {len(outcome.found):>6} "
            f"{recall:>6.3f} {precision:>9.4f}"
        )
    ours, *theirs = outcomes
    print(describe_corpus(texts, truth, set().union(*(o.found for o in outcomes)), params))
    print(nightly(texts, params, max(1, len(texts) // 20)))

    recall, precision = score(ours.found, truth)
    ours_total = ours.signature_seconds + ours.query_seconds
    slowest_ratio = min((o.signature_seconds + o.query_seconds) / ours_total for o in theirs)
    checks = {
        f"recall {recall:.3f} >= 0.95": recall >= 0.95,
        f"precision {precision:.4f} >= 0.99": precision >= 0.99,
        f"faster than datasketch (at least {slowest_ratio:.1f}x)": slowest_ratio > 1.0,
    }
    for check, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
