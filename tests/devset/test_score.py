"""Tests for the dev-set scorer (score.py), and consistency checks of the dev set itself."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SEED_GOLD = REPO.parent / "shared" / "seeds" / "gold.json"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"devset_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


score_mod = _load("score")
field_match_mod = _load("field_match")
build_mod = _load("build_inbox")

# --------------------------------------------------------------------------------------------
# a tiny labelled world: three gold incidents, one near copy, one negative

LABELS = {
    "about": "test labels",
    "articles": {
        "a1.txt": {"published_at": "2021-03-04T22:00:00+03:00", "outlet": "AFP", "kind": "report", "copy_of": None},
        "a2.txt": {"published_at": "2021-03-04T23:00:00+03:00", "outlet": "Shafaq", "kind": "report", "copy_of": None},
        "a3.json": {"published_at": "2021-03-05T09:00:00+03:00", "outlet": "Nas", "kind": "near_copy", "copy_of": "a1.txt"},
        "sub/b1.html": {"published_at": "2021-05-01T10:00:00+03:00", "outlet": "INA", "kind": "report", "copy_of": None},
        "c1.txt": {"published_at": "2023-03-03T10:00:00+03:00", "outlet": "AFP", "kind": "report", "copy_of": None},
        "batch.jsonl#1": {"published_at": "2023-03-03T12:00:00+03:00", "outlet": "K24", "kind": "report", "copy_of": None},
        "n1.txt": {"published_at": "2022-09-30T22:00:00+03:00", "outlet": "Sport", "kind": "negative", "copy_of": None},
        "bg.txt": {"published_at": "2022-05-24T12:00:00+03:00", "outlet": "INA", "kind": "background_only", "copy_of": None},
    },
    "incidents": [
        {"label": "G1", "articles": ["a1.txt", "a2.txt", "a3.json"], "event_date": "2021-03-04",
         "date_precision": "day", "country": "Iraq", "admin1": "Baghdad", "city": "Baghdad",
         "latitude": 33.30, "longitude": 44.39, "location_tolerance_km": 15, "weapon_type": "rocket",
         "projectile_count": [3, 4], "killed": 0, "injured": 2, "target_type": "diplomatic",
         "launch_site_ar": "منطقة البلديات", "perpetrator_claimed": None},
        {"label": "G2", "articles": ["sub/b1.html"], "event_date": "2021-05-01", "date_precision": "day",
         "country": "Iraq", "admin1": "Salah al-Din", "city": "Balad", "latitude": 33.94, "longitude": 44.36,
         "location_tolerance_km": 20, "weapon_type": "drone", "projectile_count": None, "killed": None,
         "injured": 0, "target_type": "military", "launch_site_ar": None, "perpetrator_claimed": "سرايا أولياء الدم"},
        {"label": "G3", "articles": ["c1.txt", "batch.jsonl#1"], "event_date": "2023-03-02", "date_tolerance_days": 1,
         "date_precision": "day", "country": "Iraq", "admin1": "Erbil", "city": "Erbil", "latitude": 36.21,
         "longitude": 44.01, "location_tolerance_km": 15, "weapon_type": "missile", "projectile_count": 11,
         "killed": 5, "injured": [6, 8], "target_type": "civilian", "launch_site_ar": None,
         "perpetrator_claimed": "IRGC"},
    ],
    "background_mentions": [
        {"article": "bg.txt", "what": "court verdict on G1", "should_link_to": "G1", "event_date": "2021-03-04"},
    ],
}

ARTICLE_IDS = {name: f"art{i}" for i, name in enumerate(LABELS["articles"])}


def _first(v):
    return v[0] if isinstance(v, list) else v


def perfect_incident(inc: dict, incident_id: str) -> dict:
    return {
        "incident_id": incident_id,
        "event_date": dt.date.fromisoformat(_first(inc["event_date"])),
        "date_precision": inc.get("date_precision", "day"),
        "country": _first(inc.get("country")),
        "admin1": _first(inc.get("admin1")),
        "city": _first(inc.get("city")),
        "location_name": inc.get("location_ar"),
        "latitude": inc.get("latitude"),
        "longitude": inc.get("longitude"),
        "weapon_type": _first(inc.get("weapon_type")),
        "projectile_count": _first(inc.get("projectile_count")),
        "killed": _first(inc.get("killed")),
        "injured": _first(inc.get("injured")),
        "target_type": _first(inc.get("target_type")),
        "launch_site": _first(inc.get("launch_site_ar")),
        "perpetrator_claimed": _first(inc.get("perpetrator_claimed")),
        "source_count": len(inc["articles"]),
        "is_background": False,
    }


def perfect_prediction(labels: dict = LABELS):
    """(articles, incidents, sources) rows reproducing the gold labels exactly."""
    names = set(labels.get("articles") or {})
    for inc in labels["incidents"]:
        names.update(inc["articles"])
    ids = {name: f"art{i}" for i, name in enumerate(sorted(names))}
    if labels is LABELS:
        ids = dict(ARTICLE_IDS)
    articles = []
    for name, aid in ids.items():
        info = (labels.get("articles") or {}).get(name, {})
        dup = ids[info["copy_of"]] if info.get("copy_of") else None
        articles.append({"article_id": aid, "source_file": name, "duplicate_of": dup})
    incidents, sources = [], []
    for k, inc in enumerate(labels["incidents"]):
        iid = f"inc{k}"
        incidents.append(perfect_incident(inc, iid))
        for name in inc["articles"]:
            sources.append({"incident_id": iid, "article_id": ids[name], "role": "primary"})
    return articles, incidents, sources


ARTICLE_COLS = ["article_id", "source_file", "content_sha256", "published_at", "source", "title", "text",
                "ingested_at", "duplicate_of"]
INCIDENT_COLS = ["incident_id", "event_date", "date_precision", "country", "admin1", "city", "location_name",
                 "latitude", "longitude", "weapon_type", "projectile_count", "killed", "injured", "target_type",
                 "launch_site", "perpetrator_claimed", "source_count", "is_background"]


def make_db(path: Path, articles: list[dict], incidents: list[dict], sources: list[dict]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE articles (article_id VARCHAR PRIMARY KEY, source_file VARCHAR, content_sha256 VARCHAR,
                   published_at TIMESTAMPTZ, source VARCHAR, title VARCHAR, text VARCHAR, ingested_at TIMESTAMPTZ,
                   duplicate_of VARCHAR)""")
    con.execute("""CREATE TABLE incidents (incident_id VARCHAR PRIMARY KEY, event_date DATE, date_precision VARCHAR,
                   country VARCHAR, admin1 VARCHAR, city VARCHAR, location_name VARCHAR, latitude DOUBLE,
                   longitude DOUBLE, weapon_type VARCHAR, projectile_count INTEGER, killed INTEGER, injured INTEGER,
                   target_type VARCHAR, launch_site VARCHAR, perpetrator_claimed VARCHAR, source_count INTEGER,
                   is_background BOOLEAN)""")
    con.execute("CREATE TABLE incident_sources (incident_id VARCHAR, article_id VARCHAR, role VARCHAR)")
    for a in articles:
        row = {c: None for c in ARTICLE_COLS} | {"content_sha256": "x", "text": "نص"} | a
        con.execute(f"INSERT INTO articles VALUES ({', '.join('?' * len(ARTICLE_COLS))})", [row[c] for c in ARTICLE_COLS])
    for i in incidents:
        row = {c: None for c in INCIDENT_COLS} | i
        con.execute(f"INSERT INTO incidents VALUES ({', '.join('?' * len(INCIDENT_COLS))})", [row[c] for c in INCIDENT_COLS])
    for s in sources:
        con.execute("INSERT INTO incident_sources VALUES (?, ?, ?)", [s["incident_id"], s["article_id"], s["role"]])
    con.close()
    return path


