"""Dedupe: exact and near copies of one report, against the whole history.

New articles are normalized and MinHash-signed in parallel batches (``fingerprint_batch``). Their
band keys are joined with the stored keys of every earlier article inside DuckDB, and the
candidates verified there on their signatures (``store.near_copies``), so a run touches the
history only through an index-like equi-join and gets back only the copies: its cost grows with
the new articles.

``duplicate_of`` always names the first-seen article of a copy group (an earlier run's article,
or an earlier slice's, before a new one; within a slice, the earliest published, then the first
by file name).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from incidents import minhash
from incidents.arabic.normalize import normalize, squeeze_spaces
from incidents.linkage.words import ReportWords, words_of_normalized
from incidents.model import RawArticle


def article_id_for(source_file: str) -> str:
    """Stable across runs: a changed file keeps its article id, and its old text is versioned."""
    return "art_" + hashlib.sha256(source_file.encode("utf-8")).hexdigest()[:16]


@dataclass
class Fingerprints:
    """What dedupe needs of a batch of articles, in the batch's order (no texts: it crosses to workers)."""

    article_ids: list[str]
    content_sha256: list[str]
    normalized_sha256: list[str]
    signatures: np.ndarray          # (n, num_perm) uint32
    band_keys: np.ndarray           # (n, bands) int64
    words: list[ReportWords]        # each article's uncommon words (linkage's text evidence)


@dataclass
class PreparedArticles(Fingerprints):
    articles: list[RawArticle]

    def select(self, indices: list[int]) -> "PreparedArticles":
        return PreparedArticles(
            [self.article_ids[i] for i in indices], [self.content_sha256[i] for i in indices],
            [self.normalized_sha256[i] for i in indices], self.signatures[indices], self.band_keys[indices],
            [self.words[i] for i in indices], [self.articles[i] for i in indices],
        )

    def in_order_of(self, articles: list[RawArticle]) -> "PreparedArticles":
        """The same articles, in the order of ``articles``."""
        position = {article.source_file: index for index, article in enumerate(self.articles)}
        return self.select([position[article.source_file] for article in articles])


@dataclass(frozen=True)
class CopyDecision:
    duplicate_of: str
    kind: str                       # exact | near
    similarity: float


def matching_form(text: str) -> str:
    """The text that copies are compared on and words are taken from."""
    return squeeze_spaces(normalize(text))


def words_of_article(text: str) -> ReportWords:
    """What linkage compares of an article's text (``fingerprint_batch`` reads it from the
    matching form it has already made)."""
    return ReportWords.of(words_of_normalized(matching_form(text)))


def first_seen_order(articles: list[RawArticle]) -> list[RawArticle]:
    def key(article: RawArticle):
        published = article.published_at.timestamp() if article.published_at else float("inf")
        return (published, article.source_file)

    return sorted(articles, key=key)


def fingerprint_batch(articles: list[RawArticle], params: minhash.MinHashParams) -> Fingerprints:
    normalized = [matching_form(article.text) for article in articles]
    signatures = minhash.signatures(normalized, params)
    return Fingerprints(
        article_ids=[article_id_for(a.source_file) for a in articles],
        content_sha256=[hashlib.sha256(a.text.encode("utf-8")).hexdigest() for a in articles],
        normalized_sha256=[hashlib.sha256(n.encode("utf-8")).hexdigest() for n in normalized],
        signatures=signatures,
        band_keys=minhash.band_keys(signatures, params),
        words=[ReportWords.of(words_of_normalized(text)) for text in normalized],
    )


def prepared(articles: list[RawArticle], parts: list[Fingerprints], params: minhash.MinHashParams) -> PreparedArticles:
    """The articles with the fingerprints of consecutive batches of them."""
    def stack(name: str, width: int, dtype) -> np.ndarray:
        arrays = [getattr(part, name) for part in parts if len(part.article_ids)]
        return np.concatenate(arrays) if arrays else np.empty((0, width), dtype=dtype)

    return PreparedArticles(
        article_ids=[i for part in parts for i in part.article_ids],
        content_sha256=[h for part in parts for h in part.content_sha256],
        normalized_sha256=[h for part in parts for h in part.normalized_sha256],
        signatures=stack("signatures", params.num_perm, np.uint32),
        band_keys=stack("band_keys", params.bands, np.int64),
        words=[w for part in parts for w in part.words],
        articles=articles,
    )


def decide_copies(
    batch: PreparedArticles,
    params: minhash.MinHashParams,
    history_exact: dict[str, str],
    history_pairs: list[tuple[int, str, float]],
    history_roots: dict[str, str],
) -> dict[str, CopyDecision]:
    """Which new articles copy an earlier one, and which first-seen article each copies.

    ``history_exact`` maps a normalized hash to the first-seen stored article with it;
    ``history_pairs`` are verified (new index, stored article, similarity) near pairs;
    ``history_roots`` gives each stored article's first-seen original (itself if none).
    """
    decisions: dict[str, CopyDecision] = {}
    roots: dict[str, str] = {}
    seen_exact: dict[str, str] = {}
    best_history: dict[int, tuple[float, str]] = {}
    for index, other, similarity in history_pairs:
        current = best_history.get(index)
        candidate = (similarity, history_roots.get(other, other))
        if current is None or candidate[0] > current[0] or (candidate[0] == current[0] and candidate[1] < current[1]):
            best_history[index] = candidate
    within = minhash.candidate_pairs(batch.band_keys)
    similarities = minhash.pair_similarities(within, batch.signatures)
    best_within: dict[int, tuple[float, int]] = {}
    for (i, j), similarity in zip(within.tolist(), similarities.tolist()):
        if similarity >= params.threshold and (i not in best_within or similarity > best_within[i][0]):
            best_within[i] = (similarity, j)
    for index, article_id in enumerate(batch.article_ids):
        digest = batch.normalized_sha256[index]
        if digest in history_exact and history_exact[digest] != article_id:
            original = history_roots.get(history_exact[digest], history_exact[digest])
            decisions[article_id] = CopyDecision(original, "exact", 1.0)
        elif digest in seen_exact:
            decisions[article_id] = CopyDecision(roots[seen_exact[digest]], "exact", 1.0)
        elif index in best_history:
            similarity, original = best_history[index]
            decisions[article_id] = CopyDecision(original, "near", round(similarity, 4))
        elif index in best_within:
            similarity, earlier = best_within[index]
            decisions[article_id] = CopyDecision(roots[batch.article_ids[earlier]], "near", round(similarity, 4))
        roots[article_id] = decisions[article_id].duplicate_of if article_id in decisions else article_id
        seen_exact.setdefault(digest, article_id)
    return decisions
