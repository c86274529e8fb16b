"""Build the dev-set inbox and the bundled sample inbox from their UTF-8 sources.

The article texts live in ``tests/devset/sources/`` (dev set) and ``tests/devset/sources/sample/``
(sample inbox) as plain UTF-8 files; ``sources/manifest.json`` says how each one is published in
the inbox: its file name, its format (``txt`` with or without a ``.meta.json`` sidecar, ``json``,
``jsonl``, ``html``) and, for ``txt``, its encoding (``utf-8``, ``utf-8-bom``, ``utf-16-le-bom``,
``utf-16-be-bom``, ``cp1256``). Both the sources and the built inboxes are kept in the repository;
run this script after editing a source and commit both.

    python tests/devset/build_inbox.py            # rebuild both inboxes
    python tests/devset/build_inbox.py --check    # exit 1 if a built file differs from its source

A rebuild replaces ``tests/devset/inbox/`` and ``sample_inbox/`` entirely: files added there by
hand are removed, so add them to the manifest instead. The output is deterministic (no timestamps, sorted keys where order does not matter), so
``--check`` can compare bytes.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCES = HERE / "sources"
MANIFEST = SOURCES / "manifest.json"

ENCODINGS = {
    "utf-8": lambda s: s.encode("utf-8"),
    "utf-8-bom": lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
    "utf-16-le-bom": lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
    "utf-16-be-bom": lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
    "cp1256": lambda s: _cp1256(s),
}
META_KEYS = ("id", "published_at", "source", "url", "title")


def _cp1256(text: str) -> bytes:
    data = text.encode("cp1256")  # raises UnicodeEncodeError on a character cp1256 lacks
    if data.decode("cp1256") != text:
        raise ValueError("text does not round-trip through cp1256")
    return data


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def read_text(rel: str) -> str:
    """The article text: UTF-8, no trailing whitespace, paragraphs separated by blank lines."""
    text = (SOURCES / rel).read_text(encoding="utf-8")
    if text.startswith("\ufeff"):
        raise ValueError(f"{rel}: sources must be UTF-8 without BOM")
    return text.strip()


def _article_object(text_rel: str, meta: dict) -> dict:
    obj = {k: meta[k] for k in META_KEYS if meta.get(k) is not None}
    obj["text"] = read_text(text_rel)
    return obj


# --- HTML ----------------------------------------------------------------------------------

_NAV = ["الرئيسية", "العراق", "أمن", "سياسة", "اقتصاد", "رياضة", "منوعات", "فيديو", "اتصل بنا"]
# Sidebar and ticker headlines: other stories of the site. They mention attacks on purpose: the
# pipeline must take the article body only, never these.
_RELATED = [
    "سقوط صاروخين على قاعدة بلد الجوية دون خسائر",
    "انفجار عبوة ناسفة على رتل للدعم اللوجستي في الديوانية",
    "إسقاط طائرة مسيرة قرب مطار أربيل",
    "الحكومة: لا تهاون مع مطلقي الصواريخ",
    "ارتفاع أسعار صرف الدولار في بورصة الكفاح",
]
_TICKER = "عاجل: مصدر أمني: سقوط قذيفة هاون على قرية في قضاء الخالص دون إصابات"
_SCRIPT_HEAD = (
    "window.dataLayer = window.dataLayer || [];\n"
    "function gtag(){dataLayer.push(arguments);}\n"
    "gtag('js', 'build');\n"
)
_SCRIPT_BODY = (
    "var breaking = {\"text\": \"عاجل: هجوم بطائرة مسيرة على قاعدة عين الأسد\", \"ttl\": 30};\n"
    "document.querySelectorAll('.share').forEach(function (b) {\n"
    "  b.addEventListener('click', function () { alert('تمت مشاركة الخبر'); });\n"
    "});\n"
)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split("\n")) for p in text.split("\n\n") if p.strip()]


def render_html(entry: dict) -> str:
    meta = entry["meta"]
    site = entry.get("site", meta.get("source", ""))
    title = meta["title"]
    pub = meta["published_at"]
    esc = html.escape
    paras = "\n".join(f"    <p>{esc(p, quote=False)}</p>" for p in _paragraphs(read_text(entry["text"])))
    nav_items = "".join(f'<li><a href="/section/{i}">{esc(n)}</a></li>' for i, n in enumerate(_NAV))
    related = "\n".join(
        f'      <li><a href="/news/{1000 + i}">{esc(h)}</a></li>' for i, h in enumerate(_RELATED)
    )
    head = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | {esc(site)}</title>
<meta property="og:title" content="{esc(title)}">
<meta property="og:site_name" content="{esc(site)}">
<meta property="article:published_time" content="{esc(pub)}">
<link rel="canonical" href="{esc(meta.get('url', ''))}">
<link rel="stylesheet" href="/static/site.css">
<script>
{_SCRIPT_HEAD}</script>
</head>
<body>
"""
    footer = f"""<footer class="site-footer">
  <ul class="footer-links"><li><a href="/about">من نحن</a></li><li><a href="/privacy">سياسة الخصوصية</a></li><li><a href="/ads">أعلن معنا</a></li></ul>
  <p>جميع الحقوق محفوظة © {esc(site)}. لا يجوز نقل المواد المنشورة دون إذن مسبق.</p>
</footer>
<script>
{_SCRIPT_BODY}</script>
</body>
</html>
"""
    if entry.get("layout") == "div":
        # Older CMS: no semantic elements, everything is a div.
        return head + f"""<div id="top-bar"><div class="logo">{esc(site)}</div>
  <div class="menu"><ul>{nav_items}</ul></div>
  <div class="breaking-ticker">{esc(_TICKER)}</div>
</div>
<div id="page">
  <div class="col-main">
   <div id="main-content" class="article-body">
    <h1 class="headline">{esc(title)}</h1>
    <div class="date">{esc(pub[:10])}</div>
{paras}
    <div class="share-bar"><a class="share" href="#">فيسبوك</a> <a class="share" href="#">تويتر</a> <a class="share" href="#">واتساب</a></div>
   </div>
  </div>
  <div class="col-side">
    <div class="most-read"><h3>الأكثر قراءة</h3>
     <ul>
{related}
     </ul>
    </div>
  </div>
</div>
""" + footer
    return head + f"""<header class="site-header">
  <div class="logo"><a href="/">{esc(site)}</a></div>
  <nav class="main-nav"><ul>{nav_items}</ul></nav>
  <div class="breaking-ticker">{esc(_TICKER)}</div>
</header>
<main class="container">
  <article class="story">
    <h1>{esc(title)}</h1>
    <div class="byline"><time datetime="{esc(pub)}">{esc(pub[:10])}</time></div>
{paras}
    <div class="share-bar"><a class="share" href="#">شارك</a></div>
  </article>
  <aside class="related">
    <h3>اقرأ أيضاً</h3>
    <ul>
{related}
    </ul>
  </aside>
</main>
""" + footer