@pytest.fixture
def labels_path(tmp_path: Path) -> Path:
    p = tmp_path / "labels.json"
    p.write_text(json.dumps(LABELS, ensure_ascii=False), encoding="utf-8")
    return p


def run(tmp_path: Path, labels_path: Path, articles, incidents, sources) -> dict:
    db = make_db(tmp_path / "pred.duckdb", articles, incidents, sources)
    return score_mod.score(db, labels_path)


# --------------------------------------------------------------------------------------------
# scorer behaviour


def test_perfect_prediction_scores_one(tmp_path, labels_path):
    result = run(tmp_path, labels_path, *perfect_prediction())
    inc = result["incidents"]
    assert (inc["gold"], inc["predicted"], inc["matched"]) == (3, 3, 3)
    assert inc["precision"] == inc["recall"] == inc["f1"] == 1.0
    assert inc["background_false_positives"]["count"] == 0
    for field, s in result["fields"].items():
        assert s["recall"] in (1.0, None), field
        assert s["precision"] in (1.0, None), field
        assert s["accuracy"] == 1.0, field
    assert result["fields"]["launch_site"]["precision"] is None  # recall only
    assert result["fields"]["killed"]["support"] == 2  # G1 has 0 (a value), G2 null, G3 5
    cl = result["clustering"]
    assert cl["pairwise"]["precision"] == cl["pairwise"]["recall"] == 1.0
    assert cl["bcubed"]["precision"] == cl["bcubed"]["recall"] == cl["bcubed"]["f1"] == 1.0
    nc = result["near_copies"]
    assert (nc["precision"], nc["recall"], nc["labelled"]) == (1.0, 1.0, 1)
    assert set(result) >= {"incidents", "fields", "clustering", "near_copies"}
    assert result["warnings"] == []


