"""Score a pipeline database against labelled gold incidents.

    python tests/devset/score.py --db data/devset.duckdb [--labels tests/devset/labels.json ...] [--split heldout] [--json]

The database is opened read-only and only the stable contract columns are used:
``articles(article_id, source_file, duplicate_of)``, ``incidents(incident_id, event_date,
date_precision, country, admin1, city, latitude, longitude, weapon_type, projectile_count, killed,
injured, target_type, launch_site, perpetrator_claimed, is_background)`` and
``incident_sources(incident_id, article_id, role)``. The labels are either the dev-set file
(``tests/devset/labels.json``: ``articles``, ``incidents``, ``background_mentions``) or a
gold.json-shaped file such as ``../shared/seeds/gold.json`` (no ``articles`` section: the parts
of the score that need article kinds are then reported as ``None``). Several labels files are merged
(the parts of ``realset/``); ``--split NAME`` scores the incidents whose ``split`` is NAME and only
their articles (predicted incidents keep only those articles; see ``score_data``).

Definitions
-----------
Articles. A gold article name ('x.txt', 'web/y.html', 'batch.jsonl#2') is looked up in
``articles.source_file`` (path separators normalised); if no row has exactly that name, a row whose
source_file ends with '/' + name is used when there is exactly one (a database built over a parent
folder). Gold articles that are not in the database are listed in ``warnings``.

Primary articles of a predicted incident: its ``incident_sources`` rows with role 'primary'. An
article that has ``duplicate_of`` set and no ``incident_sources`` row at all inherits the incidents
of the article it duplicates (a pipeline may set copies aside instead of linking them).
Predicted incidents are those with ``is_background`` false or NULL; background incidents are not
scored as detections.

Matching. Every (predicted, gold) pair sharing at least one primary article is a candidate; the
candidates are taken greedily, largest overlap first, each predicted and each gold incident at most
once. Ties are broken by how many of event_date / weapon_type / location agree, then by the Jaccard
overlap of the article sets, then by ids (deterministic).

Detection. precision = matched / predicted incidents, recall = matched / gold incidents, F1 their
harmonic mean. ``background_false_positives`` are the unmatched predicted incidents whose primary
articles are all labelled ``negative`` or ``background_only``, or whose event_date matches a
background mention of one of their articles (the mention's own date at its precision, day / month
/ year, or the date of the gold incident the mention links to).

Fields (matched pairs only; detection is scored above). A gold value may be a scalar, a list of
acceptable values, or null; a prediction is *correct* when it equals an acceptable value (null is
acceptable only when the gold value is null or the list holds null).

* precision = correct non-null predictions / non-null predictions. A null prediction never counts
  against precision; a non-null prediction where the gold value is null is an error (the value was
  invented).
* recall = correct predictions / ``support``, where support counts the matched gold incidents whose
  value is *required*: non-null and, for a list, not containing null. A gold 0 is a value like any
  other. A gold null, or a list that also allows null, is outside the support.
* accuracy = correct (null included) / matched, reported as well.
* A gold incident that lacks the field's key altogether (the seed gold file has no
  date_precision) does not take part in that field's scores.

Comparisons: event_date exact, or within the gold ``date_tolerance_days`` (default 0), a 'YYYY-MM'
gold value matches any day of that month; date_precision, weapon_type, target_type case-insensitive
equality; country / admin1 / city after place-name normalisation (case, accents, 'al-' style
articles, punctuation, a small table of transliteration variants: 'Salah al-Din' = 'Saladin',
'Ninawa' = 'Nineveh' ...); location: the haversine distance between the predicted and the gold
latitude/longitude is at most ``location_tolerance_km`` (default 25); projectile_count, killed,
injured integer equality; launch_site: recall only (non-null when the gold ``launch_site_ar`` is
non-null; no precision is defined because the text of a launch site cannot be compared reliably);
perpetrator_claimed: correct when the prediction is non-null exactly when the gold is non-null, so
precision = claims predicted on claimed incidents / claims predicted and recall = claims predicted
on claimed incidents / claimed incidents.

Clustering. Items are the articles that are primary in a gold or in a predicted incident. For an
item a, G(a) is a plus every article sharing a gold incident with it, P(a) the same over predicted
incidents (an article missing on one side is a singleton there). Pairwise: the unordered pairs of
distinct articles that share a cluster; precision = |pred pairs & gold pairs| / |pred pairs|, recall
= |pred pairs & gold pairs| / |gold pairs|. B-cubed: precision = mean over items of
|G(a) & P(a)| / |P(a)|, recall = mean of |G(a) & P(a)| / |G(a)|. (Articles reporting several
incidents make clusters overlap; the set form above treats them as linked to every co-member.)

Near copies (needs the ``articles`` section). Copy groups are the connected components of the
``copy_of`` links. A predicted link is a row with ``duplicate_of`` set; it is correct when both
articles are in the same copy group. precision = correct links / predicted links. A labelled copy
(kind near_copy or exact_copy) is found when its duplicate_of points into its group or a member of
its group points at it (the pipeline may keep the later article as the original); recall = found /
labelled copies.

Ratios with a zero denominator are ``None``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from field_match import agreement, date_matches, field_correct, gold_value, labelled, predicted_value

HERE = Path(__file__).resolve().parent
DEFAULT_LABELS = HERE / "labels.json"
COPY_KINDS = {"near_copy", "exact_copy"}
NON_INCIDENT_KINDS = {"negative", "background_only"}

FIELDS = (
    "event_date",
    "date_precision",
    "country",
    "admin1",
    "city",
    "location",
    "weapon_type",
    "projectile_count",
    "killed",
    "injured",
    "target_type",
    "launch_site",
    "perpetrator_claimed",
)

# ---------------------------------------------------------------------------------------------
# small helpers


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def load_labels(labels_path: str | Path | Iterable[str | Path]) -> dict:
    """One labels file, or several merged (the parts of the real-reporting set): their incidents,
    articles and background mentions are concatenated; an article labelled twice is an error."""
    paths = [labels_path] if isinstance(labels_path, (str, Path)) else list(labels_path)
    merged: dict = {"articles": None, "incidents": [], "background_mentions": []}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("articles") is not None:
            merged["articles"] = merged["articles"] or {}
            twice = set(merged["articles"]) & set(data["articles"])
            if twice:
                raise ValueError(f"{path}: articles labelled in another labels file too: {sorted(twice)}")
            merged["articles"].update(data["articles"])
        merged["incidents"] += data["incidents"]
        merged["background_mentions"] += data.get("background_mentions") or []
    for inc in merged["incidents"]:
        inc.setdefault("date_tolerance_days", 0)
    return merged


def select_split(labels: dict, split: str) -> tuple[dict, set[str]]:
    """The labels of one split (incidents whose 'split' is it, articles whose 'split' is it or
    that belong to such an incident) and the set of its article names, for score_data."""
    incidents = [inc for inc in labels["incidents"] if inc.get("split") == split]
    names = {a for inc in incidents for a in inc["articles"]}
    articles = labels.get("articles")
    if articles is not None:
        names |= {a for a, info in articles.items() if info.get("split") == split}
        articles = {a: info for a, info in articles.items() if a in names}
    mentions = [m for m in labels.get("background_mentions") or [] if m["article"] in names]
    return {"articles": articles, "incidents": incidents, "background_mentions": mentions}, names


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def load_db(db_path: str | Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        articles = _rows(con, "SELECT article_id, source_file, duplicate_of FROM articles")
        incidents = _rows(con, "SELECT * FROM incidents")
        sources = _rows(con, "SELECT incident_id, article_id, role FROM incident_sources")
    finally:
        con.close()
    return {"articles": articles, "incidents": incidents, "sources": sources}


def _norm_path(p: str) -> str:
    p = str(p).replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


class _ArticleIndex:
    """Maps gold article names to database article ids and back."""

    def __init__(self, db_articles: list[dict], gold_names: Iterable[str]):
        self.by_file: dict[str, Any] = {}
        for row in db_articles:
            self.by_file.setdefault(_norm_path(row["source_file"]), row["article_id"])
        self.gold_to_id: dict[str, Any] = {}
        self.missing: list[str] = []
        for name in sorted(set(gold_names)):
            aid = self._lookup(_norm_path(name))
            if aid is None:
                self.missing.append(name)
            else:
                self.gold_to_id[name] = aid
        self.id_to_name: dict[Any, str] = {aid: name for name, aid in self.gold_to_id.items()}
        for row in db_articles:  # articles the labels do not know keep their own file name
            self.id_to_name.setdefault(row["article_id"], _norm_path(row["source_file"]))

    def _lookup(self, name: str):
        if name in self.by_file:
            return self.by_file[name]
        hits = [aid for f, aid in self.by_file.items() if f.endswith("/" + name)]
        return hits[0] if len(hits) == 1 else None


# ---------------------------------------------------------------------------------------------
# scoring


def score(db_path: str | Path, labels_path: str | Path | Iterable[str | Path], split: str | None = None) -> dict:
    labels = load_labels(labels_path)
    only = None
    if split is not None:
        labels, only = select_split(labels, split)
    db = load_db(db_path)
    return score_data(db, labels, only_articles=only)


def score_data(db: dict, labels: dict, only_articles: set[str] | None = None) -> dict:
    """only_articles: score one part of a database (a split): predicted incidents keep only these
    primary articles and are dropped when none is left; copy links outside them are ignored."""
    gold_incidents = labels["incidents"]
    label_articles: dict | None = labels.get("articles")
    mentions = labels.get("background_mentions") or []

    names: set[str] = set()
    for inc in gold_incidents:
        names.update(inc["articles"])
    if label_articles:
        names.update(label_articles)
    index = _ArticleIndex(db["articles"], names)
    warnings = [f"gold article not in the database: {n}" for n in index.missing]

    # predicted incidents and their primary articles (as names)
    incidents = {row["incident_id"]: row for row in db["incidents"]}
    primary: dict[Any, set[str]] = defaultdict(set)
    linked_articles: set[Any] = set()
    for row in db["sources"]:
        linked_articles.add(row["article_id"])
        if str(row.get("role") or "").lower() == "primary" and row["incident_id"] in incidents:
            primary[row["incident_id"]].add(index.id_to_name.get(row["article_id"], str(row["article_id"])))
    incidents_of: dict[str, set[Any]] = defaultdict(set)
    for iid, arts in primary.items():
        for a in arts:
            incidents_of[a].add(iid)
    for row in db["articles"]:  # unlinked copies inherit the incidents of their original
        dup = row.get("duplicate_of")
        if dup is not None and row["article_id"] not in linked_articles:
            me = index.id_to_name[row["article_id"]]
            for iid in incidents_of.get(index.id_to_name.get(dup, str(dup)), set()):
                primary[iid].add(me)

    if only_articles is not None:
        for iid in list(primary):
            primary[iid] &= only_articles
    predicted = [
        iid for iid, row in incidents.items()
        if not bool(row.get("is_background") or False) and (only_articles is None or primary.get(iid))
    ]
    predicted.sort(key=str)
    pred_sets = {iid: primary.get(iid, set()) for iid in predicted}
    gold_sets = [set(inc["articles"]) for inc in gold_incidents]

    # greedy matching
    candidates = []
    for iid in predicted:
        pset = pred_sets[iid]
        for gi, gset in enumerate(gold_sets):
            overlap = len(pset & gset)
            if overlap:
                jac = overlap / len(pset | gset)
                agree = agreement(incidents[iid], gold_incidents[gi])
                candidates.append((-overlap, -agree, -jac, str(iid), gi, iid))
    candidates.sort()
    matched_pred: dict[Any, int] = {}
    matched_gold: dict[int, Any] = {}
    for _, _, _, _, gi, iid in candidates:
        if iid in matched_pred or gi in matched_gold:
            continue
        matched_pred[iid] = gi
        matched_gold[gi] = iid

    n_pred, n_gold, n_match = len(predicted), len(gold_incidents), len(matched_gold)
    det_p, det_r = _ratio(n_match, n_pred), _ratio(n_match, n_gold)

    # background false positives
    kinds = {k: v.get("kind") for k, v in (label_articles or {}).items()}
    gold_by_label = {inc.get("label"): inc for inc in gold_incidents}
    mentions_by_article: dict[str, list[dict]] = defaultdict(list)
    for m in mentions:
        mentions_by_article[m["article"]].append(m)
    bg_fp = []
    for iid in predicted:
        if iid in matched_pred:
            continue
        arts = pred_sets[iid]
        reason = None
        if label_articles is not None and arts and all(kinds.get(a) in NON_INCIDENT_KINDS for a in arts):
            reason = "all primary articles are labelled negative / background_only"
        else:
            pdate = incidents[iid].get("event_date")
            for a in sorted(arts):
                for m in mentions_by_article.get(a, []):
                    dates = [m.get("event_date")]
                    linked = gold_by_label.get(m.get("should_link_to"))
                    if linked is not None:
                        dates.append(linked.get("event_date"))
                    if any(d and date_matches(pdate, d) for d in dates):
                        reason = f"date matches a background mention in {a}: {m.get('what')}"
                        break
                if reason:
                    break
        if reason:
            bg_fp.append({"incident_id": iid, "articles": sorted(arts), "reason": reason})

    # fields
    fields: dict[str, dict] = {}
    for field in FIELDS:
        stats = {"predicted": 0, "correct_predicted": 0, "support": 0, "recall_hits": 0,
                 "correct": 0, "matched": 0, "errors": []}
        for gi, iid in sorted(matched_gold.items()):
            gold, pred = gold_incidents[gi], incidents[iid]
            if not labelled(field, gold):
                continue
            stats["matched"] += 1
            ok, has_pred, required = field_correct(field, pred, gold)
            if has_pred:
                stats["predicted"] += 1
                if ok:
                    stats["correct_predicted"] += 1
            if required:
                stats["support"] += 1
                if ok and has_pred:
                    stats["recall_hits"] += 1
            if ok:
                stats["correct"] += 1
            elif ok is False:
                stats["errors"].append({"gold": gold.get("label"), "incident_id": iid,
                                        "predicted": predicted_value(field, pred),
                                        "expected": gold_value(field, gold)})
        precision = None if field == "launch_site" else _ratio(stats["correct_predicted"], stats["predicted"])
        recall = _ratio(stats["recall_hits"], stats["support"])
        fields[field] = {
            "precision": precision,
            "recall": recall,
            "support": stats["support"],
            "predicted": stats["predicted"],
            "accuracy": _ratio(stats["correct"], stats["matched"]),
            "labelled": stats["matched"],
            "errors": stats["errors"],
        }

    clustering = _clustering(gold_sets, [pred_sets[i] for i in predicted])
    near = _near_copies(db["articles"], index, label_articles, only_articles)

    return {
        "incidents": {
            "gold": n_gold,
            "predicted": n_pred,
            "matched": n_match,
            "precision": det_p,
            "recall": det_r,
            "f1": _f1(det_p, det_r),
            "matches": [
                {"gold": gold_incidents[gi].get("label", gi), "incident_id": iid,
                 "overlap": len(pred_sets[iid] & gold_sets[gi])}
                for gi, iid in sorted(matched_gold.items())
            ],
            "missed": [gold_incidents[gi].get("label", gi) for gi in range(n_gold) if gi not in matched_gold],
            "unmatched_predicted": [
                {"incident_id": iid, "articles": sorted(pred_sets[iid])}
                for iid in predicted if iid not in matched_pred
            ],
            "background_false_positives": {"count": len(bg_fp), "items": bg_fp},
        },
        "fields": fields,
        "clustering": clustering,
        "near_copies": near,
        "warnings": warnings,
    }


def _clustering(gold_sets: list[set[str]], pred_sets: list[set[str]]) -> dict:
    def co_members(clusters: list[set[str]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for c in clusters:
            for a in c:
                out[a] |= c
        return out

    def pairs(clusters: list[set[str]]) -> set[tuple[str, str]]:
        out = set()
        for c in clusters:
            members = sorted(c)
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    out.add((a, b))
        return out

    g_pairs, p_pairs = pairs(gold_sets), pairs(pred_sets)
    common = len(g_pairs & p_pairs)
    pw_p, pw_r = _ratio(common, len(p_pairs)), _ratio(common, len(g_pairs))

    g_co, p_co = co_members(gold_sets), co_members(pred_sets)
    items = sorted(set(g_co) | set(p_co))
    bp = br = 0.0
    for a in items:
        g = g_co.get(a) or {a}
        p = p_co.get(a) or {a}
        inter = len(g & p)
        bp += inter / len(p)
        br += inter / len(g)
    b_p = bp / len(items) if items else None
    b_r = br / len(items) if items else None
    return {
        "items": len(items),
        "pairwise": {"precision": pw_p, "recall": pw_r, "f1": _f1(pw_p, pw_r),
                     "gold_pairs": len(g_pairs), "predicted_pairs": len(p_pairs)},
        "bcubed": {"precision": b_p, "recall": b_r, "f1": _f1(b_p, b_r)},
    }


def _near_copies(db_articles: list[dict], index: _ArticleIndex, label_articles: dict | None,
                 only_articles: set[str] | None = None) -> dict:
    links = []
    for row in db_articles:
        if row.get("duplicate_of") is not None:
            links.append((index.id_to_name[row["article_id"]],
                          index.id_to_name.get(row["duplicate_of"], str(row["duplicate_of"]))))
    if only_articles is not None:
        links = [(a, b) for a, b in links if a in only_articles]
    if label_articles is None:
        return {"precision": None, "recall": None, "f1": None, "labelled": None,
                "predicted": len(links), "note": "labels have no 'articles' section"}

    parent = {a: a for a in label_articles}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, info in label_articles.items():
        c = info.get("copy_of")
        if c and c in parent:
            parent[find(a)] = find(c)
    group = {a: find(a) for a in label_articles}

    def same_group(a, b):
        return a != b and a in group and b in group and group[a] == group[b]

    correct = sum(1 for a, b in links if same_group(a, b))
    copies = [a for a, info in label_articles.items() if info.get("kind") in COPY_KINDS]
    found, missed = [], []
    for c in copies:
        ok = any((a == c and same_group(a, b)) or (b == c and same_group(a, b)) for a, b in links)
        (found if ok else missed).append(c)
    wrong = [{"article": a, "duplicate_of": b} for a, b in links if not same_group(a, b)]
    p, r = _ratio(correct, len(links)), _ratio(len(found), len(copies))
    by_kind = {}
    for kind in sorted(COPY_KINDS):
        ks = [c for c in copies if label_articles[c].get("kind") == kind]
        by_kind[kind] = {"labelled": len(ks), "found": sum(1 for c in ks if c in found)}
    return {"precision": p, "recall": r, "f1": _f1(p, r), "labelled": len(copies),
            "predicted": len(links), "correct": correct, "by_kind": by_kind,
            "missed": missed, "wrong_links": wrong}


# ---------------------------------------------------------------------------------------------
# command line


def _fmt(x) -> str:
    return "   -  " if x is None else f"{x:6.3f}"


def format_report(result: dict) -> str:
    inc = result["incidents"]
    lines = [
        "Incident detection",
        f"  gold {inc['gold']}  predicted {inc['predicted']}  matched {inc['matched']}",
        f"  precision {_fmt(inc['precision'])}  recall {_fmt(inc['recall'])}  F1 {_fmt(inc['f1'])}",
        f"  missed gold: {', '.join(map(str, inc['missed'])) or '-'}",
        f"  unmatched predicted: {len(inc['unmatched_predicted'])}"
        f" (of which background false positives: {inc['background_false_positives']['count']})",
        "",
        f"{'field':<20}{'precision':>10}{'recall':>10}{'support':>9}{'predicted':>11}{'accuracy':>10}",
    ]
    for field, s in result["fields"].items():
        lines.append(f"{field:<20}{_fmt(s['precision']):>10}{_fmt(s['recall']):>10}{s['support']:>9}"
                     f"{s['predicted']:>11}{_fmt(s['accuracy']):>10}")
    cl = result["clustering"]
    lines += [
        "",
        f"Clustering ({cl['items']} articles)",
        f"  pairwise  precision {_fmt(cl['pairwise']['precision'])}  recall {_fmt(cl['pairwise']['recall'])}"
        f"  F1 {_fmt(cl['pairwise']['f1'])}",
        f"  B-cubed   precision {_fmt(cl['bcubed']['precision'])}  recall {_fmt(cl['bcubed']['recall'])}"
        f"  F1 {_fmt(cl['bcubed']['f1'])}",
    ]
    nc = result["near_copies"]
    lines += ["", "Near / exact copies (articles.duplicate_of)"]
    if nc.get("labelled") is None:
        lines.append(f"  {nc.get('note')}; {nc['predicted']} duplicate_of links predicted")
    else:
        lines.append(f"  labelled {nc['labelled']}  predicted links {nc['predicted']}  correct {nc['correct']}")
        lines.append(f"  precision {_fmt(nc['precision'])}  recall {_fmt(nc['recall'])}  F1 {_fmt(nc['f1'])}")
    if result["warnings"]:
        lines += ["", "Warnings"] + [f"  {w}" for w in result["warnings"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score a pipeline DuckDB against labelled gold incidents.")
    ap.add_argument("--db", required=True, help="the pipeline's DuckDB file")
    ap.add_argument("--labels", nargs="+", default=[str(DEFAULT_LABELS)],
                    help="labels.json or a gold.json; several are merged (default: %(default)s)")
    ap.add_argument("--split", help="score only the incidents of this split and their articles (e.g. heldout)")
    ap.add_argument("--json", action="store_true", help="print the full result as JSON instead of a table")
    args = ap.parse_args(argv)
    if not Path(args.db).exists():
        print(f"score: no database at {args.db}", file=sys.stderr)
        return 2
    result = score(args.db, args.labels, split=args.split)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    else:
        print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
