"""Integrity of the hand-compiled gazetteer (lexicons/gazetteer.csv), the curated layer over
GeoNames (lexicons/geonames.csv).

These are checks on the data file alone (csv module, no matcher): a typo in a coordinate, a
dangling parent, or an Arabic spelling listed under two places is what a user of the incident
database would notice first, as a point in the wrong country or an incident put in the wrong town.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from functools import lru_cache

import pytest

from incidents import LEXICON_DIR

GAZETTEER = LEXICON_DIR / "gazetteer.csv"

COLUMNS = [
    "place_id", "name_en", "names_ar", "kind", "target_type", "admin1", "country", "city",
    "latitude", "longitude", "precision", "parent_id", "source",
]
KINDS = {
    "country", "governorate", "city", "town", "district", "landmark", "base", "airport",
    "oilfield", "border_crossing", "region",
}
PRECISIONS = {"site", "district", "city", "governorate", "country"}
# Which precisions make sense for which kind (a base placed only at its town is "city").
PRECISION_BY_KIND = {
    "country": {"country"},
    "governorate": {"governorate"},
    "region": {"governorate"},
    "city": {"city"},
    "town": {"city"},
    "district": {"district"},
    "landmark": {"site", "district", "city"},
    "base": {"site", "district", "city"},
    "airport": {"site", "district"},
    "oilfield": {"site", "district"},
    "border_crossing": {"site", "district"},
}
# (lat_min, lat_max, lon_min, lon_max), a little generous around each country's territory.
COUNTRY_BOXES = {
    "Iraq": (29.0, 37.5, 38.7, 48.7),
    "Syria": (32.3, 37.4, 35.7, 42.4),
    "Iran": (25.0, 39.8, 44.0, 63.4),
    "Kuwait": (28.5, 30.1, 46.5, 48.5),
    "Jordan": (29.1, 33.4, 34.9, 39.4),
    "Saudi Arabia": (16.3, 32.2, 34.5, 55.7),
    "Turkey": (35.8, 42.2, 25.6, 44.9),
    "Lebanon": (33.0, 34.7, 35.1, 36.7),
    "Israel": (29.4, 33.4, 34.2, 35.9),
    "United States": (24.0, 49.5, -125.0, -66.9),
}
# How far (in degrees of latitude or longitude) a place may lie from the point of its parent.
MAX_OFFSET_FROM_PARENT = {"governorate": 3.0, "region": 3.0, "city": 0.35, "town": 0.35}
MAX_OFFSET_FROM_SMALL_PARENT = 0.2  # parent is a district, landmark, base...

# The gazetteer holds scenes of attacks: Washington and Tehran name actors, not places hit.
REQUIRED_PLACES = [
    "iraq", "syria", "iran", "kuwait", "jordan", "saudi_arabia", "turkey", "lebanon", "israel",
    "baghdad", "baghdad_governorate", "anbar_governorate", "basra", "mosul", "erbil", "kirkuk",
    "baghdad_green_zone", "us_embassy_baghdad", "baghdad_international_airport",
    "victory_base_complex", "ain_al_asad_airbase", "balad_air_base", "camp_taji",
    "harir_air_base", "erbil_international_airport", "k1_air_base", "camp_speicher",
    "jurf_al_sakhar", "tuz_khurmatu",
    "deir_ez_zor", "deir_ez_zor_governorate", "al_omar_oil_field", "conoco_gas_field",
    "al_tanf_garrison", "al_bukamal", "al_qaim_border_crossing", "tower_22",
]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
COORD_RE = re.compile(r"^-?\d{1,3}\.\d{4}$")
ARABIC_LETTER_RE = re.compile(r"[\u0621-\u064A]")
LATIN_RE = re.compile(r"[A-Za-z]")
_DIACRITICS_RE = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, superscript alef, tatweel
_LETTER_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
# Forms with a clitic attached (وبغداد، بالبصرة، للموصل) must not be listed: the matcher adds them.
CLITIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل")


def spelling_key(text: str) -> str:
    """What the matcher tells apart: no diacritics, one alef, ي for ى, ه for ة."""
    return " ".join(_DIACRITICS_RE.sub("", text).translate(_LETTER_MAP).split())


def normalize_variant(text: str) -> str:
    """Looser key for clashes between places: spelling_key, and the article ال dropped too."""
    words = [word[2:] if word.startswith("ال") and len(word) > 3 else word for word in spelling_key(text).split()]
    return " ".join(words)


@lru_cache(maxsize=1)
def load() -> tuple[list[str], tuple[dict[str, str], ...]]:
    with open(GAZETTEER, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), tuple(reader)


def rows() -> tuple[dict[str, str], ...]:
    return load()[1]


@lru_cache(maxsize=1)
def by_id() -> dict[str, dict[str, str]]:
    return {row["place_id"]: row for row in rows()}


def variants(row: dict[str, str]) -> list[str]:
    return row["names_ar"].split("|")


def where(row: dict[str, str]) -> str:
    return f"{row['place_id']} ({row['name_en']})"


def test_every_row_says_its_source():
    assert all(row["source"] for row in rows())


def test_header_and_shape():
    header, data = load()
    assert header == COLUMNS
    assert len(data) >= 180
    for row in data:
        assert None not in row, f"extra fields in row {row.get('place_id')}"
        assert all(value is not None for value in row.values()), f"missing fields in {row['place_id']}"
        for column, value in row.items():
            assert value == value.strip(), f"{where(row)}: stray spaces in {column}"


def test_place_ids_are_unique_slugs():
    seen: set[str] = set()
    for row in rows():
        place_id = row["place_id"]
        assert SLUG_RE.match(place_id), f"not a lowercase ASCII slug: {place_id!r}"
        assert place_id not in seen, f"duplicate place_id {place_id}"
        seen.add(place_id)


def test_required_places_are_present():
    missing = [place_id for place_id in REQUIRED_PLACES if place_id not in by_id()]
    assert not missing, f"required places missing: {missing}"


def test_kind_and_precision():
    for row in rows():
        assert row["kind"] in KINDS, f"{where(row)}: unknown kind {row['kind']!r}"
        assert row["precision"] in PRECISIONS, f"{where(row)}: unknown precision {row['precision']!r}"
        assert row["precision"] in PRECISION_BY_KIND[row["kind"]], (
            f"{where(row)}: precision {row['precision']} does not suit kind {row['kind']}"
        )
        assert row["name_en"], f"{row['place_id']}: empty name_en"


# The contract's target types a place can be in itself; a site of these kinds is always one.
PLACE_TARGET_TYPES = {"military", "airport", "infrastructure", "government", "diplomatic"}
TARGET_BY_KIND = {"base": "military", "airport": "airport", "oilfield": "infrastructure"}


def test_sites_that_are_targets_say_what_they_are():
    for row in rows():
        if row["target_type"]:
            assert row["target_type"] in PLACE_TARGET_TYPES, f"{where(row)}: unknown target_type {row['target_type']!r}"
            assert row["kind"] not in ("country", "governorate", "region", "city", "town"), (
                f"{where(row)}: a whole {row['kind']} is no target in itself")
        if row["kind"] in TARGET_BY_KIND:
            expected = TARGET_BY_KIND[row["kind"]]
            assert row["target_type"] == expected, f"{where(row)}: a {row['kind']} is a {expected} target"


def test_parents_exist_and_lead_to_the_same_country():
    places = by_id()
    countries = {row["country"] for row in rows() if row["kind"] == "country"}
    for row in rows():
        assert row["country"] in COUNTRY_BOXES, f"{where(row)}: no bounding box for {row['country']!r}"
        assert row["country"] in countries, f"{where(row)}: country {row['country']!r} has no row"
        if row["kind"] == "country":
            assert row["parent_id"] == "", f"{where(row)}: a country has no parent"
            continue
        assert row["parent_id"], f"{where(row)}: parent_id is empty"
        chain = [row["place_id"]]
        current = row
        while current["kind"] != "country":
            parent_id = current["parent_id"]
            assert parent_id in places, f"{where(current)}: parent {parent_id!r} does not exist"
            assert parent_id not in chain, f"parent cycle: {chain + [parent_id]}"
            chain.append(parent_id)
            current = places[parent_id]
        assert current["country"] == row["country"], (
            f"{where(row)}: country {row['country']} but its parents lead to {current['country']}"
        )


def test_admin1_and_city_columns():
    places = by_id()
    for row in rows():
        kind = row["kind"]
        if kind == "country":
            assert row["admin1"] == "" and row["city"] == "", f"{where(row)}: a country has no admin1/city"
            continue
        if kind in ("governorate", "region"):
            assert row["city"] == "", f"{where(row)}: a {kind} has no city"
        if kind != "region":
            assert row["admin1"], f"{where(row)}: admin1 is empty"
        if kind in ("city", "town", "district"):
            assert row["city"], f"{where(row)}: city is empty"
        parent = places.get(row["parent_id"])
        if parent and parent["kind"] not in ("country", "region"):
            assert row["admin1"] == parent["admin1"], (
                f"{where(row)}: admin1 {row['admin1']!r} differs from its parent's {parent['admin1']!r}"
            )


def test_iraqi_governorates_and_capitals():
    from incidents.arabic.gazetteer import contains, places

    catalogue = places()
    governorates = [row for row in rows() if row["kind"] == "governorate" and row["country"] == "Iraq"]
    assert len(governorates) == 19  # 18 governorates and Halabja
    for governorate in governorates:
        assert governorate["parent_id"] == "iraq"
        towns = [p for p in catalogue.values() if p.kind in ("city", "town")
                 and contains(catalogue[governorate["place_id"]], p)]
        assert towns, f"{where(governorate)} has no town in the curated layer or GeoNames"


def test_same_named_governorate_and_capital_share_their_arabic_names():
    places = by_id()
    pairs = 0
    for row in rows():
        parent = places.get(row["parent_id"])
        if row["kind"] != "city" or not parent or parent["kind"] != "governorate":
            continue
        if parent["name_en"] != f"{row['name_en']} Governorate":
            continue
        pairs += 1
        assert set(variants(row)) == set(variants(parent)), (
            f"{where(row)} and {where(parent)} share a name but list different Arabic names"
        )
    assert pairs >= 7  # Baghdad, Basra, Erbil, Sulaymaniyah, Duhok, Kirkuk, Najaf (the others are GeoNames towns)


def test_coordinates_are_well_formed_and_inside_the_country():
    for row in rows():
        for column in ("latitude", "longitude"):
            assert COORD_RE.match(row[column]), f"{where(row)}: {column} {row[column]!r} is not d.dddd"
        lat, lon = float(row["latitude"]), float(row["longitude"])
        lat_min, lat_max, lon_min, lon_max = COUNTRY_BOXES[row["country"]]
        assert lat_min <= lat <= lat_max and lon_min <= lon <= lon_max, (
            f"{where(row)}: ({lat}, {lon}) is outside {row['country']}"
        )


def test_places_lie_near_their_parent():
    places = by_id()
    for row in rows():
        parent = places.get(row["parent_id"])
        if not parent or parent["kind"] == "country":
            continue  # the country box already bounds it
        limit = MAX_OFFSET_FROM_PARENT.get(parent["kind"], MAX_OFFSET_FROM_SMALL_PARENT)
        d_lat = abs(float(row["latitude"]) - float(parent["latitude"]))
        d_lon = abs(float(row["longitude"]) - float(parent["longitude"]))
        assert max(d_lat, d_lon) <= limit, (
            f"{where(row)} lies {max(d_lat, d_lon):.2f} degrees from its parent {parent['place_id']}"
        )


def test_arabic_names_are_clean():
    for row in rows():
        names = variants(row)
        assert names and all(names), f"{where(row)}: empty Arabic variant in {row['names_ar']!r}"
        # With and without ال are distinct phrases for the matcher, so only exact respellings count.
        keys = [spelling_key(name) for name in names]
        assert len(keys) == len(set(keys)), f"{where(row)}: the same spelling listed twice"
        for name in names:
            assert name == name.strip() and "  " not in name, f"{where(row)}: stray spaces in {name!r}"
            assert ARABIC_LETTER_RE.search(name), f"{where(row)}: {name!r} has no Arabic letters"
            assert not LATIN_RE.search(name), f"{where(row)}: {name!r} has Latin letters"
            first_word = name.split()[0]
            assert not first_word.startswith(CLITIC_PREFIXES), (
                f"{where(row)}: {name!r} carries a clitic; list the bare form"
            )


def test_no_arabic_name_points_to_two_places():
    owners: dict[str, set[str]] = defaultdict(set)
    for row in rows():
        for name in variants(row):
            owners[normalize_variant(name)].add(row["place_id"])
    places = by_id()
    clashes = []
    for key, place_ids in sorted(owners.items()):
        if len(place_ids) == 1:
            continue
        if len(place_ids) == 2:
            first, second = (places[place_id] for place_id in sorted(place_ids))
            governorate, capital = (first, second) if first["kind"] == "governorate" else (second, first)
            if (
                governorate["kind"] == "governorate"
                and capital["kind"] in ("city", "town")
                and capital["parent_id"] == governorate["place_id"]
            ):
                continue  # محافظة بغداد vs بغداد: the matcher resolves these two
        clashes.append(f"{key!r}: {sorted(place_ids)}")
    assert not clashes, "Arabic names shared between places:\n" + "\n".join(clashes)


@pytest.mark.parametrize("place_id, name", [
    ("baghdad_green_zone", "المنطقة الخضراء"),
    ("us_embassy_baghdad", "السفارة الأمريكية"),
    ("us_embassy_baghdad", "السفارة الأميركية"),
    ("ain_al_asad_airbase", "عين الأسد"),
    ("jurf_al_sakhar", "جرف النصر"),
    ("victory_base_complex", "فيكتوريا"),
    ("al_tanf_garrison", "التنف"),
    ("tower_22", "البرج 22"),
])
def test_names_analysts_look_for(place_id, name):
    keys = {normalize_variant(variant) for variant in variants(by_id()[place_id])}
    assert normalize_variant(name) in keys
