"""Comparison levels: how two reports agree on each field, and the few facts that make two reports
certainly two attacks (hard negatives).

A level is a name; ``None`` means one of the two does not say, which is no evidence either way.
How much a level weighs is not decided here but estimated from labelled pairs (``weights``).

The levels are computed as data, in DuckDB, by ``sql/linkage/comparison_levels.sql`` over a
table of the reports (``records_table``) and a table of the pairs: 1.4 million pairs of a
100,000-article history take about 3 s there, 17 s as a Python function per pair
(docs/benchmarks.md). The text level alone is not SQL's (``text_levels``): it intersects two
articles' sets of some hundred words, which DuckDB's lists or a join of the words do many times
slower than a sparse matrix of the reports' word numbers (``words.WordSets``; Python's sets
per pair, until session 13, took 8.7 s for 800,000 pairs). It is the only implementation:
reconcile scores its candidate pairs with it and ``tests/devset/fit_weights.py`` every labelled
pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from incidents import SQL_DIR
from incidents.linkage.records import RECALL_LOOKBACK_DAYS, LinkRecord
from incidents.linkage.words import WordSets

LEVELS_SQL = SQL_DIR / "linkage" / "comparison_levels.sql"
# Levels that make two reports certainly two attacks: they weigh nothing, they forbid.
HARD_NEGATIVES = frozenset({
    "after_the_recalling_article", "different_days", "different_dates", "not_in_the_year_before_its_article",
    "different_months", "far_apart", "different_governorates", "same_article",
})
FIELDS = ("date", "weekday", "place", "weapon", "projectile_count", "killed", "injured", "time_of_day",
          "launch_site", "claimants", "target", "text", "copies")
MIN_WORDS_FOR_TEXT = 3
# Where the rarity-weighted overlap of two articles falls among pairs of the real-reporting set:
# most pairs of two attacks share less than 0.03 (nine in ten) or 0.06 (99 in 100); half the
# pairs of one attack share 0.09 or more (docs/reconciliation.md, "Text evidence").
TEXT_LEVELS = ((0.3, "most_words"), (0.15, "many_words"), (0.09, "some_words"), (0.05, "few_words"))


@dataclass(frozen=True, slots=True)
class Comparison:
    levels: tuple[str | None, ...]   # one per FIELDS (a hard negative is its field's level too)
    conflict: str | None             # the hard negative that makes them certainly two attacks, or None


def _days_of_year(record: LinkRecord) -> tuple[list[int], list[int]] | None:
    """The months, and the days as month * 100 + day, a date may stand for; None for a date of a
    whole year. A date without a year is its month (and day)."""
    if not record.year_known:
        return [record.month], [] if record.day is None else [record.month * 100 + record.day]
    if record.precision in ("day", "week"):
        return _days_of_window(*record.window)
    if record.precision == "month":
        return [date.fromordinal(record.first_day).month], []
    return None


@lru_cache(maxsize=65_536)
def _days_of_window(first: int, last: int) -> tuple[list[int], list[int]]:
    # Reports share their days: a history of 100,000 has a few thousand windows.
    days = {(d.month, d.day) for d in map(date.fromordinal, range(first, last + 1))}
    return sorted({month for month, _ in days}), sorted(month * 100 + day for month, day in days)


def records_table(records: Sequence[LinkRecord]) -> pa.Table:
    """The reports as the comparisons read them, one row each; ``position`` is the row number."""
    days_of_year = [_days_of_year(r) if r.has_date else None for r in records]
    windows = [r.window for r in records]

    def column(values, kind):
        return pa.array(values, kind)

    return pa.table({
        "position": column(range(len(records)), pa.int32()),
        "mention_id": column([r.mention_id for r in records], pa.string()),
        "article_id": column([r.article_id for r in records], pa.string()),
        "copy_group": column([r.copy_group for r in records], pa.string()),
        "mention_index": column([r.mention.mention_index for r in records], pa.int64()),
        "is_primary": column([r.is_primary for r in records], pa.bool_()),
        "published_day": column([r.published_day for r in records], pa.int64()),
        "year_known": column([r.year_known for r in records], pa.bool_()),
        "has_date": column([r.has_date for r in records], pa.bool_()),
        "precision": column([r.precision for r in records], pa.string()),
        "precision_rank": column([r.precision_rank for r in records], pa.int32()),
        "first_day": column([r.first_day for r in records], pa.int64()),
        "last_day": column([r.last_day for r in records], pa.int64()),
        "window_first": column([w[0] for w in windows], pa.int64()),
        "window_last": column([w[1] for w in windows], pa.int64()),
        "months_of_year": column([None if d is None else d[0] for d in days_of_year], pa.list_(pa.int32())),
        "days_of_year": column([None if d is None else d[1] for d in days_of_year], pa.list_(pa.int32())),
        "country": column([r.country for r in records], pa.string()),
        "admin1": column([r.admin1 for r in records], pa.string()),
        "city": column([r.city for r in records], pa.string()),
        "place_id": column([r.place_id for r in records], pa.string()),
        "latitude": column([r.latitude for r in records], pa.float64()),
        "longitude": column([r.longitude for r in records], pa.float64()),
        "is_point": column([r.is_point for r in records], pa.bool_()),
        "weapon_type": column([r.weapon_type for r in records], pa.string()),
        "weapon_class": column([r.weapon_class for r in records], pa.string()),
        "projectile_count": column([r.projectile_count for r in records], pa.int64()),
        "killed": column([r.killed for r in records], pa.int64()),
        "injured": column([r.injured for r in records], pa.int64()),
        "time_of_day": column([r.time_of_day for r in records], pa.string()),
        "launch_key": column([r.launch_key for r in records], pa.string()),
        "claimants": column([sorted(r.claimants) for r in records], pa.list_(pa.string())),
        "target_type": column([r.target_type for r in records], pa.string()),
        "target_name": column([r.target_name for r in records], pa.string()),
        "weekday": column([r.weekday for r in records], pa.int8()),
        "word_count": column([len(r.words.words) for r in records], pa.int32()),
    })


def compare_levels(conn: duckdb.DuckDBPyConnection, words: WordSets, complete: bool) -> None:
    """Makes the table ``_levels`` (a, b, mention_a, mention_b, copies_of_one_report, conflict and
    a column per FIELDS) of the pairs in ``_pairs`` over the reports registered as ``_records``,
    whose words are the rows of ``words`` (in the order of their positions).

    With ``complete`` false a hard negative's pair stops at it: its other fields cannot change
    the decision (a night's pairs are two thirds hard negatives); fitting the weights needs them all."""
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _levels AS {LEVELS_SQL.read_text('utf-8')}",
                 {"complete": complete, "hard_negatives": sorted(HARD_NEGATIVES),
                  "lookback_days": RECALL_LOOKBACK_DAYS, "min_words": MIN_WORDS_FOR_TEXT})
    text_levels(conn, words)


