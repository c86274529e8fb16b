"""Whether one predicted value of an incident is right against its label: dates within their
tolerance, places by name (spellings and articles aside) or within a distance, counts as whole
numbers, any of a label's accepted values (the conservative first, null for "no source says").

Used by ``score.py`` (the scoring of a run against the labels); the label format is in its
docstring.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal
from typing import Any

DEFAULT_TOLERANCE_KM = 25.0


def acceptable(spec: Any) -> list[Any]:
    return list(spec) if isinstance(spec, list) else [spec]


def _required(spec: Any) -> bool:
    """The gold value must be given: non-null and, for a list, null not among the options."""
    options = acceptable(spec)
    return bool(options) and all(o is not None for o in options)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _to_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def date_matches(pred: Any, gold: Any, tolerance_days: int = 0) -> bool:
    """gold is 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'."""
    p = _to_date(pred)
    if p is None or gold is None:
        return False
    g = str(gold)
    if len(g) == 4:
        return p.year == int(g)
    if len(g) == 7:
        return (p.year, p.month) == (int(g[:4]), int(g[5:7]))
    gd = _to_date(g)
    return gd is not None and abs((p - gd).days) <= tolerance_days


def _to_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int,)):
        return value
    if isinstance(value, (float, Decimal)):
        f = float(value)
        return int(f) if f.is_integer() else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


_PLACE_ALIASES = {
    # governorates
    "saladin": "salahdin", "salahuddin": "salahdin", "salaheddin": "salahdin", "salahadin": "salahdin",
    "salahaldin": "salahdin", "salahaddin": "salahdin",
    "ninawa": "nineveh", "ninewa": "nineveh", "ninawah": "nineveh", "niniveh": "nineveh", "ninava": "nineveh",
    "arbil": "erbil", "irbil": "erbil", "hawler": "erbil", "hewler": "erbil",
    "sulaimaniyah": "sulaymaniyah", "sulaimaniya": "sulaymaniyah", "sulaymaniya": "sulaymaniyah",
    "sulaimani": "sulaymaniyah", "slemani": "sulaymaniyah", "sulemani": "sulaymaniyah",
    "thiqar": "dhiqar", "dhiqaar": "dhiqar", "thiqaar": "dhiqar",
    "qadisiya": "qadisiyah", "qadisiyyah": "qadisiyah", "qadissiya": "qadisiyah", "diwaniyah": "qadisiyah",
    "diwaniya": "qadisiyah",
    "babylon": "babil", "babel": "babil",
    "basrah": "basra",
    "tamim": "kirkuk", "karkuk": "kirkuk",
    "diala": "diyala",
    "dayrzawr": "deirezzor", "deirzour": "deirezzor", "deirzor": "deirezzor", "deirezzour": "deirezzor",
    "dairezzor": "deirezzor", "deirazzor": "deirezzor", "dayrezzor": "deirezzor",
    "kerbala": "karbala", "wassit": "wasit", "misan": "maysan", "maisan": "maysan",
    # cities / towns
    "muqdadiya": "muqdadiyah", "muqdadiyya": "muqdadiyah", "miqdadiyah": "muqdadiyah", "miqdadiya": "muqdadiyah",
    "baquba": "baqubah", "baqouba": "baqubah", "baaqubah": "baqubah",
    "qaem": "qaim", "alqaim": "qaim",
    "tarmiya": "tarmiyah", "tarmia": "tarmiyah", "tarmiyya": "tarmiyah",
    "iskandariya": "iskandariyah", "iskandariyya": "iskandariyah", "eskandariya": "iskandariyah",
    "heet": "hit",
    "zubayr": "zubair", "zubeir": "zubair",
    "nasiriya": "nasiriyah", "nasiriyya": "nasiriyah", "nassiriya": "nasiriyah", "nassiriyah": "nasiriyah",
    "koysinjaq": "koya", "koysanjaq": "koya", "koisanjaq": "koya", "kuysanjaq": "koya", "koye": "koya",
    "hawijah": "hawija", "huwayjah": "hawija", "hawiga": "hawija",
    "mayadeen": "mayadin", "mayadin": "mayadin",
    "mawsil": "mosul",
    "shingal": "sinjar",
    "abusaidah": "abusaida", "abusayda": "abusaida",
    "syrianarabrepublic": "syria", "republicofiraq": "iraq",
}
_ARTICLE_RE = re.compile(r"\b(?:al|el|ad|ar|as|ash|at|az|an|ath)[\s\-]+")


