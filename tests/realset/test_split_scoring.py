"""The scorer reads the parts of the real set merged, and scores one split without the other's
incidents leaking in (what the held-out figure of the README rests on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_module

REPO = Path(__file__).resolve().parents[2]



scorer = load_module("realset_devset_score", REPO / "tests" / "devset" / "score.py")


def _article(kind="report", split="dev"):
    return {"published_at": None, "outlet": "Test", "kind": kind, "copy_of": None, "split": split}


PART_A = {"articles": {"a1.txt": _article(), "a2.txt": _article(), "n1.txt": _article("negative")},
          "incidents": [{"label": "A", "articles": ["a1.txt", "a2.txt"], "split": "dev", "event_date": "2021-02-15",
                         "weapon_type": "rocket"}],
          "background_mentions": []}
PART_B = {"articles": {"b1.txt": _article(split="heldout"), "b2.txt": _article(split="heldout")},
          "incidents": [{"label": "B", "articles": ["b1.txt", "b2.txt"], "split": "heldout", "event_date": "2022-03-13",
                         "weapon_type": "missile"}],
          "background_mentions": [{"article": "b1.txt", "what": "an older attack", "event_date": "2020-01-08",
                                   "should_link_to": None}]}


@pytest.fixture
def label_files(tmp_path: Path) -> list[Path]:
    paths = []
    for name, data in (("a", PART_A), ("b", PART_B)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        paths.append(path)
    return paths


def _db(groups: list[tuple[str, list[str], str, str]]) -> dict:
    names = ["a1.txt", "a2.txt", "n1.txt", "b1.txt", "b2.txt"]
    articles = [{"article_id": i, "source_file": n, "duplicate_of": None} for i, n in enumerate(names)]
    incidents, sources = [], []
    for iid, arts, date, weapon in groups:
        incidents.append({"incident_id": iid, "event_date": date, "weapon_type": weapon, "is_background": False})
        sources += [{"incident_id": iid, "article_id": names.index(a), "role": "primary"} for a in arts]
    return {"articles": articles, "incidents": incidents, "sources": sources}


def test_label_files_are_merged_and_an_article_labelled_twice_is_refused(label_files, tmp_path):
    merged = scorer.load_labels(label_files)
    assert [inc["label"] for inc in merged["incidents"]] == ["A", "B"]
    assert set(merged["articles"]) == {"a1.txt", "a2.txt", "n1.txt", "b1.txt", "b2.txt"}
    assert len(merged["background_mentions"]) == 1
    with pytest.raises(ValueError, match="b1.txt"):
        scorer.load_labels([label_files[1], label_files[1]])


def test_heldout_score_sees_only_heldout_incidents_and_articles(label_files):
    labels = scorer.load_labels(label_files)
    # the pipeline found A whole, split B in two, and invented an incident from the negative article
    db = _db([("p1", ["a1.txt", "a2.txt"], "2021-02-15", "rocket"), ("p2", ["b1.txt"], "2022-03-13", "missile"),
              ("p3", ["b2.txt"], "2022-03-13", "rocket"), ("p4", ["n1.txt"], "2019-01-01", "ied")])
    everything = scorer.score_data(db, labels)
    assert (everything["incidents"]["gold"], everything["incidents"]["predicted"]) == (2, 4)
    held, names = scorer.select_split(labels, "heldout")
    assert names == {"b1.txt", "b2.txt"}
    result = scorer.score_data(db, held, only_articles=names)
    assert (result["incidents"]["gold"], result["incidents"]["predicted"], result["incidents"]["matched"]) == (1, 2, 1)
    assert result["incidents"]["precision"] == 0.5
    assert result["clustering"]["bcubed"]["recall"] == 0.5
    assert result["fields"]["weapon_type"]["accuracy"] == 1.0
    assert result["warnings"] == []


def test_an_incident_that_mixes_splits_counts_only_with_its_heldout_articles(label_files):
    labels = scorer.load_labels(label_files)
    db = _db([("p1", ["a1.txt", "b1.txt", "b2.txt"], "2022-03-13", "missile"), ("p2", ["a2.txt"], "2021-02-15", "rocket")])
    held, names = scorer.select_split(labels, "heldout")
    result = scorer.score_data(db, held, only_articles=names)
    assert (result["incidents"]["predicted"], result["incidents"]["matched"]) == (1, 1)
    assert result["clustering"]["bcubed"]["precision"] == 1.0
