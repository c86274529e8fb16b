"""Blocking: which pairs of reports are compared at all.

Each report files itself under *index* keys and looks for partners under *probe* keys; two reports
are a candidate pair when one's probe keys meet the other's index keys. No key depends on one field
being present: a report with a date is found through its days or month within its governorate
(its country when it names no governorate; its town for a vague date), or through the names it
gives within its year; a report without a year through the day or month of the year it names
and the days before its article. An attack an article recalls without a date is found through its site and launch site in the
month before the article; a report with no time at all (no date, no publication day) through its
site, launch site, rarest words and its town's toll at any time. Every key of a report with a time is
bounded in time, so that the pairs grow with the history, not with its square. Keys are a pure
function of the report, so the pairs among any set of reports are the pairs a full regroup makes
among them (incremental equals batch); the store keeps them as the blocking index for later nights.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from itertools import chain
from typing import Iterable, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from incidents.linkage.records import WEEK_TOLERANCE_DAYS, LinkRecord

INDEX, PROBE = "index", "probe"
ANYWHERE = "*"
# An attack an article recalls without a date is looked for among its site's attacks of the
# month before the article (to the calendar month): over a year, a busy site's hundreds of attacks
# made 0.53M pairs at 20,000 articles of bench/corpus.py, and one link.
RECALLED_SITE_DAYS = 30
# "Nobody hurt" and a lone victim are most reports' tolls: too common in a town to pick a few out.
MIN_TOLL_KEPT = 2


def _areas(record: LinkRecord) -> tuple[list[str], list[str], list[str]]:
    """Place scopes to file under, to look in for a day date, and to look in for a vaguer date.

    A report naming no governorate meets the whole country (a place missing from the gazetteer
    still links); one naming it meets its governorate; a vague date (a week, a month, a year)
    looks only in its town when it names one, and among the reports of its governorate that name
    no town: a month of a whole governorate would be hundreds of candidates, nearly all another
    attack. "country/?" holds the reports naming no governorate, "A/-" those naming no town."""
    country = record.country or "?"
    if record.admin1 is None:
        return [f"{country}/*", f"{country}/?"], [f"{country}/*"], [f"{country}/*"]
    area = f"{country}/{record.admin1}"
    if record.city is None:
        return [area, f"{area}/-", f"{country}/*"], [area, f"{country}/?"], [area, f"{country}/?"]
    town = f"{area}/{record.city}"
    return [area, town, f"{country}/*"], [area, f"{country}/?"], [town, f"{area}/-", f"{country}/?"]


def _date_keys(record: LinkRecord) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Reports share their dates (a hundred a day): made once per date, not per report (a third
    # of the blocking keys' time at 100,000 reports). Only what the keys depend on is asked, so
    # that a few thousand dates are a few thousand entries of the cache.
    if record.year_known:
        return _date_keys_of(True, record.precision, record.first_day, record.last_day, record.tolerance,
                             record.window, None, None, None, False)
    return _date_keys_of(False, None, 0, 0, 0, (0, 0), record.month, record.day, record.published_day,
                         _recalled_undated(record))


# Some ten strings an entry: at most a few MB, kept for the next run.
@lru_cache(maxsize=8_192)
def _date_keys_of(year_known: bool, precision: str | None, first_day: int, last_day: int, tolerance: int,
                  window: tuple[int, int], month: int | None, day: int | None, published_day: int | None,
                  recalled_undated: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    index, probe = [], []
    if year_known:
        own = range(first_day, last_day + 1)
        if precision in ("day", "week"):
            index += [f"day {ordinal}" for ordinal in own]
            # A week date is the day of publication: its attack is of the days before. Two week
            # dates a few days apart still meet, from the later one's side.
            before = tolerance + 1
            after = 1
            probe += [f"day {ordinal}" for ordinal in range(first_day - before, last_day + after + 1)]
            first, last = window
            days = [date.fromordinal(o) for o in range(first, last + 1)]
            index += [f"of year {d.month}-{d.day}" for d in days]
            months = {(d.year, d.month) for d in days}
        else:
            first, last = date.fromordinal(first_day), date.fromordinal(last_day)
            months = {(first.year, m) for m in range(first.month, last.month + 1)}
            if precision == "month":
                probe += [f"month {y}-{m}" for y, m in months]
            # A year alone is found through the names it gives (below), not every report of its year.
        index += [f"month {y}-{m}" for y, m in months] + [f"of year {m}" for _, m in months]
    else:
        if month is not None:
            key = f"of year {month}-{day}" if day is not None else f"of year {month}"
            index.append(key)
            probe.append(key)
        if published_day is not None and not recalled_undated:
            # No year: an attack of the days before its article, as a report without date words is.
            first, last = published_day - WEEK_TOLERANCE_DAYS, published_day + 1
            index += [f"day {ordinal}" for ordinal in range(first, last + 1)]
            probe += [f"day {ordinal}" for ordinal in range(first - 1, last + 2)]
    return tuple(index), tuple(probe)


def _recalled_undated(record: LinkRecord) -> bool:
    """An attack an article recalls without saying when: it may be of any day before it."""
    return not record.is_primary and not record.has_date and record.published_day is not None


def _years(record: LinkRecord) -> range | None:
    """The years a report's keys are filed under: those of its date, else of its article (a report
    without a date of its own); None when it has no time at all."""
    if record.year_known:
        return range(date.fromordinal(record.first_day).year, date.fromordinal(record.last_day).year + 1)
    if record.published_day is not None:
        year = date.fromordinal(record.published_day).year
        return range(year, year + 1)
    return None


@lru_cache(maxsize=8_192)
def _months(first_day: int, last_day: int) -> tuple[str, ...]:
    first, last = date.fromordinal(first_day), date.fromordinal(last_day)
    return tuple(f"{year}-{month}" for year in range(first.year, last.year + 1)
                 for month in range(first.month if year == first.year else 1,
                                    (last.month if year == last.year else 12) + 1))


def _own_months(record: LinkRecord) -> tuple[str, ...]:
    """The months of a report's date, else of its article; none when it has no time at all, nor
    for an attack recalled without a date: found by each other's site a month apart, such
    recollections chained a site's years into one incident (4,347 recollections at 100,000
    articles of bench/corpus.py), with no date to keep them apart. They join dated reports."""
    if record.year_known:
        return _months(record.first_day, record.last_day)
    if record.published_day is not None and not _recalled_undated(record):
        return _months(record.published_day, record.published_day)
    return ()


def _site_keys(record: LinkRecord) -> list[str]:
    """The places a report names that few attacks share: its site and its launch site. Not its
    claimants, a few groups that claim most attacks (keys only where a year bounds them), nor its
    target, mostly a kind of place (a base, a hospital) unless it is a site, which ``place`` names."""
    names = [f"place {record.place_id}"] if record.place_id else []
    names += [f"launch {record.launch_key}"] if record.launch_key else []
    return names


def _toll_keys(record: LinkRecord) -> list[str]:
    """A town with its toll, dead and wounded ("Kilis: 4 killed, 6 wounded"): few attacks of a town
    share both figures, so a report with no time at all meets its town's reports of that toll at
    any time."""
    if record.city is None or record.killed is None or record.injured is None \
            or record.killed + record.injured < MIN_TOLL_KEPT:
        return []
    return [f"{record.country}/{record.admin1}/{record.city}|toll {record.killed} {record.injured}"]


def keys(record: LinkRecord) -> tuple[list[str], list[str]]:
    """The report's index keys and probe keys (made once per record)."""
    if record.blocking_keys is None:
        record.blocking_keys = _keys(record)
    return record.blocking_keys


