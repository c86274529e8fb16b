"""Fellegi-Sunter match weights: for each field's level, m = P(level | same attack) and
u = P(level | two attacks); the level weighs log2(m / u). A pair's weight is the prior log-odds
plus the weights of its levels; a missing value adds nothing.

The m and u are estimated from labelled pairs (``fit``) and stored as data in ``weights.json``
beside this module; ``tests/devset/fit_weights.py`` re-estimates them from the dev set.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pyarrow as pa

from incidents.linkage.comparisons import FIELDS, HARD_NEGATIVES, Comparison

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
# Pseudo-counts that pull a level seen in few pairs towards no evidence (m = u).
SMOOTHING = 2.0


@dataclass(frozen=True)
class Model:
    prior: float                                  # log2 odds that a candidate pair is one attack
    weights: dict[str, dict[str, float]]          # field -> level -> log2(m / u)
    threshold: float                              # pairs at or above it are links
    version: str                                  # what the grouping was made by (a run records it)

    def weights_table(self) -> pa.Table:
        """(field, level, weight) of every level that weighs something, as SQL joins it."""
        rows = [(field, level, weight) for field, levels in self.weights.items() for level, weight in levels.items()]
        return pa.table({"field": pa.array([r[0] for r in rows], pa.string()),
                         "level": pa.array([r[1] for r in rows], pa.string()),
                         "weight": pa.array([r[2] for r in rows], pa.float64())})


def probability(weight: float) -> float:
    """The match probability a log2-odds weight stands for."""
    if weight < -60:
        return 0.0
    return 1.0 / (1.0 + 2.0 ** -weight)


@lru_cache(maxsize=4)
def load(path: Path = WEIGHTS_FILE) -> Model:
    data = json.loads(path.read_text("utf-8"))
    weights = {field: {level: entry["weight"] for level, entry in data["fields"].get(field, {}).items()}
               for field in FIELDS}
    return Model(data["prior_log2_odds"], weights, data["threshold"], version_of(data))


def fit(pairs: Iterable[tuple[Comparison, bool]], threshold: float, about: str) -> dict:
    """m and u per level from labelled pairs (True: the same attack), with the prior odds.

    Give every pair of a labelled set, not only candidates: u is what two unrelated reports
    share by chance. A hard negative counts as its field's level (it is what most unrelated
    pairs show) but gets no weight: such a pair is never one incident.
    """
    matches, non_matches = Counter(), Counter()
    totals = Counter()
    for comparison, same in pairs:
        if comparison.conflict == "same_article":
            continue
        totals[same] += 1
        for field, level in zip(FIELDS, comparison.levels):
            if level is not None:
                (matches if same else non_matches)[field, level] += 1
    fields: dict[str, dict] = {}
    for field in FIELDS:
        levels = sorted({level for f, level in matches | non_matches if f == field})
        seen_m = sum(matches[field, level] for level in levels)
        seen_u = sum(non_matches[field, level] for level in levels)
        entries = {}
        for level in levels:
            # Both pulled towards one shared rate, so that a level seen a few times weighs little;
            # and a level never seen between two attacks is not taken as certain of one: u is at
            # least one in as many pairs as were seen (at most log2(m * pairs) for it).
            shared = (matches[field, level] + non_matches[field, level] + 1) / (seen_m + seen_u + len(levels))
            m = (matches[field, level] + SMOOTHING * shared) / (seen_m + SMOOTHING)
            u = max((non_matches[field, level] + SMOOTHING * shared) / (seen_u + SMOOTHING), 1 / (seen_u + 1))
            if level in HARD_NEGATIVES:
                continue     # a hard negative weighs nothing: the pair is never one incident
            entries[level] = {"m": round(m, 5), "u": round(u, 5), "weight": round(math.log2(m / u), 3),
                              "pairs_same": matches[field, level], "pairs_different": non_matches[field, level]}
        fields[field] = entries
    prior = math.log2((totals[True] + 1) / (totals[False] + 1))
    return {"about": about, "prior_log2_odds": round(prior, 3), "threshold": threshold,
            "pairs": {"same_attack": totals[True], "different_attacks": totals[False]}, "fields": fields}


def version_of(data: dict) -> str:
    """A short fingerprint of a fitted model: a run grouped by other weights regroups everything."""
    body = json.dumps({k: data[k] for k in ("prior_log2_odds", "threshold", "fields")}, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