def norm_place(value: Any) -> str | None:
    if value is None:
        return None
    s = unicodedata.normalize("NFKD", str(value))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower().strip()
    s = re.sub(r"['`\u2018\u2019\u02bf\u02be]", "", s)
    s = re.sub(r"\s+(governorate|province|district|subdistrict|city|muhafazat)$", "", s)
    s = _ARTICLE_RE.sub("", s)
    s = re.sub(r"[^a-z0-9]", "", s)
    return _PLACE_ALIASES.get(s, s) or None


# ---------------------------------------------------------------------------------------------
# loading



def field_correct(field: str, pred: dict, gold: dict) -> tuple[bool | None, bool, bool]:
    """(correct, predicted_non_null, required)."""
    if field == "location":
        lat, lon = pred.get("latitude"), pred.get("longitude")
        has_pred = lat is not None and lon is not None
        glat, glon = gold.get("latitude"), gold.get("longitude")
        required = glat is not None and glon is not None
        if not required:
            return (not has_pred, has_pred, False)
        if not has_pred:
            return (False, False, True)
        tol = gold.get("location_tolerance_km") or DEFAULT_TOLERANCE_KM
        return (haversine_km(float(lat), float(lon), float(glat), float(glon)) <= float(tol), True, True)

    if field == "launch_site":
        pv = pred.get("launch_site")
        has_pred = pv is not None and str(pv).strip() != ""
        spec = gold.get("launch_site_ar", gold.get("launch_site"))
        required = _required(spec)
        if required:
            return (has_pred, has_pred, True)
        return (True, has_pred, False)  # nothing to compare a predicted launch site with

    if field == "perpetrator_claimed":
        pv = pred.get("perpetrator_claimed")
        has_pred = pv is not None and str(pv).strip() != ""
        spec = gold.get("perpetrator_claimed")
        options = acceptable(spec)
        gold_claimed = any(o is not None for o in options)
        null_ok = any(o is None for o in options)
        if has_pred:
            return (gold_claimed, True, _required(spec))
        return (null_ok, False, _required(spec))

    spec = gold.get(field)
    options = acceptable(spec)
    required = _required(spec)
    pv = pred.get(field)
    if isinstance(pv, str) and not pv.strip():
        pv = None
    has_pred = pv is not None
    if not has_pred:
        return (any(o is None for o in options), False, required)
    opts = [o for o in options if o is not None]
    if field == "event_date":
        tol = int(gold.get("date_tolerance_days") or 0)
        ok = any(date_matches(pv, o, tol) for o in opts)
    elif field in ("country", "admin1", "city"):
        ok = norm_place(pv) in {norm_place(o) for o in opts}
    elif field in ("projectile_count", "killed", "injured"):
        ok = _to_int(pv) in {_to_int(o) for o in opts}
    else:
        ok = str(pv).strip().lower() in {str(o).strip().lower() for o in opts}
    return (ok, True, required)


_FIELD_KEYS = {"location": ("latitude",), "launch_site": ("launch_site_ar", "launch_site")}


def labelled(field: str, gold: dict) -> bool:
    """A gold incident without the key at all does not label the field (e.g. date_precision in the
    seed gold file); a key holding null labels it as 'no source says'."""
    return any(k in gold for k in _FIELD_KEYS.get(field, (field,)))


def agreement(pred: dict, gold: dict) -> int:
    n = 0
    for field in ("event_date", "weapon_type", "location"):
        ok, has_pred, _ = field_correct(field, pred, gold)
        n += bool(ok and has_pred)
    return n



def predicted_value(field: str, pred: dict):
    if field == "location":
        return [pred.get("latitude"), pred.get("longitude")]
    v = pred.get(field)
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def gold_value(field: str, gold: dict):
    if field == "location":
        return [gold.get("latitude"), gold.get("longitude"), gold.get("location_tolerance_km")]
    if field == "launch_site":
        return gold.get("launch_site_ar", gold.get("launch_site"))
    return gold.get(field)