def text_levels(conn: duckdb.DuckDBPyConnection, words: WordSets) -> None:
    """Fills the text level of the pairs in ``_levels`` that need one: how much of their words two
    reports share, weighed by rarity (``words.WordSets.overlaps``)."""
    needed = conn.sql("SELECT a, b FROM _levels WHERE needs_text").fetchnumpy()
    similarity = words.overlaps(needed["a"], needed["b"])
    # The first level whose floor the similarity reaches; past the last, "no_words".
    names = [level for _, level in TEXT_LEVELS] + ["no_words"]
    reached = np.full(len(similarity), len(TEXT_LEVELS), np.int8)
    for number, (floor, _) in reversed(list(enumerate(TEXT_LEVELS))):
        reached[similarity >= floor] = number
    level = pa.DictionaryArray.from_arrays(pa.array(reached), pa.array(names)).cast(pa.string())
    conn.register("_text_levels", pa.table({"a": pa.array(needed["a"], pa.int32()), "b": pa.array(needed["b"], pa.int32()),
                                            "level": level}))
    conn.execute('UPDATE _levels SET "text" = t.level FROM _text_levels t WHERE _levels.a = t.a AND _levels.b = t.b')
    conn.unregister("_text_levels")


def compare_all(records: Sequence[LinkRecord], pairs: Sequence[tuple[int, int]],
                complete: bool = True) -> list[Comparison]:
    """The comparisons of these pairs of ``records`` (positions, the lower mention id first), in
    the order of the pairs sorted."""
    with duckdb.connect() as conn:
        conn.register("_records", records_table(records))
        conn.register("_pairs", pa.table({"a": pa.array([a for a, _ in pairs], pa.int32()),
                                          "b": pa.array([b for _, b in pairs], pa.int32())}))
        compare_levels(conn, WordSets.of([record.words for record in records]), complete)
        rows = conn.execute(f"SELECT conflict, {', '.join(_quoted(f) for f in FIELDS)} FROM _levels "
                            "ORDER BY a, b").fetchall()
    return [Comparison(tuple(row[1:]), row[0]) for row in rows]


def compare(a: LinkRecord, b: LinkRecord, complete: bool = True) -> Comparison:
    """One pair's levels (through the same SQL: for tools and tests, not for many pairs)."""
    first, second = (a, b) if a.mention_id <= b.mention_id else (b, a)
    return compare_all([first, second], [(0, 1)], complete)[0]


def _quoted(name: str) -> str:
    return f'"{name}"'