def _keys(record: LinkRecord) -> tuple[list[str], list[str]]:
    areas_index, day_areas, vague_areas = _areas(record)
    date_index, date_probe = _date_keys(record)
    index = [f"{area}|{key}" for area in areas_index for key in date_index]
    probe_areas = day_areas if record.precision == "day" or not record.year_known else vague_areas
    probe = [f"{area}|{key}" for area in probe_areas for key in date_probe]
    # A report that names no place at all (its place missing from the gazetteer, or only "the
    # base") meets the reports of its own days anywhere: with the country as the first scope it met
    # only other placeless reports (the real set: 14 pairs of one attack between dated reports never
    # compared). Its own days only, and only an attack that is the article's news: the days either
    # side and recollections tripled the pairs (bench/corpus.py at 20,000 articles: 88,553 more
    # pairs, 15%, for 286 placeless reports).
    own_days_anywhere = [f"{ANYWHERE}|{key}" for key in date_index if key.startswith("day ")]
    index += own_days_anywhere
    if record.country is None and record.is_primary:
        probe += own_days_anywhere
    country = record.country or "?"
    years = _years(record)
    rarest = record.words.rarest
    # Sites, the rarest words and tolls are filed at any time (for the reports with no time to meet
    # by) and sites by month; sites and claimants by year.
    sites = _site_keys(record)
    tolls = _toll_keys(record)
    names = sites + [f"claimant {name}" for name in sorted(record.claimants)]
    index += [f"{country}|{name}" for name in sites] + [f"word {word}" for word in rarest] + tolls
    index += [f"{country}|{name}|{month}" for name in sites for month in _own_months(record)]
    if years is not None:
        index += [f"{country}|{name}|{year}" for name in names for year in years]
    if record.precision == "year":
        # A year alone is found through the names it gives, not every report of its year.
        probe += [f"{country}|{name}|{year}" for name in names for year in years]
    elif _recalled_undated(record):
        # An attack recalled without a date: found through its site and launch site in the month
        # before its article. Not through its days (it may be of any of them) nor its words: a
        # year of reports shares a rare word with hundreds (bench/corpus.py at 5,000 articles:
        # 0.87M pairs, none of them a link to a reported attack).
        recalled = _months(record.published_day - RECALLED_SITE_DAYS, record.published_day)
        probe += [f"{country}|{name}|{month}" for name in sites for month in recalled]
    elif not record.year_known:
        # No year to meet by: its site and launch site at any time, and with no publication day
        # either, its rarest words anywhere (a misread country included) and its town's reports
        # of the same toll. Not its town alone: at any time a town holds hundreds of attacks.
        probe += [f"{country}|{name}" for name in sites]
        if record.published_day is None:
            probe += [f"word {word}" for word in rarest] + tolls
    copies = f"copies {record.copy_group}"
    index.append(copies)
    probe.append(copies)
    return list(dict.fromkeys(index)), list(dict.fromkeys(probe))