def test_merged_cluster_lowers_pairwise_precision(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    # the pipeline merged G2's article into G1's incident
    incidents = [i for i in incidents if i["incident_id"] != "inc1"]
    sources = [dict(s, incident_id="inc0") if s["incident_id"] == "inc1" else s for s in sources]
    result = run(tmp_path, labels_path, articles, incidents, sources)
    pw = result["clustering"]["pairwise"]
    # predicted pairs: 6 inside {a1, a2, a3, b1} + 1 (c1, jsonl#1); gold pairs: 3 + 1, all predicted
    assert pw["predicted_pairs"] == 7 and pw["gold_pairs"] == 4
    assert pw["precision"] == pytest.approx(4 / 7)
    assert pw["recall"] == 1.0
    assert result["clustering"]["bcubed"]["precision"] < 1.0
    assert result["clustering"]["bcubed"]["recall"] == 1.0
    inc = result["incidents"]
    assert inc["matched"] == 2 and inc["missed"] == ["G2"]
    assert inc["recall"] == pytest.approx(2 / 3) and inc["precision"] == 1.0


def test_split_cluster_lowers_pairwise_recall(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    extra = dict(incidents[2], incident_id="inc9")
    incidents.append(extra)
    sources = [dict(s, incident_id="inc9") if s["article_id"] == ARTICLE_IDS["batch.jsonl#1"] else s for s in sources]
    result = run(tmp_path, labels_path, articles, incidents, sources)
    pw = result["clustering"]["pairwise"]
    assert pw["precision"] == 1.0 and pw["recall"] == pytest.approx(3 / 4)
    assert result["incidents"]["precision"] == pytest.approx(3 / 4)  # the split-off half is unmatched
    assert result["incidents"]["recall"] == 1.0


def test_wrong_killed_count_lowers_killed_precision(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    incidents[0]["killed"] = 1  # G1: gold says none were killed
    result = run(tmp_path, labels_path, articles, incidents, sources)
    killed = result["fields"]["killed"]
    assert killed["predicted"] == 2  # G1 and G3 (G2 null)
    assert killed["precision"] == pytest.approx(1 / 2)
    assert killed["recall"] == pytest.approx(1 / 2)
    assert killed["errors"] == [{"gold": "G1", "incident_id": "inc0", "predicted": 1, "expected": 0}]
    assert result["fields"]["injured"]["precision"] == 1.0


def test_null_prediction_lowers_recall_not_precision(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    incidents[0]["injured"] = None  # G1 has 2 injured
    result = run(tmp_path, labels_path, articles, incidents, sources)
    injured = result["fields"]["injured"]
    assert injured["support"] == 3  # 2, 0 and [6, 8]
    assert injured["recall"] == pytest.approx(2 / 3)
    assert injured["precision"] == 1.0


def test_invented_value_lowers_precision(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    incidents[1]["killed"] = 0  # G2: no source gives a death toll
    incidents[0]["perpetrator_claimed"] = "كتائب حزب الله"  # G1 was accused, never claimed
    result = run(tmp_path, labels_path, articles, incidents, sources)
    assert result["fields"]["killed"]["precision"] == pytest.approx(2 / 3)
    assert result["fields"]["killed"]["recall"] == 1.0
    claimed = result["fields"]["perpetrator_claimed"]
    assert claimed["precision"] == pytest.approx(2 / 3) and claimed["recall"] == 1.0


def test_list_values_tolerances_and_place_variants(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    incidents[0]["projectile_count"] = 4  # [3, 4] accepts either
    incidents[2]["injured"] = 8
    incidents[2]["event_date"] = dt.date(2023, 3, 3)  # tolerance 1 day
    incidents[1]["admin1"] = "Saladin"
    incidents[1]["latitude"], incidents[1]["longitude"] = 34.05, 44.40  # ~13 km away, tolerance 20
    incidents[0]["event_date"] = dt.date(2021, 3, 5)  # no tolerance on G1
    result = run(tmp_path, labels_path, articles, incidents, sources)
    f = result["fields"]
    assert f["projectile_count"]["precision"] == 1.0 and f["injured"]["precision"] == 1.0
    assert f["admin1"]["precision"] == 1.0 and f["location"]["precision"] == 1.0
    assert f["event_date"]["precision"] == pytest.approx(2 / 3)
    assert field_match_mod.norm_place("Al-Qaim") == field_match_mod.norm_place("Qaim")
    assert field_match_mod.norm_place("Dayr az Zawr") == field_match_mod.norm_place("Deir ez-Zor")
    assert field_match_mod.norm_place("Ninawa Governorate") == field_match_mod.norm_place("Nineveh")


def test_background_false_positives_and_unknown_articles(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    for name, iid, date in (("n1.txt", "fp_neg", "2022-09-30"), ("bg.txt", "fp_bg", "2021-03-04")):
        incidents.append(dict(incidents[0], incident_id=iid, event_date=dt.date.fromisoformat(date)))
        sources.append({"incident_id": iid, "article_id": ARTICLE_IDS[name], "role": "primary"})
    # a background incident is not a detection
    incidents.append(dict(incidents[0], incident_id="bg_ok", is_background=True))
    sources.append({"incident_id": "bg_ok", "article_id": ARTICLE_IDS["bg.txt"], "role": "background"})
    articles.append({"article_id": "zzz", "source_file": "unlabelled.txt", "duplicate_of": None})
    result = run(tmp_path, labels_path, articles, incidents, sources)
    inc = result["incidents"]
    assert inc["predicted"] == 5 and inc["matched"] == 3
    assert inc["precision"] == pytest.approx(3 / 5)
    assert {x["incident_id"] for x in inc["background_false_positives"]["items"]} == {"fp_neg", "fp_bg"}


def test_near_copy_links(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    by_id = {a["article_id"]: a for a in articles}
    # reverse direction (original marked as a copy of the later article) is accepted
    by_id[ARTICLE_IDS["a3.json"]]["duplicate_of"] = None
    by_id[ARTICLE_IDS["a1.txt"]]["duplicate_of"] = ARTICLE_IDS["a3.json"]
    # a wrong link between two independent reports
    by_id[ARTICLE_IDS["a2.txt"]]["duplicate_of"] = ARTICLE_IDS["c1.txt"]
    result = run(tmp_path, labels_path, articles, incidents, sources)
    nc = result["near_copies"]
    assert nc["recall"] == 1.0
    assert nc["precision"] == pytest.approx(1 / 2)
    assert nc["wrong_links"] == [{"article": "a2.txt", "duplicate_of": "c1.txt"}]


def test_unlinked_copy_inherits_incident_and_subfolder_paths(tmp_path, labels_path):
    articles, incidents, sources = perfect_prediction()
    # the copy is set aside: no incident_sources row, only duplicate_of
    sources = [s for s in sources if s["article_id"] != ARTICLE_IDS["a3.json"]]
    # and the database was built over a parent folder
    for a in articles:
        a["source_file"] = "inbox/" + a["source_file"]
    result = run(tmp_path, labels_path, articles, incidents, sources)
    assert result["warnings"] == []
    assert result["clustering"]["pairwise"]["recall"] == 1.0
    assert result["incidents"]["f1"] == 1.0


def test_cli_prints_table(tmp_path, labels_path, capsys):
    db = make_db(tmp_path / "pred.duckdb", *perfect_prediction())
    assert score_mod.main(["--db", str(db), "--labels", str(labels_path)]) == 0
    out = capsys.readouterr().out
    assert "Incident detection" in out and "projectile_count" in out and "B-cubed" in out
    assert score_mod.main(["--db", str(db), "--labels", str(labels_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"]["f1"] == 1.0


@pytest.mark.skipif(not SEED_GOLD.exists(), reason="seed gold file not present")
def test_seed_gold_file_is_supported(tmp_path):
    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    db = make_db(tmp_path / "seed.duckdb", *perfect_prediction(gold))
    result = score_mod.score(db, SEED_GOLD)
    assert result["incidents"]["f1"] == 1.0
    assert result["near_copies"]["labelled"] is None
    assert all(s["precision"] in (1.0, None) for s in result["fields"].values())


def test_devset_labels_score_themselves(tmp_path):
    labels = score_mod.load_labels(HERE / "labels.json")
    db = make_db(tmp_path / "dev.duckdb", *perfect_prediction(labels))
    result = score_mod.score(db, HERE / "labels.json")
    assert result["incidents"]["f1"] == 1.0
    assert result["clustering"]["bcubed"]["f1"] == 1.0
    assert result["near_copies"]["recall"] == 1.0 and result["near_copies"]["precision"] == 1.0
    assert all(s["accuracy"] == 1.0 for s in result["fields"].values())


# --------------------------------------------------------------------------------------------
# the dev set itself

WEAPONS = {"rocket", "mortar", "drone", "ied", "missile", "airstrike", "gunfire", "unknown"}
TARGETS = {"diplomatic", "military", "airport", "convoy", "civilian", "government", "infrastructure", "unknown"}
KINDS = {"report", "near_copy", "exact_copy", "negative", "background_only"}


def _devset_labels() -> dict:
    return json.loads((HERE / "labels.json").read_text(encoding="utf-8"))


def _inbox_articles() -> dict[str, str]:
    """source_file -> text, decoded the way the inbox contract allows."""
    inbox = HERE / "inbox"
    out = {}
    for p in sorted(inbox.rglob("*")):
        rel = p.relative_to(inbox).as_posix()
        if not p.is_file() or rel.endswith(".meta.json"):
            continue
        data = p.read_bytes()
        if p.suffix == ".txt":
            if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
                out[rel] = data.decode("utf-16")
            else:
                try:
                    out[rel] = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    out[rel] = data.decode("cp1256")
        elif p.suffix == ".json":
            out[rel] = json.loads(data)["text"]
        elif p.suffix == ".jsonl":
            for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
                out[f"{rel}#{n}"] = json.loads(line)["text"]
        elif p.suffix == ".html":
            out[rel] = " ".join(re.findall(r"<p>(.*?)</p>", data.decode("utf-8")))
    return out


def test_built_inboxes_are_up_to_date():
    assert build_mod.check("devset") == []
    assert build_mod.check("sample") == []


def test_every_inbox_article_is_labelled_and_sized():
    labels = _devset_labels()
    texts = _inbox_articles()
    assert len(texts) >= 44
    assert set(texts) == set(labels["articles"])
    for name, text in texts.items():
        words = len(text.split())
        assert 150 <= words <= 600, (name, words)


def test_labels_are_consistent():
    labels = _devset_labels()
    arts = labels["articles"]
    assert {a["kind"] for a in arts.values()} <= KINDS
    in_incidents = set()
    seen_labels = set()
    for inc in labels["incidents"]:
        assert inc["label"] not in seen_labels
        seen_labels.add(inc["label"])
        for a in inc["articles"]:
            assert a in arts, a
            assert arts[a]["kind"] in {"report", "near_copy", "exact_copy"}, a
        in_incidents.update(inc["articles"])
        for key in ("weapon_type", "target_type"):
            for v in field_match_mod.acceptable(inc[key]):
                assert v in (WEAPONS if key == "weapon_type" else TARGETS), (inc["label"], v)
        dt.date.fromisoformat(inc["event_date"])
        assert inc["date_precision"] in {"day", "week", "month", "year", "unknown"}
        assert -90 <= inc["latitude"] <= 90 and -180 <= inc["longitude"] <= 180
        for key in ("projectile_count", "killed", "injured"):
            vals = [v for v in field_match_mod.acceptable(inc[key]) if v is not None]
            assert all(isinstance(v, int) and v >= 0 for v in vals), (inc["label"], key)
            assert vals == sorted(vals), (inc["label"], key, "lowest credible value first")
    for name, a in arts.items():
        if a["kind"] in {"report", "near_copy", "exact_copy"}:
            assert name in in_incidents, name
        else:
            assert name not in in_incidents, name
        if a["kind"] in {"near_copy", "exact_copy"}:
            assert a["copy_of"] in arts and arts[a["copy_of"]]["kind"] == "report"
        else:
            assert a["copy_of"] is None
    for m in labels["background_mentions"]:
        assert m["article"] in arts
        assert m["should_link_to"] is None or m["should_link_to"] in seen_labels
    texts = _inbox_articles()
    exact = [(n, a["copy_of"]) for n, a in arts.items() if a["kind"] == "exact_copy"]
    assert exact and all(texts[n].strip() == texts[c].strip() for n, c in exact)


def test_devset_covers_the_brief():
    labels = _devset_labels()
    arts, incs = labels["articles"], labels["incidents"]
    kinds = [a["kind"] for a in arts.values()]
    assert kinds.count("near_copy") >= 4 and kinds.count("exact_copy") >= 1
    assert kinds.count("negative") >= 6
    multi = [i for i in incs if len({arts[a]["outlet"] for a in i["articles"]}) >= 2]
    assert len(multi) >= 6
    weapons = {field_match_mod.acceptable(i["weapon_type"])[0] for i in incs}
    assert weapons >= WEAPONS - {"unknown"}
    targets = {t for i in incs for t in field_match_mod.acceptable(i["target_type"])}
    assert targets >= TARGETS - {"unknown"}
    formats = [a["format"] for a in arts.values()]
    assert sum("no sidecar" in f for f in formats) >= 3
    assert sum(f.startswith("txt/utf-8-bom") for f in formats) >= 2
    assert sum(f.startswith("txt/utf-16") for f in formats) >= 2
    assert sum(f.startswith("txt/cp1256") for f in formats) >= 3
    assert sum(f == "json" for f in formats) >= 3 and sum(f == "jsonl" for f in formats) == 4
    assert sum(f.startswith("html") for f in formats) >= 3
