"""Build the held-out inbox from its UTF-8 sources.

The article texts live in ``tests/heldout/sources/`` as plain UTF-8 files (paragraphs separated
by blank lines); ``sources/manifest.json`` says how each one is published in the inbox: its file
name, its format (``txt`` with or without a ``.meta.json`` sidecar, ``json`` article object,
``html`` page) and, for ``txt``, its encoding (``utf-8``, ``utf-8-bom``, ``cp1256``).

    python tests/heldout/build_inbox.py            # rebuild tests/heldout/inbox/
    python tests/heldout/build_inbox.py --check    # exit 1 if a built file differs

A rebuild replaces ``tests/heldout/inbox/`` entirely. The output is deterministic.

The held-out set was written independently of the dev set and of the extractor: do not tune the
extractor on it, and do not edit its articles or labels after looking at scores.
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
SECTION = "heldout"

META_KEYS = ("id", "published_at", "source", "url", "title")


def _cp1256(text: str) -> bytes:
    data = text.encode("cp1256")  # raises UnicodeEncodeError on a character cp1256 lacks
    if data.decode("cp1256") != text:
        raise ValueError("text does not round-trip through cp1256")
    return data


ENCODINGS = {
    "utf-8": lambda s: s.encode("utf-8"),
    "utf-8-bom": lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
    "cp1256": _cp1256,
}


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))[SECTION]


def read_text(rel: str) -> str:
    text = (SOURCES / rel).read_text(encoding="utf-8")
    if text.startswith("\ufeff"):
        raise ValueError(f"{rel}: sources must be UTF-8 without BOM")
    return text.strip()


def _meta(entry: dict) -> dict:
    meta = entry.get("meta") or {}
    return {k: meta[k] for k in META_KEYS if meta.get(k) is not None}


# --- HTML: a news page with navigation, ticker, sidebar, footer and scripts around <article> ---

_NAV = ["الرئيسية", "كوردستان", "العراق", "الشرق الأوسط", "العالم", "اقتصاد", "رياضة", "ثقافة", "فيديو"]
# Other stories of the site; they mention attacks on purpose (only the <article> body counts).
_RELATED = [
    "قصف مدفعي تركي على قرى في قضاء العمادية دون إصابات",
    "انفجار عبوة ناسفة على طريق كركوك - تكريت يصيب مدنيين اثنين",
    "الداخلية الاتحادية تعلن تفكيك خلية لإطلاق الصواريخ في بابل",
    "أسعار النفط ترتفع مع تراجع المخزونات الأمريكية",
]
_TICKER = "عاجل: مصدر أمني: سقوط ثلاث قذائف هاون على أطراف قضاء طوزخورماتو"
_SCRIPT_HEAD = "window.__cfg = {lang: 'ar', section: 'news'};\n"
_SCRIPT_BODY = (
    "var alertBar = {\"msg\": \"عاجل: هجوم بطائرة مسيرة على حقل كورمور للغاز\"};\n"
    "document.querySelectorAll('.share a').forEach(function (a) {\n"
    "  a.addEventListener('click', function (e) { e.preventDefault(); });\n"
    "});\n"
)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split("\n")) for p in text.split("\n\n") if p.strip()]


def render_html(entry: dict) -> str:
    meta = entry["meta"]
    site = entry.get("site", meta.get("source", ""))
    title, pub = meta["title"], meta["published_at"]
    esc = html.escape
    paras = "\n".join(f"      <p>{esc(p, quote=False)}</p>" for p in _paragraphs(read_text(entry["text"])))
    nav = "".join(f'<li><a href="/arabic/{i}">{esc(n)}</a></li>' for i, n in enumerate(_NAV))
    related = "\n".join(f'        <li><a href="/arabic/news/{2200 + i}">{esc(h)}</a></li>' for i, h in enumerate(_RELATED))
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>{esc(title)} - {esc(site)}</title>
<meta property="og:title" content="{esc(title)}">
<meta property="article:published_time" content="{esc(pub)}">
<link rel="canonical" href="{esc(meta.get('url', ''))}">
<script>
{_SCRIPT_HEAD}</script>
</head>
<body>
<header>
  <div class="brand"><a href="/arabic">{esc(site)}</a></div>
  <nav><ul>{nav}</ul></nav>
  <div class="ticker">{esc(_TICKER)}</div>
</header>
<div class="layout">
  <main>
    <article>
      <h1>{esc(title)}</h1>
      <time datetime="{esc(pub)}">{esc(pub[:10])}</time>
{paras}
      <div class="share"><a href="#">فيسبوك</a> <a href="#">إكس</a></div>
    </article>
  </main>
  <aside>
    <section class="more-news"><h2>أخبار ذات صلة</h2>
      <ul>
{related}
      </ul>
    </section>
  </aside>
</div>
<footer>
  <p>© {esc(site)} - جميع الحقوق محفوظة</p>
  <ul><li><a href="/arabic/about">من نحن</a></li><li><a href="/arabic/contact">اتصل بنا</a></li></ul>
</footer>
<script>
{_SCRIPT_BODY}</script>
</body>
</html>
"""


def build(out_dir: Path) -> list[str]:
    written: list[str] = []

    def put(rel: str, data: bytes) -> None:
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(rel)

    for entry in load_manifest()["entries"]:
        fmt, rel = entry["format"], entry["path"]
        if fmt == "txt":
            put(rel, ENCODINGS[entry["encoding"]](read_text(entry["text"]) + "\n"))
            if entry.get("meta"):
                sidecar = rel[: -len(".txt")] + ".meta.json"
                put(sidecar, (json.dumps(_meta(entry), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        elif fmt == "json":
            obj = _meta(entry)
            obj["text"] = read_text(entry["text"])
            put(rel, (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        elif fmt == "html":
            put(rel, render_html(entry).encode("utf-8"))
        else:
            raise ValueError(f"unknown format {fmt!r} for {rel}")
    return written


def target_dir() -> Path:
    return REPO / load_manifest()["inbox"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    out = target_dir()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp)
            build(fresh)
            want = {p.relative_to(fresh).as_posix(): p.read_bytes() for p in fresh.rglob("*") if p.is_file()}
        have = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} if out.exists() else {}
        diff = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        print(f"{SECTION}: " + (f"{len(diff)} file(s) out of date: {', '.join(diff)}" if diff else "up to date"))
        return 1 if diff else 0
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    written = build(out)
    print(f"{SECTION}: wrote {len(written)} files to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
