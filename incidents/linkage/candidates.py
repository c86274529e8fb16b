"""Blocking: which pairs of reports are compared at all.

Each report files itself under *index* keys and looks for partners under *probe* keys; two reports
are a candidate pair when one's probe keys meet the other's index keys. No key depends on one field
being present: a report with a date is found through its days or month within its governorate
(its country when it names no governorate; its town for a vague date), or through the names it
gives within its year; a report without a year through the day or month of the year it names,
its exact place, its launch site, the names it gives (claimants, target), its copies, and when it
has no publication day either, its rarest words and its town. Keys are a pure function of the
report, so the pairs among any set of reports are the pairs a full regroup makes among them
(incremental equals batch); the store keeps them as the blocking index for later nights.
"""

from __future__ import annotations

from datetime import date
from itertools import chain
from typing import Iterable, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from incidents.linkage.records import WEEK_TOLERANCE_DAYS, LinkRecord

INDEX, PROBE = "index", "probe"


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


def _date_keys(record: LinkRecord) -> tuple[list[str], list[str]]:
    index, probe = [], []
    if record.year_known:
        own = range(record.first_day, record.last_day + 1)
        if record.precision in ("day", "week"):
            index += [f"day {ordinal}" for ordinal in own]
            # A week date is the day of publication: its attack is of the days before. Two week
            # dates a few days apart still meet, from the later one's side.
            before = record.tolerance + 1
            after = 1
            probe += [f"day {ordinal}" for ordinal in range(record.first_day - before, record.last_day + after + 1)]
            first, last = record.window
            days = [date.fromordinal(o) for o in range(first, last + 1)]
            index += [f"of year {d.month}-{d.day}" for d in days]
            months = {(d.year, d.month) for d in days}
        else:
            first, last = date.fromordinal(record.first_day), date.fromordinal(record.last_day)
            months = {(first.year, m) for m in range(first.month, last.month + 1)}
            if record.precision == "month":
                probe += [f"month {y}-{m}" for y, m in months]
            # A year alone is found through the names it gives (below), not every report of its year.
        index += [f"month {y}-{m}" for y, m in months] + [f"of year {m}" for _, m in months]
    else:
        if record.month is not None:
            key = f"of year {record.month}-{record.day}" if record.day is not None else f"of year {record.month}"
            index.append(key)
            probe.append(key)
        if record.published_day is not None:
            # No year: an attack of the days before its article, as a report without date words is.
            first, last = record.published_day - WEEK_TOLERANCE_DAYS, record.published_day + 1
            index += [f"day {ordinal}" for ordinal in range(first, last + 1)]
            probe += [f"day {ordinal}" for ordinal in range(first - 1, last + 2)]
    return index, probe


def _name_keys(record: LinkRecord) -> list[str]:
    names = [f"place {record.place_id}"] if record.place_id else []
    names += [f"launch {record.launch_key}"] if record.launch_key else []
    names += [f"claimant {name}" for name in sorted(record.claimants)]
    names += [f"target {record.target_name}"] if record.target_name else []
    return names


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
    names = _name_keys(record)
    country = record.country or "?"
    # Names meet across dates for reports that have no year to meet by, and within its year for
    # a report dated only by its year.
    index += [f"{country}|{name}" for name in names]
    if not record.year_known:
        probe += [f"{country}|{name}" for name in names]
    else:
        years = range(date.fromordinal(record.first_day).year, date.fromordinal(record.last_day).year + 1)
        index += [f"{country}|{name}|{year}" for name in names for year in years]
        if record.precision == "year":
            probe += [f"{country}|{name}|{year}" for name in names for year in years]
    # A report with neither a year nor a publication day has no time to meet by: it looks for
    # reports that share its rarest words, wherever they are placed (a misread country included).
    rare = [f"word {word}" for word in record.words.rarest]
    index += rare
    undated = not record.year_known and record.published_day is None
    if undated:
        probe += rare
    # And in its town at any time: its words and weekday decide among the town's attacks. Only
    # the reports without any date probe it (a few in a scraped feed), so it costs one key each.
    if record.city is not None and record.admin1 is not None:
        town = f"{country}/{record.admin1}/{record.city}|any time"
        index.append(town)
        if undated:
            probe.append(town)
    copies = f"copies {record.copy_group}"
    index.append(copies)
    probe.append(copies)
    return list(dict.fromkeys(index)), list(dict.fromkeys(probe))


# Candidate pairs (a, b: positions of the two reports in ``_keys``, a the lower) from the blocking
# keys: a probe key meets an index key. At 100,000 reports the keys are some millions of rows,
# and a hash join here is several times faster than Python dictionaries of lists.
CANDIDATES_SQL = (
    "SELECT DISTINCT least(p.m, i.m) AS a, greatest(p.m, i.m) AS b FROM _keys p JOIN _keys i "
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
        joined = conn.execute(f"{CANDIDATES_SQL} ORDER BY a, b").fetchall()
    return [(ordered[a].mention_id, ordered[b].mention_id) for a, b in joined]
