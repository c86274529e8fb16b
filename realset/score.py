"""Run the real pipeline on the real-reporting set and score it: all of it, the held-out third, the dated articles.

    .venv/bin/python realset/score.py [--db OUT.duckdb] [--json | --markdown]      (or: make realset)

Steps: verify every text against the manifests (``rebuild.py check``; stop if one is missing),
build an inbox of ``<id>.txt`` + ``.meta.json`` sidecars in a temporary folder, run
``incidents run --inbox ... --db ...`` into a fresh DuckDB file, and score it with
``tests/devset/score.py`` against every ``realset/*/labels.json`` merged. The held-out score
keeps the incidents whose ``split`` is ``heldout`` and only their articles. The split of an
article is the one its manifest row gives. The "dated" score keeps only the articles with a
publication date (the view of a scraper, whose pages nearly all carry one), each attack with
those of its articles: 140 of the set's 400 excerpts (35%) carry none, and a report with neither
a publication date nor a year in its text can only be linked by its words and place.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "devset"))  # before HERE: `score` is the dev-set scorer

import rebuild  # noqa: E402
import score as scorer  # noqa: E402

SPLITS = ("all", "heldout", "dated")
TITLES = {"all": "all", "heldout": "held-out", "dated": "dated articles"}


def label_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/labels.json"))


def load_set_labels(root: Path) -> dict:
    """Every part's labels merged, each article's split taken from its manifest row."""
    labels = scorer.load_labels(label_files(root))
    split_of = {f"{row['article_id']}.txt": row["split"] for row in rebuild.all_rows(root)}
    for name, info in (labels["articles"] or {}).items():
        info["split"] = split_of.get(name, info.get("split"))
    return labels


def run_pipeline(inbox: Path, db: Path) -> None:
    exe = Path(sys.executable).with_name("incidents")
    cmd = [str(exe), "run", "--inbox", str(inbox), "--db", str(db), "--min-file-age", "0", "--no-progress"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def dated_part(labels: dict) -> tuple[dict, set[str]]:
    """The labels restricted to the articles with a publication date: each attack keeps those of
    its articles (an attack none of whose articles is dated is left out), for score_data."""
    names = {name for name, info in (labels["articles"] or {}).items() if info.get("published_at")}
    incidents = [dict(incident, articles=[a for a in incident["articles"] if a in names])
                 for incident in labels["incidents"]]
    articles = {name: info for name, info in labels["articles"].items() if name in names}
    mentions = [m for m in labels.get("background_mentions") or [] if m["article"] in names]
    return ({"articles": articles, "incidents": [i for i in incidents if i["articles"]],
             "background_mentions": mentions}, names)


def score_set(db: Path, root: Path) -> dict[str, dict]:
    labels = load_set_labels(root)
    data = scorer.load_db(db)
    held, held_names = scorer.select_split(labels, "heldout")
    dated, dated_names = dated_part(labels)
    return {"all": scorer.score_data(data, labels),
            "heldout": scorer.score_data(data, held, only_articles=held_names),
            "dated": scorer.score_data(data, dated, only_articles=dated_names)}


def _f(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def markdown(results: dict[str, dict]) -> str:
    """The figures of realset/README.md: detection, clustering and per-field accuracy, all / held-out."""
    rows = [("incidents", lambda r: f"{r['incidents']['gold']} gold, {r['incidents']['predicted']} predicted, "
                                     f"{r['incidents']['matched']} matched"),
            ("detection precision / recall / F1", lambda r: " / ".join(
                _f(r["incidents"][k]) for k in ("precision", "recall", "f1"))),
            ("clustering B-cubed precision / recall / F1", lambda r: " / ".join(
                _f(r["clustering"]["bcubed"][k]) for k in ("precision", "recall", "f1"))),
            ("clustering pairwise precision / recall", lambda r: " / ".join(
                _f(r["clustering"]["pairwise"][k]) for k in ("precision", "recall"))),
            ("near copies precision / recall", lambda r: " / ".join(
                _f(r["near_copies"][k]) for k in ("precision", "recall")))]
    rows += [(f"{field} accuracy (precision / recall)",
              lambda r, f=field: f"{_f(r['fields'][f]['accuracy'])} ({_f(r['fields'][f]['precision'])} / "
                                 f"{_f(r['fields'][f]['recall'])})")
             for field in scorer.FIELDS]
    lines = ["| | " + " | ".join(TITLES[split] for split in SPLITS) + " |", "| --- |" + " ---: |" * len(SPLITS)]
    lines += [f"| {name} | " + " | ".join(get(results[split]) for split in SPLITS) + " |" for name, get in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=HERE, help="the set's folder (default: %(default)s)")
    ap.add_argument("--db", type=Path, help="keep the pipeline's database here (default: a temporary file)")
    ap.add_argument("--json", action="store_true", help="print the full results as JSON")
    ap.add_argument("--markdown", action="store_true", help="print the summary table of realset/README.md")
    ap.add_argument("--dates-from", choices=("all", "url"), default="all",
                    help="which manifest publication dates the sidecars carry: all of them (the set's "
                         "measurements), or only those read from the url (a scraper's view: the pipeline "
                         "must read the page's date line and the story's own date itself)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    problems = [r["article_id"] for r in rebuild.all_rows(root) if rebuild.text_problem(root, r)]
    if problems:
        print(f"score: {len(problems)} texts are missing or wrong ({', '.join(problems[:5])}...); "
              "see `python realset/rebuild.py check` and `queries`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="realset-") as tmp:
        inbox = Path(tmp) / "inbox"
        rebuild.build_inbox(root, inbox, dated_by=rebuild.BASES if args.dates_from == "all" else ("url",))
        db = args.db.resolve() if args.db else Path(tmp) / "realset.duckdb"
        if db.exists():
            db.unlink()
        run_pipeline(inbox, db)
        results = score_set(db, root)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1, default=str))
        return 0
    if args.markdown:
        print(markdown(results))
        return 0
    for split in SPLITS:
        print(f"\n=== Real-reporting set: {TITLES[split]} ===")
        print(scorer.format_report(results[split]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
