"""The real-reporting set (realset/): its manifests and labels agree, the rebuild tool finds missing
and corrupted texts, and, where the texts are present, the whole set goes through the pipeline
and the scorer.

CI has no texts (they are others' writing and never committed): the last test skips there.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import load_module

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "realset"
KINDS = {"report", "near_copy", "exact_copy", "negative", "background_only"}
WEAPONS = {"rocket", "mortar", "drone", "ied", "missile", "airstrike", "gunfire", "unknown"}



rebuild = load_module("realset_rebuild", SET / "rebuild.py")
criteria = load_module("realset_criteria", SET / "criteria.py")


def _parts() -> list[Path]:
    return sorted(p.parent for p in SET.glob("*/manifest.csv"))


def _manifest_rows() -> list[dict]:
    return rebuild.all_rows(SET)


def _labels() -> list[tuple[Path, dict]]:
    return [(p, json.loads((p / "labels.json").read_text(encoding="utf-8"))) for p in _parts()]


def test_every_part_has_a_manifest_and_labels_with_the_fixed_columns():
    assert _parts(), "no realset/<part>/manifest.csv"
    for part in _parts():
        with (part / "manifest.csv").open(encoding="utf-8", newline="") as f:
            assert tuple(csv.DictReader(f).fieldnames) == rebuild.COLUMNS, part
        assert (part / "labels.json").is_file(), part


def test_manifest_rows_are_well_formed_and_unique():
    rows = _manifest_rows()
    ids = [r["article_id"] for r in rows]
    urls = [r["url"] for r in rows]
    assert len(ids) == len(set(ids)), "an article id is used twice"
    assert len(urls) == len(set(urls)), "a url is listed twice"
    for r in rows:
        assert rebuild.ID_RE.match(r["article_id"]), r["article_id"]
        assert rebuild.SHA_RE.match(r["sha256"]), r["article_id"]
        assert int(r["chars"]) > 0, r["article_id"]
        assert r["split"] in rebuild.SPLITS, r["article_id"]
        assert r["outlet"].strip() and r["query"].strip() and r["url"].startswith("http"), r["article_id"]
        assert r["published_at_basis"] in rebuild.BASES, r["article_id"]
        assert bool(r["published_at"]) == bool(r["published_at_basis"]), r["article_id"]
        if r["published_at"]:
            stamp = dt.datetime.fromisoformat(r["published_at"])
            assert stamp.tzinfo is not None, f"{r['article_id']}: published_at needs an offset"


def _union() -> tuple[dict, list[dict]]:
    """Every part's articles and incidents: an incident may list an article of another part (one
    article reporting attacks that two parts label, e.g. Erbil and Idlib struck the same night)."""
    articles, incidents = {}, []
    for _, labels in _labels():
        articles.update(labels["articles"])
        incidents += labels["incidents"]
    return articles, incidents


def test_labelled_articles_and_manifest_rows_are_the_same_set():
    articles, incidents = _union()
    for part, labels in _labels():
        in_manifest = {f"{r['article_id']}.txt" for r in rebuild.read_manifest(part / "manifest.csv")}
        labelled = set(labels["articles"])
        assert labelled == in_manifest, (part.name, labelled ^ in_manifest)
        for m in labels.get("background_mentions", []):
            assert m["article"] in labelled, m
    in_incidents = {a for inc in incidents for a in inc["articles"]}
    assert in_incidents <= set(articles), in_incidents - set(articles)
    assert sum(len(labels["articles"]) for _, labels in _labels()) == len(articles), "an article is in two parts"


def test_kinds_copies_and_incident_fields_are_valid():
    arts, incidents = _union()
    in_incidents = {a for inc in incidents for a in inc["articles"]}
    for name, info in arts.items():
        assert info["kind"] in KINDS, (name, info["kind"])
        if info["kind"] in {"near_copy", "exact_copy"}:
            assert info.get("copy_of") in arts, (name, info.get("copy_of"))
        if info["kind"] in {"negative", "background_only"}:
            assert name not in in_incidents, f"{name} is {info['kind']} but reports an incident"
        elif info["kind"] == "report":
            assert name in in_incidents, f"{name} is a report of no incident"
    labels_seen = set()
    for inc in incidents:
        assert inc["label"] not in labels_seen, inc["label"]
        labels_seen.add(inc["label"])
        assert inc["articles"], inc["label"]
        assert inc.get("reference", "").strip(), f"{inc['label']} names no reference"
        weapons = inc["weapon_type"] if isinstance(inc["weapon_type"], list) else [inc["weapon_type"]]
        assert set(weapons) <= WEAPONS, (inc["label"], weapons)
    for _, labels in _labels():
        for m in labels.get("background_mentions", []):
            assert m.get("should_link_to") in labels_seen | {None}, m


def test_the_set_meets_the_criteria_of_issue_18():
    """Counted over all parts by realset/criteria.py. Publication dates are never guessed, so more
    articles lack one than the issue's "about a fifth": that row must show at least a fifth."""
    table = criteria.counts(SET)
    unmet = {k: c for k, c in table.items() if not c["met"] and k != "articles without published_at"}
    assert not unmet, unmet
    rows = _manifest_rows()
    assert sum(not r["published_at"] for r in rows) >= len(rows) / 5


