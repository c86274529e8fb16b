"""Main text of saved news pages: the HTML reader against hand-made ground truth.

    python bench/bench_html.py --pages DIR/html --truth DIR/ground-truth.json

The corpus is the public article-extraction benchmark of Zyte (github scrapinghub/
article-extraction-benchmark): 181 real news pages (``html/<key>.html.gz``) with the article body
a person marked on each (``ground-truth.json``: ``{key: {"articleBody": ...}}``). Others' pages
never enter this repository: fetch that repository and point the flags at its files.

Each page's body as the reader takes it (``incidents.htmltext.extract_page``, the headline left
out because the ground truth leaves it out) is compared with the marked body as multisets of
word 4-grams (words are ``\\w+`` runs, so any script counts): precision and recall per page,
averaged over pages so that long pages weigh no more than short ones, F1 of the two averages.
The whole text of the page (every text node outside scripts and styles) is the floor.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter
from pathlib import Path

import lxml.html

from incidents.htmltext import _decode, extract_page

WORD_RE = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    words = WORD_RE.findall(text or "")
    return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)))


def precision_recall(truth: str, predicted: str) -> tuple[float, float]:
    gold, found = shingles(truth), shingles(predicted)
    hits = sum((gold & found).values())
    extra = sum((found - gold).values())
    missed = sum((gold - found).values())
    if extra == missed == 0:
        return 1.0, 1.0
    return (hits / (hits + extra) if hits + extra else 0.0), (hits / (hits + missed) if hits + missed else 0.0)


def whole_page(html: str) -> str:
    tree = lxml.html.fromstring(html)
    for node in tree.xpath("//script|//style|//noscript"):
        node.drop_tree()
    return tree.text_content()


def reader_body(html: str) -> str:
    document = extract_page(html)
    return document.text if document and document.text else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder of <key>.html or <key>.html.gz")
    parser.add_argument("--truth", type=Path, required=True, help="ground-truth.json")
    args = parser.parse_args()
    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    pages = []
    for key, gold in truth.items():
        path = next((p for p in (args.pages / f"{key}.html.gz", args.pages / f"{key}.html") if p.exists()), None)
        if path is None:
            continue
        data = path.read_bytes()
        pages.append((gold.get("articleBody", ""), _decode(gzip.decompress(data) if path.suffix == ".gz" else data)[0]))
    print(f"{len(pages)} pages with ground truth ({len(truth) - len(pages)} missing)\n")
    print(f"| {'reader':<32} | precision | recall |   F1  | ms a page |")
    print(f"| {'-' * 32} | --------: | -----: | ----: | --------: |")
    for name, read in (("whole page text (floor)", whole_page), ("incidents.htmltext (trafilatura)", reader_body)):
        scores, started = [], time.perf_counter()
        for gold, html in pages:
            scores.append(precision_recall(gold, read(html)))
        elapsed = time.perf_counter() - started
        precision = sum(p for p, _ in scores) / len(scores)
        recall = sum(r for _, r in scores) / len(scores)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"| {name:<32} | {precision:9.3f} | {recall:6.3f} | {f1:.3f} | {elapsed / len(pages) * 1000:9.1f} |")


if __name__ == "__main__":
    main()
