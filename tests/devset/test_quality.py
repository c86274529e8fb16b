"""Quality guards: the pipeline on the labelled dev set and on the seeds, scored by score.py.

The thresholds sit a little under the figures reported in the README, so that a change which
makes extraction or reconciliation worse fails here before it reaches a user.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import REPO, run_flow

LABELS = REPO / "tests" / "devset" / "labels.json"
FIELD_FLOORS = {
    "event_date": 0.95, "date_precision": 0.95, "country": 0.95, "admin1": 0.95, "location": 0.85,
    "weapon_type": 0.95, "projectile_count": 0.9, "killed": 0.9, "injured": 0.9, "target_type": 0.85,
    "perpetrator_claimed": 0.9,
}


@pytest.fixture(scope="module")
def devset_scores(devset_db):
    from score import score

    return score(devset_db, LABELS)


def test_devset_finds_every_attack_and_nothing_else(devset_scores):
    incidents = devset_scores["incidents"]
    assert incidents["precision"] >= 0.95 and incidents["recall"] >= 0.95


@pytest.mark.parametrize("field", sorted(FIELD_FLOORS))
def test_devset_field_accuracy(devset_scores, field):
    assert devset_scores["fields"][field]["accuracy"] >= FIELD_FLOORS[field], devset_scores["fields"][field]["errors"]


def test_devset_clustering_and_copies(devset_scores):
    assert devset_scores["clustering"]["bcubed"]["f1"] >= 0.97
    assert devset_scores["clustering"]["pairwise"]["precision"] >= 0.95
    assert devset_scores["near_copies"]["recall"] >= 0.95 and devset_scores["near_copies"]["precision"] >= 0.95


@pytest.mark.parametrize("folder", ["with-metadata", "raw"])
def test_seed_gold(seeds_dir, tmp_path, folder):
    from score import score

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = seeds_dir / "with-metadata" if folder == "with-metadata" else seeds_dir
    for path in source.glob("0*"):
        shutil.copy2(path, inbox / path.name)
    db = tmp_path / "seeds.duckdb"
    run_flow(inbox, db)
    result = score(db, seeds_dir / "gold.json")
    assert result["incidents"]["precision"] == result["incidents"]["recall"] == 1.0
    assert result["clustering"]["bcubed"]["f1"] == 1.0
    fields = ["country", "admin1", "city", "location", "weapon_type", "projectile_count", "killed", "injured",
              "target_type"]
    if folder == "with-metadata":
        fields.append("event_date")
    for field in fields:
        assert result["fields"][field]["accuracy"] == 1.0, (field, result["fields"][field]["errors"])