def test_splits_follow_attacks_so_no_cluster_is_cut():
    split_of = {f"{r['article_id']}.txt": r["split"] for r in _manifest_rows()}
    splits_of_article = defaultdict(set)
    for _, labels in _labels():
        for inc in labels["incidents"]:
            assert inc.get("split") in rebuild.SPLITS, inc["label"]
            for a in inc["articles"]:
                assert split_of[a] == inc["split"], f"{a} is {split_of[a]} but {inc['label']} is {inc['split']}"
                splits_of_article[a].add(inc["split"])
    assert all(len(s) == 1 for s in splits_of_article.values())


# --- rebuild.py on a temporary copy whose texts the test writes itself -----------------------

OWN_TEXTS = {
    "zz001": "نص تجريبي كتبناه بأنفسنا: سقطت قذيفة في ساحة فارغة ولم تقع إصابات.",
    "zz002": "نص تجريبي ثان من كتابتنا: اجتمع المجلس البلدي لمناقشة الميزانية.",
    "zz003": "نص تجريبي ثالث: افتتح ملعب جديد في المدينة.",
}


@pytest.fixture
def tiny_set(tmp_path: Path) -> Path:
    root = tmp_path / "realset"
    rows = [{"article_id": aid, "url": f"https://example.org/{aid}", "outlet": "Test", "published_at": "",
             "published_at_basis": "", "query": "اختبار", "chars": str(len(text)),
             "sha256": rebuild.sha256(text), "split": "dev"} for aid, text in OWN_TEXTS.items()]
    rebuild.write_manifest(root / "testpart" / "manifest.csv", rows)
    (root / "texts").mkdir()
    return root


def test_check_names_the_missing_and_the_corrupted_text(tiny_set: Path, capsys):
    texts = tiny_set / "texts"
    (texts / "zz001.txt").write_bytes(OWN_TEXTS["zz001"].encode("utf-8"))
    (texts / "zz002.txt").write_bytes((OWN_TEXTS["zz002"] + " زيادة").encode("utf-8"))
    assert rebuild.main(["--root", str(tiny_set), "check"]) == 1
    out = capsys.readouterr().out
    lines = {line.split("\t")[0]: line for line in out.splitlines() if "\t" in line}
    assert set(lines) == {"zz002", "zz003"}
    assert "mismatched" in lines["zz002"] and "missing" in lines["zz003"]
    assert "1 of 3 texts present" in out