# Candidate pairs (a, b: positions of the two reports in ``_keys``, a the lower) from the blocking
# keys: a probe key meets an index key. At 100,000 reports the keys are some millions of rows,
# and a hash join here is several times faster than Python dictionaries of lists. A pair that
# meets through several keys comes once per key: the callers' UNION (with the analysts' pairs)
# or DISTINCT makes them pairs, and a DISTINCT here as well cost a full regroup of 100,000
# reports another grouping of its 2.1M rows (0.9 s).
CANDIDATE_ROWS_SQL = (
    "SELECT least(p.m, i.m) AS a, greatest(p.m, i.m) AS b FROM _keys p JOIN _keys i "
    f"ON p.key = i.key AND p.kind = '{PROBE}' AND i.kind = '{INDEX}' AND p.m <> i.m"
)


def keys_table(records: Sequence[LinkRecord]) -> pa.Table:
    """The blocking keys of these reports, a row each: m (the report's position), mention_id,
    kind (INDEX or PROBE) and key; the last three are the rows of the stored index (link_keys)."""
    made = [keys(record) for record in records]
    counts = np.array([[len(index), len(probe)] for index, probe in made], dtype=np.int64).reshape(-1, 2)
    positions = np.arange(len(records), dtype=np.int32)
    m = np.concatenate([np.repeat(positions, counts[:, 0]), np.repeat(positions, counts[:, 1])])
    found = list(chain.from_iterable(index for index, _ in made))
    found += chain.from_iterable(probe for _, probe in made)
    indexed = int(counts[:, 0].sum())
    kinds = pa.DictionaryArray.from_arrays(
        pa.array(np.concatenate([np.zeros(indexed, np.int8), np.ones(len(found) - indexed, np.int8)])),
        pa.array([INDEX, PROBE]))
    ids = pa.array([record.mention_id for record in records], pa.string())
    return pa.table({"m": pa.array(m, pa.int32()), "mention_id": ids.take(pa.array(m)),
                     "kind": kinds.cast(pa.string()), "key": pa.array(found, pa.string())})


def candidate_pairs(records: Iterable[LinkRecord]) -> list[tuple[str, str]]:
    """Every candidate pair among these reports, (lower id, higher id), sorted."""
    ordered = sorted(records, key=lambda record: record.mention_id)
    with duckdb.connect() as conn:
        conn.register("_keys", keys_table(ordered))
        joined = conn.execute(f"SELECT DISTINCT a, b FROM ({CANDIDATE_ROWS_SQL}) ORDER BY a, b").fetchall()
    return [(ordered[a].mention_id, ordered[b].mention_id) for a, b in joined]
