"""The gazetteer (``lexicons/gazetteer.csv``) and a matcher for the places it names.

A name shared by a governorate and its capital (بغداد, البصرة, أربيل) means the city, unless the
word محافظة stands before it. Where camel-tools' NER model is installed, the places it tags that
the gazetteer does not know are reported as names without coordinates (see ``ner.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from incidents.arabic.lexicon import Match, PhraseMatcher, read_rows

PRECISION_RANK = {"site": 0, "district": 1, "city": 2, "governorate": 3, "country": 4}
_GOVERNORATE_WORD_RE = re.compile(r"(?:محافظه|المحافظه|محافظات|ولايه|ولايات|مقاطعه)\s*$")


@dataclass(frozen=True)
class Place:
    place_id: str
    name_en: str
    name_ar: str
    kind: str
    admin1: str | None
    country: str
    city: str | None
    latitude: float
    longitude: float
    precision: str
    parent_id: str | None

    @property
    def rank(self) -> int:
        return PRECISION_RANK.get(self.precision, 5)


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
            admin1=row["admin1"] or None,
            country=row["country"],
            city=row["city"] or None,
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            precision=row["precision"],
            parent_id=row["parent_id"] or None,
        )
    return found


@lru_cache(maxsize=1)
def place_matcher() -> PhraseMatcher:
    by_name: dict[str, list[str]] = {}
    for row in read_rows("gazetteer.csv"):
        for name in row["names_ar"].split("|"):
            if name.strip():
                by_name.setdefault(name.strip(), []).append(row["place_id"])
    return PhraseMatcher({name: tuple(ids) for name, ids in by_name.items()})


@dataclass(frozen=True)
class PlaceMatch:
    start: int
    end: int
    place: Place


def find_places(normalized: str) -> list[PlaceMatch]:
    catalogue = places()
    found = []
    for match in place_matcher().finditer(normalized):
        candidates = [catalogue[place_id] for place_id in match.payload]
        wants_governorate = bool(_GOVERNORATE_WORD_RE.search(normalized[max(0, match.start - 12):match.start]))
        candidates.sort(key=lambda p: (p.kind == "governorate") != wants_governorate)
        found.append(PlaceMatch(match.start, match.end, candidates[0]))
    return found


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


__all__ = ["Match", "Place", "PlaceMatch", "contains", "find_places", "places", "city_of"]
