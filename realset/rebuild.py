"""Rebuild, check and publish the texts of the real-reporting set.

The texts are excerpts of stored public web pages returned by the ``search`` tool (corpus
``pages``); they are never committed. Each part of the set (``realset/<part>/manifest.csv``)
records per article the url, the query that returned it, its length in characters and the sha256
of its UTF-8 bytes, so that the texts can be fetched again and verified.

    python realset/rebuild.py check                  # every manifest row against its text
    python realset/rebuild.py queries                # what to look up for the missing texts
    python realset/rebuild.py add ANSWER.json ...    # write the texts found in saved answers
    python realset/rebuild.py new ANSWER.json --url URL --id iq001 --outlet NAME \\
        [--published-at ISO --basis url|text|page] --split dev|heldout   # register an article
    python realset/rebuild.py inbox OUT [--split heldout]   # an inbox folder for the pipeline

An ANSWER.json is the search tool's answer saved as it came (``{"query": ..., "results":
[{"url": ..., "excerpt": ...}, ...]}``), or a list of such answers. ``--root`` points at another
copy of the set (the tests use a temporary one); the texts live in ``<root>/texts``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COLUMNS = ("article_id", "url", "outlet", "published_at", "published_at_basis", "query", "chars",
           "sha256", "split")
SPLITS = ("dev", "heldout")
BASES = ("url", "text", "page", "")
ID_RE = re.compile(r"^[a-z]{2}\d{3}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_paths(root: Path) -> list[Path]:
    return sorted(root.glob("*/manifest.csv"))


def read_manifest(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def all_rows(root: Path) -> list[dict]:
    rows = []
    for path in manifest_paths(root):
        for row in read_manifest(path):
            row["part"] = path.parent.name
            rows.append(row)
    return rows


def write_manifest(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["article_id"]))


def text_path(root: Path, article_id: str) -> Path:
    return root / "texts" / f"{article_id}.txt"


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def text_problem(root: Path, row: dict) -> str | None:
    """None when the text is present and matches its row, else what is wrong with it."""
    path = text_path(root, row["article_id"])
    if not path.is_file():
        return "missing"
    try:
        text = read_text(path)
    except UnicodeDecodeError:
        return "mismatched: not UTF-8"
    if sha256(text) != row["sha256"]:
        return f"mismatched: sha256 {sha256(text)[:12]}... expected {row['sha256'][:12]}..."
    if len(text) != int(row["chars"]):
        return f"mismatched: {len(text)} characters, expected {row['chars']}"
    return None


def load_answers(paths: list[str]) -> list[dict]:
    """Every (query, url, excerpt) of the saved search answers, in the order given."""
    hits = []
    for p in paths:
        data = json.loads(Path(p).read_text(encoding="utf-8"))
        for answer in data if isinstance(data, list) else [data]:
            for result in answer.get("results", []):
                if result.get("url") and isinstance(result.get("excerpt"), str):
                    hits.append({"query": answer.get("query", ""), "url": result["url"],
                                 "excerpt": result["excerpt"], "file": p})
    return hits


# --- commands -------------------------------------------------------------------------------

def cmd_check(root: Path) -> int:
    rows = all_rows(root)
    problems = [(r, text_problem(root, r)) for r in rows]
    bad = [(r, p) for r, p in problems if p]
    for r, p in bad:
        print(f"{r['article_id']}\t{p}\t{r['url']}")
    print(f"{len(rows) - len(bad)} of {len(rows)} texts present and verified; "
          f"{sum(p == 'missing' for _, p in bad)} missing, "
          f"{sum(p != 'missing' for _, p in bad)} mismatched")
    return 1 if bad else 0


def cmd_add(root: Path, answer_files: list[str]) -> int:
    by_url: dict[str, list[dict]] = {}
    for row in all_rows(root):
        by_url.setdefault(row["url"], []).append(row)
    written = already = 0
    for hit in load_answers(answer_files):
        rows = by_url.get(hit["url"])
        if not rows:
            print(f"not in a manifest: {hit['url']}")
            continue
        digest = sha256(hit["excerpt"])
        for row in rows:
            if digest != row["sha256"]:
                print(f"{row['article_id']}: excerpt differs from the manifest (sha256 {digest[:12]}...), "
                      f"not written; query was {hit['query']!r}")
                continue
            path = text_path(root, row["article_id"])
            if path.is_file() and text_problem(root, row) is None:
                already += 1
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(hit["excerpt"].encode("utf-8"))
            written += 1
    print(f"{written} texts written, {already} already present")
    return 0


def cmd_queries(root: Path) -> int:
    missing = [r for r in all_rows(root) if text_problem(root, r)]
    for r in missing:
        print(f"{r['article_id']}\tquery: {r['query']}\turl: {r['url']}")
    print(f"{len(missing)} texts to look up (search tool, corpus 'pages'); save each answer as JSON "
          f"and run: python realset/rebuild.py add ANSWER.json ...", file=sys.stderr)
    return 0


def cmd_new(root: Path, args: argparse.Namespace) -> int:
    if not ID_RE.match(args.id):
        raise SystemExit(f"article id {args.id!r} is not like iq001")
    if args.basis not in BASES or bool(args.published_at) != bool(args.basis):
        raise SystemExit("--published-at and --basis (url, text or page) go together")
    hits = [h for h in load_answers([args.answer]) if h["url"] == args.url]
    if not hits:
        raise SystemExit(f"{args.url} is not in {args.answer}")
    hit = hits[0]
    path = root / args.part / "manifest.csv"
    rows = read_manifest(path) if path.exists() else []
    taken = {r["article_id"] for r in all_rows(root)}
    urls = {r["url"]: r["article_id"] for r in all_rows(root)}
    if args.id in taken:
        raise SystemExit(f"{args.id} is already in a manifest")
    if args.url in urls:
        raise SystemExit(f"{args.url} is already {urls[args.url]}")
    text = hit["excerpt"]
    rows.append({"article_id": args.id, "url": args.url, "outlet": args.outlet,
                 "published_at": args.published_at or "", "published_at_basis": args.basis,
                 "query": hit["query"], "chars": str(len(text)), "sha256": sha256(text),
                 "split": args.split})
    write_manifest(path, rows)
    out = text_path(root, args.id)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))
    print(f"{args.id}\t{len(text)} chars\t{args.outlet}\t{args.url}")
    return 0


def build_inbox(root: Path, out: Path, split: str | None = None, dated_by: tuple[str, ...] = BASES) -> list[str]:
    """An inbox of ``<id>.txt`` plus a ``.meta.json`` sidecar: published_at only when known, and
    only when its basis is one of ``dated_by`` (``("url",)``: what a scraper has without reading
    the page, leaving the page's date line and the story's "today, <date>" to the pipeline)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    names = []
    for row in all_rows(root):
        if split and row["split"] != split:
            continue
        if text_problem(root, row):
            raise SystemExit(f"{row['article_id']}: text {text_problem(root, row)}; run rebuild.py check")
        name = f"{row['article_id']}.txt"
        shutil.copyfile(text_path(root, row["article_id"]), out / name)
        meta = {"source": row["outlet"], "url": row["url"]}
        if row["published_at"] and row["published_at_basis"] in dated_by:
            meta["published_at"] = row["published_at"]
        (out / f"{row['article_id']}.meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="the set's folder (default: %(default)s)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="verify every text against its manifest row; exit 1 if any is missing or wrong")
    add = sub.add_parser("add", help="write the texts found in saved search answers")
    add.add_argument("answers", nargs="+")
    sub.add_parser("queries", help="the query and url of every missing text")
    new = sub.add_parser("new", help="register one article of a saved answer in a part's manifest")
    new.add_argument("answer")
    new.add_argument("--url", required=True)
    new.add_argument("--id", required=True)
    new.add_argument("--part", default="iraq")
    new.add_argument("--outlet", required=True)
    new.add_argument("--published-at", default="")
    new.add_argument("--basis", default="")
    new.add_argument("--split", choices=SPLITS, required=True)
    inbox = sub.add_parser("inbox", help="build an inbox folder from the texts")
    inbox.add_argument("out", type=Path)
    inbox.add_argument("--split", choices=SPLITS)
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if args.command == "check":
        return cmd_check(root)
    if args.command == "add":
        return cmd_add(root, args.answers)
    if args.command == "queries":
        return cmd_queries(root)
    if args.command == "new":
        return cmd_new(root, args)
    names = build_inbox(root, args.out, args.split)
    print(f"{len(names)} articles in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
