"""The benchmark corpus generator (bench/corpus.py): deterministic, the size and copy share asked
for, and articles the extractor reads as attack reports."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import corpus  # noqa: E402


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    corpus.generate(tmp_path / "a", 60, seed=7, workers=1)
    corpus.generate(tmp_path / "b", 60, seed=7, workers=1)
    corpus.generate(tmp_path / "c", 60, seed=8, workers=1)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert files_of(tmp_path / "a") != files_of(tmp_path / "c")


def test_a_later_start_adds_the_articles_a_longer_corpus_has(tmp_path):
    corpus.generate(tmp_path / "whole", 1010, seed=7, workers=1)
    corpus.generate(tmp_path / "night", 20, seed=7, start=990, workers=1)
    whole, night = files_of(tmp_path / "whole"), files_of(tmp_path / "night")
    assert len(night) == 40
    assert {name: whole[name] for name in night} == night
    assert {name.split("/")[0] for name in night} == {"shard_0000", "shard_0001"}


@pytest.mark.parametrize("share", [0.0, 0.15, 0.4])
def test_honours_n_and_the_copy_share(tmp_path, share):
    n = 120
    summary = corpus.generate(tmp_path, n, seed=3, copy_share=share, workers=1)
    names = files_of(tmp_path)
    assert sum(name.endswith(".txt") for name in names) == n
    assert sum(name.endswith(".meta.json") for name in names) == n
    assert summary.articles == n
    assert summary.copies == len(corpus.planted_copies(0, n, seed=3, copy_share=share)) == math.floor(n * share)
    for index in range(n):
        original = corpus.original_of(index, seed=3, copy_share=share)
        if original is None:
            continue
        assert original < index and corpus.original_of(original, seed=3, copy_share=share) is None
        copy = json.loads(names[corpus.article_path(index).replace(".txt", ".meta.json")])
        first = json.loads(names[corpus.article_path(original).replace(".txt", ".meta.json")])
        assert dt.datetime.fromisoformat(copy["published_at"]) > dt.datetime.fromisoformat(first["published_at"])
        assert copy["source"] != first["source"]


def test_articles_average_about_three_kilobytes():
    sizes = [len(corpus.make_article(index).text.encode("utf-8")) for index in range(300)]
    assert 2500 <= sum(sizes) / len(sizes) <= 3500


def test_most_articles_extract_to_a_primary_mention():
    from tasks.extract import ArticleInput, extract_article

    articles = [corpus.make_article(index) for index in range(0, 4000, 100)]
    with_primary = sum(
        any(m.role == "primary" for m in extract_article(ArticleInput(str(a.index), a.text, a.published_at)))
        for a in articles
    )
    assert with_primary >= 0.8 * len(articles)