def test_add_writes_only_texts_whose_digest_matches_and_check_then_passes(tiny_set: Path, tmp_path: Path, capsys):
    answer = {"corpus": "pages", "query": "اختبار", "results": [
        {"url": "https://example.org/zz001", "excerpt": OWN_TEXTS["zz001"]},
        {"url": "https://example.org/zz002", "excerpt": OWN_TEXTS["zz002"] + "!"},  # the page changed
        {"url": "https://example.org/other", "excerpt": "نص لا يعرفه البيان"},
    ]}
    second = {"query": "اختبار آخر", "results": [{"url": "https://example.org/zz002", "excerpt": OWN_TEXTS["zz002"]},
                                                  {"url": "https://example.org/zz003", "excerpt": OWN_TEXTS["zz003"]}]}
    (tmp_path / "a.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([second], ensure_ascii=False), encoding="utf-8")
    rebuild.main(["--root", str(tiny_set), "add", str(tmp_path / "a.json")])
    out = capsys.readouterr().out
    assert "zz002: excerpt differs" in out and "not in a manifest: https://example.org/other" in out
    assert not (tiny_set / "texts" / "zz002.txt").exists()
    rebuild.main(["--root", str(tiny_set), "queries"])
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["zz002", "zz003"]
    rebuild.main(["--root", str(tiny_set), "add", str(tmp_path / "b.json")])
    assert rebuild.main(["--root", str(tiny_set), "check"]) == 0


def _texts_present_and_dated(root: Path, dates: dict[int, tuple[str, str]]) -> None:
    """Writes the tiny set's texts and gives manifest row N the (published_at, basis) of ``dates``."""
    for aid, text in OWN_TEXTS.items():
        (root / "texts" / f"{aid}.txt").write_bytes(text.encode("utf-8"))
    path = root / "testpart" / "manifest.csv"
    rows = rebuild.read_manifest(path)
    for number, (published_at, basis) in dates.items():
        rows[number].update(published_at=published_at, published_at_basis=basis)
    rebuild.write_manifest(path, rows)


def test_inbox_has_sidecars_and_published_at_only_where_known(tiny_set: Path, tmp_path: Path):
    _texts_present_and_dated(tiny_set, {0: ("2021-02-16T00:00:00+03:00", "url")})
    names = rebuild.build_inbox(tiny_set, tmp_path / "inbox")
    assert names == ["zz001.txt", "zz002.txt", "zz003.txt"]
    first = json.loads((tmp_path / "inbox" / "zz001.meta.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "inbox" / "zz002.meta.json").read_text(encoding="utf-8"))
    assert first == {"published_at": "2021-02-16T00:00:00+03:00", "source": "Test", "url": "https://example.org/zz001"}
    assert "published_at" not in second
    assert (tmp_path / "inbox" / "zz003.txt").read_text(encoding="utf-8") == OWN_TEXTS["zz003"]


def test_a_scrapers_inbox_keeps_only_the_dates_read_from_the_url(tiny_set: Path, tmp_path: Path):
    _texts_present_and_dated(tiny_set, {0: ("2021-02-16T00:00:00+03:00", "url"),
                                        1: ("2021-02-17T00:00:00+03:00", "page")})
    rebuild.build_inbox(tiny_set, tmp_path / "inbox", dated_by=("url",))
    meta = {aid: json.loads((tmp_path / "inbox" / f"{aid}.meta.json").read_text(encoding="utf-8")) for aid in OWN_TEXTS}
    assert meta["zz001"]["published_at"] == "2021-02-16T00:00:00+03:00"
    assert "published_at" not in meta["zz002"]   # the page's date line is the pipeline's to read


# --- the whole set through the real pipeline, where the texts are here ------------------------

def test_the_set_runs_through_the_pipeline_and_is_scored(tmp_path: Path):
    missing = [r["article_id"] for r in _manifest_rows() if rebuild.text_problem(SET, r)]
    if missing:
        pytest.skip(f"{len(missing)} texts of the real set are not here (realset/texts; see realset/README.md)")
    runner = load_module("realset_score", SET / "score.py")
    db = tmp_path / "realset.duckdb"
    assert runner.main(["--db", str(db), "--json"]) == 0
    results = runner.score_set(db, SET)
    gold = sum(len(labels["incidents"]) for _, labels in _labels())
    assert results["all"]["incidents"]["gold"] == gold
    assert results["all"]["warnings"] == []
    held = [inc for _, labels in _labels() for inc in labels["incidents"] if inc["split"] == "heldout"]
    assert results["heldout"]["incidents"]["gold"] == len(held)
    assert results["all"]["clustering"]["bcubed"]["f1"] is not None
    dated = {name for _, labels in _labels() for name, info in labels["articles"].items() if info["published_at"]}
    attacks_dated = [inc for _, labels in _labels() for inc in labels["incidents"] if set(inc["articles"]) & dated]
    assert results["dated"]["incidents"]["gold"] == len(attacks_dated) < gold


def test_the_dated_part_keeps_each_attack_with_its_dated_articles_only():
    runner = load_module("realset_score", SET / "score.py")
    labels = {"articles": {"a.txt": {"published_at": "2021-02-16T00:00:00+03:00"}, "b.txt": {"published_at": None},
                           "c.txt": {"published_at": None}},
              "incidents": [{"label": "X", "articles": ["a.txt", "b.txt"]}, {"label": "Y", "articles": ["c.txt"]}],
              "background_mentions": [{"article": "b.txt", "what": "an older attack"}]}
    dated, names = runner.dated_part(labels)
    assert names == {"a.txt"}
    assert dated["incidents"] == [{"label": "X", "articles": ["a.txt"]}]
    assert dated["background_mentions"] == [] and set(dated["articles"]) == {"a.txt"}