# --- building ------------------------------------------------------------------------------


def build(section: str, out_dir: Path) -> list[str]:
    """Write every entry of ``section`` ('devset' or 'sample') under ``out_dir``."""
    spec = load_manifest()[section]
    written: list[str] = []

    def put(rel: str, data: bytes) -> None:
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(rel)

    for entry in spec["entries"]:
        fmt, rel = entry["format"], entry["path"]
        if fmt == "txt":
            text = read_text(entry["text"]) + "\n"
            put(rel, ENCODINGS[entry["encoding"]](text))
            if entry.get("meta"):
                meta = {k: entry["meta"][k] for k in META_KEYS if entry["meta"].get(k) is not None}
                sidecar = rel[: -len(".txt")] + ".meta.json"
                put(sidecar, (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        elif fmt == "json":
            obj = _article_object(entry["text"], entry.get("meta", {}))
            put(rel, (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        elif fmt == "jsonl":
            lines = [
                json.dumps(_article_object(line["text"], line.get("meta", {})), ensure_ascii=False)
                for line in entry["lines"]
            ]
            put(rel, ("\n".join(lines) + "\n").encode("utf-8"))
        elif fmt == "html":
            put(rel, render_html(entry).encode("utf-8"))
        else:
            raise ValueError(f"unknown format {fmt!r} for {rel}")
    for junk in spec.get("junk", []):
        put(junk["path"], bytes.fromhex(junk["hex"]))
    return written


def target_dir(section: str) -> Path:
    return REPO / load_manifest()[section]["inbox"]


def rebuild(section: str) -> list[str]:
    out = target_dir(section)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return build(section, out)


def check(section: str) -> list[str]:
    """Paths whose committed bytes differ from a fresh build (or that are missing / extra)."""
    out = target_dir(section)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        build(section, fresh)
        want = {p.relative_to(fresh).as_posix(): p.read_bytes() for p in fresh.rglob("*") if p.is_file()}
    have = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} if out.exists() else {}
    return sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["devset", "sample"], help="build one inbox only")
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    sections = [args.only] if args.only else ["devset", "sample"]
    status = 0
    for section in sections:
        if args.check:
            diff = check(section)
            if diff:
                status = 1
                print(f"{section}: {len(diff)} file(s) out of date: {', '.join(diff)}")
            else:
                print(f"{section}: up to date")
        else:
            written = rebuild(section)
            print(f"{section}: wrote {len(written)} files to {target_dir(section).relative_to(REPO)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
