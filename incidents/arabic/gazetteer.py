"""The gazetteer and a matcher for the places it names, in two layers.

- ``lexicons/geonames.csv``: GeoNames' populated places of Iraq, Syria, Jordan, Kuwait and the
  border provinces of Saudi Arabia, Iran and Turkey, with their Arabic names (written by
  ``lexicons/build_gazetteer.py``).
- ``lexicons/gazetteer.csv``: the curated layer, what GeoNames lacks or names differently
  (countries, governorates, bases, airports, oil fields, crossings, Baghdad's districts, and towns
  under the English name analysts use). A GeoNames place that a curated row stands for lends it
  its Arabic spellings and is not a place of its own.

A name shared by a governorate and its capital (بغداد, البصرة, أربيل) means the city, unless the
word محافظة stands before it. A name shared by places far apart (سنجار in Iraq and in Syria, ربيعة
on the Iraqi-Syrian border and in Latakia) is resolved by the other places the article names
(``resolve_in_context``), and the choice is said in the match's ``note``. A name that is also an
ordinary word (``lexicons/place_words.csv``) matches a GeoNames place only after a word such as
مدينة or قضاء. Where camel-tools' NER model is installed, the places it tags that the gazetteer does
not know are reported as names without coordinates (see ``ner.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from incidents.arabic.lexicon import NAME_BREAK_RE, Match, PhraseMatcher, read_rows
from incidents.arabic.normalize import normalize

PRECISION_RANK = {"site": 0, "district": 1, "city": 2, "governorate": 3, "country": 4}
_GOVERNORATE_WORD_RE = re.compile(r"(?:محافظه|المحافظه|محافظات|محافظتي|ولايه|ولايات|ولايتي|مقاطعه)\s*$")
# Words that make an ordinary word a place name: مدينة حديثة, قضاء بلد.
PLACE_QUALIFIERS = ("مدينة", "قضاء", "ناحية", "بلدة", "قرية", "منطقة", "حي")
# Without context, a name shared by places in two countries means the one in the country the
# news is mostly about; then the bigger town.
COUNTRY_PRIOR = {"Iraq": 0, "Syria": 1, "Jordan": 2, "Kuwait": 3}
# Two candidates of a name this close (or one inside the other) are one place for a map.
SAME_AREA_KM = 25.0
# GeoNames towns of this many people or more are cities.
CITY_POPULATION = 100_000


@dataclass(frozen=True)
class Place:
    place_id: str
    name_en: str
    name_ar: str
    kind: str
    target_type: str | None          # what an attack on the place hits, when a report names nothing else
    admin1: str | None
    country: str
    city: str | None
    latitude: float
    longitude: float
    precision: str
    parent_id: str | None
    source: str = "curated"          # curated | geonames
    geonames_id: int | None = None
    population: int = 0

    @property
    def rank(self) -> int:
        return PRECISION_RANK.get(self.precision, 5)


def _geonames_rows() -> list[dict[str, str]]:
    return read_rows("geonames.csv")


@lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    found = {}
    for row in read_rows("gazetteer.csv"):
        names = [name.strip() for name in row["names_ar"].split("|") if name.strip()]
        found[row["place_id"]] = Place(
            place_id=row["place_id"],
            name_en=row["name_en"],
            name_ar=names[0] if names else "",
            kind=row["kind"],
            target_type=row["target_type"] or None,
            admin1=row["admin1"] or None,
            country=row["country"],
            city=row["city"] or None,
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            precision=row["precision"],
            parent_id=row["parent_id"] or None,
        )
    parents = _parents(found)
    for row in _geonames_rows():
        if row["curated_id"]:
            continue
        population = int(row["population"] or 0)
        place_id = f"gn{row['geonames_id']}"
        found[place_id] = Place(
            place_id=place_id,
            name_en=row["name_en"],
            name_ar=row["names_ar"].split("|")[0],
            kind="city" if population >= CITY_POPULATION else "town",
            target_type=None,
            admin1=row["admin1"] or None,
            country=row["country"],
            city=row["name_en"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            precision="city",
            parent_id=parents.get((row["country"], row["admin1"])) or parents.get((row["country"], "")),
            source="geonames",
            geonames_id=int(row["geonames_id"]),
            population=population,
        )
    return found


def _parents(curated: dict[str, Place]) -> dict[tuple[str, str], str]:
    """The curated governorate (or country) a GeoNames town of that admin1 (or country) lies in."""
    parents = {}
    for place in curated.values():
        if place.kind == "governorate":
            parents[(place.country, place.admin1 or "")] = place.place_id
        elif place.kind == "country":
            parents[(place.country, "")] = place.place_id
    return parents


@lru_cache(maxsize=1)
def qualified_only() -> frozenset[str]:
    return frozenset(normalize(row["name"]) for row in read_rows("place_words.csv") if row["use"] == "qualified_only")


@lru_cache(maxsize=1)
def place_matcher() -> PhraseMatcher:
    by_name: dict[str, list[str]] = {}

    def add(name: str, place_id: str) -> None:
        ids = by_name.setdefault(normalize(name).strip(), [])
        if place_id not in ids:
            ids.append(place_id)

    for row in read_rows("gazetteer.csv"):
        for name in row["names_ar"].split("|"):
            if name.strip():
                add(name, row["place_id"])
    common_words = qualified_only()
    for row in _geonames_rows():
        place_id = row["curated_id"] or f"gn{row['geonames_id']}"
        for name in row["match_names"].split("|"):
            if not name:
                continue
            if name in common_words:
                for qualifier in PLACE_QUALIFIERS:
                    add(f"{qualifier} {name}", place_id)
            else:
                add(name, place_id)
    return PhraseMatcher({name: tuple(ids) for name, ids in by_name.items()}, breaks=NAME_BREAK_RE)


@dataclass(frozen=True)
class PlaceMatch:
    start: int
    end: int
    place: Place
    # The other places the name may mean (far from ``place``), in order of preference without context.
    alternatives: tuple[Place, ...] = ()
    note: str | None = None          # how an ambiguous name was resolved

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)


def _prior(place: Place) -> tuple:
    return (place.source != "curated", COUNTRY_PRIOR.get(place.country, len(COUNTRY_PRIOR)), -place.population)


def _order(place: Place, candidates: list[Place], wants_governorate: bool) -> int:
    """Without context: a curated town or site; a GeoNames town in the governorate of its name
    (كربلاء: the city); the governorate; a town elsewhere. After محافظة, the governorate first."""
    if place.kind == "governorate":
        return 0 if wants_governorate else 2
    if place.source == "curated":
        return 1 if wants_governorate else 0
    governorates = {(p.country, p.admin1) for p in candidates if p.kind == "governorate"}
    return 1 if not governorates or (place.country, place.admin1) in governorates else 3


def find_places(normalized: str) -> list[PlaceMatch]:
    catalogue = places()
    found = []
    for match in place_matcher().finditer(normalized):
        candidates = [catalogue[place_id] for place_id in match.payload]
        if len(candidates) == 1:
            found.append(PlaceMatch(match.start, match.end, candidates[0]))
            continue
        wants_governorate = bool(_GOVERNORATE_WORD_RE.search(normalized[max(0, match.start - 12):match.start]))
        candidates.sort(key=lambda p: (_order(p, candidates, wants_governorate), _prior(p)))
        chosen = candidates[0]
        alternatives = tuple(p for p in candidates[1:] if not _same_area(chosen, p))
        found.append(PlaceMatch(match.start, match.end, chosen, alternatives))
    return found


def resolve_in_context(place_lists: list[list[PlaceMatch]], context: Sequence[PlaceMatch] = ()) -> None:
    """Chooses, for each ambiguous name of an article, the place that fits the others it names.

    ``place_lists`` holds each sentence's matches and is changed in place; ``context`` adds places
    named outside them (the dateline's city). A candidate in the governorate of a place named
    without ambiguity wins, then one in its country, then one in a country the article names;
    the choice and its reason go into the match's ``note``.
    """
    if not any(m.ambiguous for matches in place_lists for m in matches):
        return
    known = [m.place for matches in (*place_lists, context) for m in matches if not m.ambiguous]
    areas = {(p.country, p.admin1) for p in known if p.kind != "country" and p.admin1}
    countries = {p.country for p in known if p.kind != "country"}
    named_countries = {p.country for p in known if p.kind == "country"}
    for matches in place_lists:
        for index, match in enumerate(matches):
            if match.ambiguous:
                matches[index] = _resolve(match, areas, countries, named_countries)


def _resolve(match: PlaceMatch, areas: set, countries: set, named_countries: set) -> PlaceMatch:
    candidates = (match.place, *match.alternatives)

    def fit(place: Place) -> int:
        return (3 * ((place.country, place.admin1) in areas) + 2 * (place.country in countries)
                + (place.country in named_countries))

    chosen = max(candidates, key=fit)  # the first (the prior's choice) among equals
    if fit(chosen) == 0:
        reason = "no other place of the article decides; the likelier by default"
    elif (chosen.country, chosen.admin1) in areas:
        reason = f"the article names other places in {chosen.admin1}"
    elif chosen.country in countries:
        reason = f"the article names other places in {chosen.country}"
    else:
        reason = f"the article names {chosen.country}"
    others = "; ".join(_describe(p) for p in candidates if p is not chosen)
    note = f"ambiguous name: {_describe(chosen)} rather than {others} ({reason})"
    return replace(match, place=chosen, alternatives=tuple(p for p in candidates if p is not chosen), note=note)


def _describe(place: Place) -> str:
    where = ", ".join(part for part in (place.admin1, place.country) if part and part != place.name_en)
    return f"{place.name_en} ({where})" if where else place.name_en


def _same_area(first: Place, second: Place) -> bool:
    if contains(first, second) or contains(second, first):
        return True
    return distance_km(first, second) <= SAME_AREA_KM


def distance_km(first: Place, second: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (first.latitude, first.longitude, second.latitude, second.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def contains(outer: Place, inner: Place) -> bool:
    """Whether ``inner`` lies in ``outer`` by the gazetteer's parent links."""
    catalogue = places()
    current: Place | None = inner
    seen = set()
    while current is not None and current.place_id not in seen:
        if current.place_id == outer.place_id:
            return True
        seen.add(current.place_id)
        current = catalogue.get(current.parent_id) if current.parent_id else None
    return False


def city_of(place: Place) -> str | None:
    if place.precision in ("site", "district", "city"):
        return place.city or (place.name_en if place.precision == "city" else None)
    return None


__all__ = ["Match", "Place", "PlaceMatch", "contains", "find_places", "places", "city_of", "distance_km",
           "resolve_in_context"]
