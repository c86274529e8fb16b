"""Count what the real-reporting set holds against the criteria of issue 18 (all parts together).

    python realset/criteria.py          # a Markdown table, as in realset/README.md

Read from the manifests and labels only (no texts needed), so CI checks it.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTRACT_WEAPONS = ("rocket", "mortar", "drone", "ied", "missile", "airstrike", "gunfire")
SAME_PLACE_KM = 5.0


def _options(value) -> list:
    return [v for v in (value if isinstance(value, list) else [value]) if v is not None]


def _km(a: dict, b: dict) -> float:
    p1, p2 = math.radians(a["latitude"]), math.radians(b["latitude"])
    dp, dl = p2 - p1, math.radians(b["longitude"] - a["longitude"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def load(root: Path = HERE) -> tuple[list[dict], dict, list[dict], list[dict]]:
    rows, articles, incidents, mentions = [], {}, [], []
    for manifest in sorted(root.glob("*/manifest.csv")):
        with manifest.open(encoding="utf-8", newline="") as f:
            rows += list(csv.DictReader(f))
        labels = json.loads((manifest.parent / "labels.json").read_text(encoding="utf-8"))
        articles.update(labels["articles"])
        incidents += labels["incidents"]
        mentions += labels.get("background_mentions") or []
    return rows, articles, incidents, mentions


def counts(root: Path = HERE) -> dict[str, dict]:
    """criterion -> {"value": ..., "target": ..., "met": bool}."""
    rows, articles, incidents, mentions = load(root)
    outlet_of = {f"{r['article_id']}.txt": r["outlet"] for r in rows}
    incidents_of = defaultdict(list)
    for inc in incidents:
        for a in inc["articles"]:
            incidents_of[a].append(inc)
    years = {int(str(d)[:4]) for inc in incidents for d in _options(inc.get("event_date"))}
    weapons = {w for inc in incidents for w in _options(inc.get("weapon_type"))}
    three_outlets = [inc for inc in incidents if len({outlet_of[a] for a in inc["articles"]}) >= 3]
    no_attack = [a for a, info in articles.items() if info["kind"] in {"negative", "background_only"}]
    undated = [r for r in rows if not r["published_at"]]
    copies = [a for a, info in articles.items() if info["kind"] in {"near_copy", "exact_copy"}]
    multi = [a for a, incs in incidents_of.items() if len(incs) >= 2]
    recalling = {m["article"] for m in mentions if not m.get("generic")}
    placed = [inc for inc in incidents if inc.get("latitude") is not None and inc.get("longitude") is not None]
    same_place_other_day = {
        frozenset((x["label"], y["label"])) for i, x in enumerate(placed) for y in placed[i + 1:]
        if _km(x, y) <= SAME_PLACE_KM and set(map(str, _options(x.get("event_date"))))
        .isdisjoint(map(str, _options(y.get("event_date"))))}
    share_undated = len(undated) / len(rows) if rows else 0.0
    table = {
        "articles": (len(rows), ">= 100", len(rows) >= 100),
        "outlets": (len(set(outlet_of.values())), ">= 40", len(set(outlet_of.values())) >= 40),
        "attacks (labelled incidents)": (len(incidents), ">= 30", len(incidents) >= 30),
        "attacks told by 3+ outlets": (len(three_outlets), ">= 20", len(three_outlets) >= 20),
        "years of the attacks": (f"{min(years)}-{max(years)}" if years else "-", "within 2014-2025",
                                 bool(years) and min(years) >= 2014 and max(years) <= 2025),
        "contract weapons present": (", ".join(w for w in CONTRACT_WEAPONS if w in weapons), "all 7",
                                     set(CONTRACT_WEAPONS) <= weapons),
        "near / exact copies": (len(copies), ">= 1", len(copies) >= 1),
        "articles reporting 2+ attacks": (len(multi), ">= 1", len(multi) >= 1),
        "articles recalling earlier attacks": (len(recalling), ">= 1", len(recalling) >= 1),
        f"pairs of attacks within {SAME_PLACE_KM:g} km on different days": (
            len(same_place_other_day), ">= 1", len(same_place_other_day) >= 1),
        "articles with no attack of their own": (len(no_attack), ">= 10", len(no_attack) >= 10),
        "articles without published_at": (f"{len(undated)} ({share_undated:.0%})", "about a fifth (15-35 %)",
                                          0.15 <= share_undated <= 0.35),
        "held-out attacks": (sum(inc.get("split") == "heldout" for inc in incidents), "about a third",
                             0.25 <= sum(inc.get("split") == "heldout" for inc in incidents) / max(1, len(incidents)) <= 0.4),
    }
    return {k: {"value": v, "target": t, "met": m} for k, (v, t, m) in table.items()}


def markdown(table: dict[str, dict]) -> str:
    lines = ["| criterion | count | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {k} | {c['value']} | {c['target']} | {'yes' if c['met'] else 'NO'} |" for k, c in table.items()]
    return "\n".join(lines)


def main() -> int:
    table = counts()
    print(markdown(table))
    return 0 if all(c["met"] for c in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
