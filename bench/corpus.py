"""Synthetic Arabic attack reports for the scaling benchmarks, built from the labelled dev set.

    python bench/corpus.py --n 100000 --out /tmp/corpus100k --seed 7
    python bench/corpus.py --n 1000 --start 100000 --out /tmp/corpus100k --seed 7   # the next night

The material is the dev set's own sources (``tests/devset/sources``, described by its
``manifest.json``), split into paragraphs and sentences with the pipeline's sentence splitter.
Each sentence becomes a template once: its places (``lexicons/gazetteer.csv``), explicit dates
(month names of ``lexicons/calendar.csv``), years, numbers (digits and the number words 3-10 of
``lexicons/number_words.csv``), named weapon systems (``lexicons/weapons.csv``) and outlet names
turn into slots.

An article takes the opening of one dev-set report (its paragraphs up to the first that tells
the attack) and about a third of that report's other sentences, in order, and is filled up to a
drawn size (2.0-3.6 KB of UTF-8 text, 3 KB on average) with sentences of other sources, each at
most once, that report no attack of their own (context, reactions, attacks recalled with a
background cue), so that the article still tells one attack. Its slots are filled anew: each
place name becomes another place of the same kind, each number another number, consistently
within the article; common words are swapped for a synonym half of the time (the word list of
``bench/nearcopy_corpus.py``). Publication dates advance with the article number
(``ARTICLES_PER_DAY``); every sentence is moved in time by whole weeks, so a weekday
("مساء الثلاثاء") still points where it did and an explicit date keeps its distance from the
publication date. Two articles built on the same report share its opening and about a tenth of
its other sentences: far from the near-copy threshold (estimated Jaccard 0.03 on average, under
0.25 for 3,000 random pairs of 10,000 articles).

A set share of the articles (``--copy-share``, 15% by default) are planted near copies of a
recent original, edited as ``bench/nearcopy_corpus.py`` edits re-published agency copy (new
lead, dropped paragraph, changed words, swapped paragraphs; a tenth unchanged) and published by
another outlet a few hours later. Article ``i`` depends only on the seed and ``i``: a corpus of
``n`` articles is the first ``n`` of any longer one, so ``--start`` adds the next night's articles
to an existing inbox. Files go to ``shard_NNNN/`` sub-folders of ``ARTICLES_PER_SHARD`` articles,
each ``.txt`` with its ``.meta.json`` sidecar (``published_at``, ``source``, ``url``, ``title``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for _path in (REPO, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from incidents.arabic.dates import find_dates  # noqa: E402
from incidents.arabic.gazetteer import place_matcher, places  # noqa: E402
from incidents.arabic.lexicon import PhraseMatcher, cue_matcher, read_rows, weapon_matcher  # noqa: E402
from incidents.arabic.normalize import normalize, normalize_with_offsets  # noqa: E402
from incidents.arabic.sentences import split_sentences  # noqa: E402
from nearcopy_corpus import SUBSTITUTES, _Article, _planted_copy  # noqa: E402

SOURCES_DIR = REPO / "tests" / "devset" / "sources"
LABELS = REPO / "tests" / "devset" / "labels.json"

ARTICLES_PER_SHARD = 1000
# A busy multi-outlet feed; 1M articles then span 27 years, inside the extractor's year range.
ARTICLES_PER_DAY = 100
FIRST_DAY = dt.date(2019, 1, 6)
DEFAULT_COPY_SHARE = 0.15
# A copy re-publishes one of the last few days' articles.
COPY_WINDOW_ARTICLES = 3 * ARTICLES_PER_DAY
ARTICLE_BYTES = (2000, 3600)
# Two articles on the same report share its lead and about a tenth of its other sentences.
OWN_SENTENCE_SHARE = 0.3
# Each common word with a synonym (قال/أفاد, في/داخل ...) is swapped with this probability, so
# that two articles that share a sentence rarely share all of its word runs.
SYNONYM_SHARE = 0.5
SENTENCES_PER_PARAGRAPH = (1, 3)
# Outlets as the sidecar names them and as Arabic copy does; the text's outlet names are
# replaced by the article's own. Names that are also ordinary words (المدى "range",
# بغداد اليوم "Baghdad today") are left out of the text matching.
OUTLETS = (
    ("AFP (Arabic)", "فرانس برس"), ("Reuters (Arabic)", "رويترز"), ("Anadolu Agency (Arabic)", "الأناضول"),
    ("Shafaq News", "شفق نيوز"), ("Alsumaria News", "السومرية نيوز"), ("INA", "الأنباء العراقية"),
    ("Rudaw Arabic", "روداو"), ("Kurdistan24 Arabic", "كوردستان 24"), ("Nas News", "ناس نيوز"),
    ("Baghdad Today", "بغداد اليوم"), ("Al-Mada", "المدى"), ("NRT Arabic", "إن آر تي"),
)
_TEXT_OUTLETS = ("فرانس برس", "رويترز", "الأناضول", "شفق نيوز", "السومرية نيوز", "الأنباء العراقية", "روداو",
                 "ناس نيوز")
_UNCHANGED_PLACE_KINDS = frozenset({"country", "region"})
_DIGITS_RE = re.compile(r"(?<![\d.:/,])\d{1,2}(?![\d.:/,%])")
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SYNONYM_RE = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, SUBSTITUTES), key=len, reverse=True)) + r")(?!\w)")


# ----------------------------------------------------------------------------------------------
# Templates: a sentence as literal text and slots


@dataclass(frozen=True)
class Slot:
    kind: str            # place | date | year | digits | number_word | weapon | outlet | synonym
    value: object


Template = tuple  # str and Slot parts, in order


@dataclass(frozen=True)
class Source:
    name: str
    published_at: dt.datetime
    title: Template
    paragraphs: tuple[tuple[Template, ...], ...]
    lead_paragraphs: int  # up to the first paragraph that reports the attack (after a dateline line)


@dataclass(frozen=True)
class PoolSentence:
    """A sentence of another source that adds no attack of its own to an article."""

    source: Source
    template: Template
    size: int            # UTF-8 bytes of the original sentence


@dataclass(frozen=True)
class Material:
    reports: tuple[Source, ...]
    pool: tuple[PoolSentence, ...]


@lru_cache(maxsize=1)
def _month_names() -> tuple[dict[int, str], ...]:
    """Canonical month names per calendar: calendar.csv lists the Gregorian months (يناير ...)
    and then the Syriac ones (كانون الثاني ...), each month's usual spelling first."""
    calendars: list[dict[int, str]] = [{}]
    previous = 0
    for row in read_rows("calendar.csv"):
        if row["kind"] != "month":
            continue
        value = int(row["value"])
        if value < previous:
            calendars.append({})
        calendars[-1].setdefault(value, row["word"])
        previous = value
    return tuple(calendars)


@lru_cache(maxsize=1)
def _month_words() -> tuple[frozenset[str], ...]:
    """Every normalized spelling of a month, per calendar (to tell which one a date used)."""
    calendars: list[set[str]] = [set()]
    previous = 0
    for row in read_rows("calendar.csv"):
        if row["kind"] != "month":
            continue
        value = int(row["value"])
        if value < previous:
            calendars.append(set())
        calendars[-1].add(normalize(row["word"]))
        previous = value
    return tuple(frozenset(words) for words in calendars)


@lru_cache(maxsize=1)
def _places_by_kind() -> dict[str, tuple[str, ...]]:
    by_kind: dict[str, list[str]] = {}
    # The curated layer only: GeoNames' hundreds of villages would make the corpus a different one
    # from a gazetteer build to the next.
    for place in places().values():
        if place.name_ar and place.source == "curated":
            by_kind.setdefault(place.kind, []).append(place.name_ar)
    return {kind: tuple(names) for kind, names in by_kind.items()}


@lru_cache(maxsize=1)
def _number_words() -> tuple[PhraseMatcher, dict[bool, dict[int, str]]]:
    """Cardinals 3-10 in their two forms (ثلاثة with teh marbuta for masculine nouns, ثلاث for
    feminine ones), and a matcher over all number words so that ثلاثة عشر stays whole."""
    forms: dict[bool, dict[int, str]] = {True: {}, False: {}}
    entries = {}
    for row in read_rows("number_words.csv"):
        value = int(row["value"]) if row["value"].isdigit() else None
        single = row["kind"] == "cardinal" and value is not None and 3 <= value <= 10 and " " not in row["word"]
        if single:
            forms[row["word"].endswith("ة")].setdefault(value, row["word"])
        entries[row["word"]] = (value, row["word"].endswith("ة")) if single else None
    return PhraseMatcher(entries), forms


@lru_cache(maxsize=1)
def _weapon_alternatives() -> dict[str, tuple[str, ...]]:
    """Named weapon systems that can stand for each other in a sentence: same type, same
    words but the last (صواريخ كروز / صواريخ باليستية), same article ال."""
    groups: dict[tuple, list[str]] = {}
    for row in read_rows("weapons.csv"):
        if not row["detail"]:
            continue
        words = row["phrase"].split()
        key = (row["weapon_type"], tuple(words[:-1]), row["phrase"].startswith("ال"))
        if row["phrase"] not in groups.setdefault(key, []):
            groups[key].append(row["phrase"])
    return {normalize(phrase): tuple(group) for group in groups.values() if len(group) > 1 for phrase in group}


@lru_cache(maxsize=1)
def _outlet_re() -> re.Pattern:
    names = "|".join(re.escape(normalize(name)) for name in _TEXT_OUTLETS)
    return re.compile(rf"(?<!\w)[وفبلك]?({names})(?!\w)")


def _date_slot(mention) -> Slot | None:
    if mention.kind != "explicit" or mention.year is None or mention.month is None:
        return None
    calendars = tuple(i for i, words in enumerate(_month_words()) if any(w in mention.text for w in words))
    if not calendars and mention.precision != "year":
        return None
    return Slot("date", (mention.year, mention.month, mention.day, mention.precision, not mention.year_inferred,
                         calendars))


def _slots(text: str, published_at: dt.datetime) -> list[tuple[int, int, Slot]]:
    """Slots of one sentence as spans of the normalized text; earlier finders win overlaps."""
    normalized = normalize(text)
    found: list[tuple[int, int, Slot]] = []
    for mention in find_dates(normalized, published_at.date(), published_at.time()):
        slot = _date_slot(mention)
        if slot is not None:
            found.append((mention.start, mention.end, slot))
    for match in _outlet_re().finditer(normalized):
        found.append((match.start(1), match.end(1), Slot("outlet", None)))
    catalogue = places()
    for match in place_matcher().finditer(normalized):
        kind = catalogue[match.payload[0]].kind
        name_start = match.end - len(match.phrase)
        # A name contracted with لل or spread over several spaces is left as it is.
        if kind not in _UNCHANGED_PLACE_KINDS and normalized[name_start:match.end] == match.phrase:
            found.append((name_start, match.end, Slot("place", (kind, match.phrase))))
    alternatives = _weapon_alternatives()
    for match in weapon_matcher().finditer(normalized):
        name_start = match.end - len(match.phrase)
        if match.phrase in alternatives and normalized[name_start:match.end] == match.phrase:
            found.append((name_start, match.end, Slot("weapon", (match.phrase, alternatives[match.phrase]))))
    matcher, _ = _number_words()
    for match in matcher.finditer(normalized):
        name_start = match.end - len(match.phrase)
        if match.payload is not None and normalized[name_start:match.end] == match.phrase:
            found.append((name_start, match.end, Slot("number_word", match.payload)))
    for match in _YEAR_RE.finditer(normalized):
        found.append((match.start(), match.end(), Slot("year", int(match.group()))))
    for match in _DIGITS_RE.finditer(normalized):
        found.append((match.start(), match.end(), Slot("digits", int(match.group()))))
    kept, taken_until = [], -1
    for start, end, slot in sorted(found, key=lambda item: item[0]):
        if start >= taken_until:
            kept.append((start, end, slot))
            taken_until = end
    return kept


def _with_synonyms(literal: str) -> list:
    parts: list = []
    position = 0
    for match in _SYNONYM_RE.finditer(literal):
        parts += [literal[position:match.start()], Slot("synonym", (match.group(), SUBSTITUTES[match.group()]))]
        position = match.end()
    return parts + [literal[position:]]


def template_of(text: str, published_at: dt.datetime) -> Template:
    """``text`` as literal parts and slots (spans mapped back from normalized to original text)."""
    _, offsets = normalize_with_offsets(text)
    parts: list = []
    position = 0
    for start, end, slot in _slots(text, published_at):
        original_start, original_end = offsets[start], offsets[end - 1] + 1
        if original_start < position:
            continue
        parts += _with_synonyms(text[position:original_start])
        parts.append(slot)
        position = original_end
    parts += _with_synonyms(text[position:])
    return tuple(part for part in parts if part != "")


def _paragraphs(text: str) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    for sentence in split_sentences(text):
        if sentence.paragraph >= len(paragraphs):
            paragraphs.extend([] for _ in range(sentence.paragraph - len(paragraphs) + 1))
        paragraphs[sentence.paragraph].append(sentence.text)
    return [p for p in paragraphs if p]


def _reports_no_attack(sentence: str) -> bool:
    """Context, or an attack recalled with a background cue: adds no attack to an article."""
    normalized = normalize(sentence)
    if cue_matcher("background").search(normalized):
        return True
    return not (cue_matcher("attack_noun").search(normalized) or weapon_matcher().search(normalized))


@lru_cache(maxsize=1)
def load_material() -> Material:
    """The dev set's dated, original sources as templates; copies in the dev set are skipped
    (their sentences would repeat their originals')."""
    manifest = json.loads((SOURCES_DIR / "manifest.json").read_text(encoding="utf-8"))
    kinds = {name: label["kind"] for name, label in json.loads(LABELS.read_text(encoding="utf-8"))["articles"].items()}
    reports, pool = [], []
    seen_texts = set()
    for entry in manifest["devset"]["entries"]:
        published = entry.get("meta", {}).get("published_at")
        kind = kinds.get(entry["path"])
        if "text" not in entry or not published or kind in (None, "near_copy", "exact_copy") or entry["text"] in seen_texts:
            continue
        seen_texts.add(entry["text"])
        published_at = dt.datetime.fromisoformat(published)
        text = (SOURCES_DIR / entry["text"]).read_text(encoding="utf-8-sig")
        paragraphs = _paragraphs(text)
        tells_attack = [not all(_reports_no_attack(s) for s in p) for p in paragraphs]
        source = Source(
            name=entry["text"],
            published_at=published_at,
            title=template_of(entry["meta"].get("title", ""), published_at),
            paragraphs=tuple(tuple(template_of(s, published_at) for s in p) for p in paragraphs),
            lead_paragraphs=tells_attack.index(True) + 1 if True in tells_attack else 1,
        )
        if kind == "report" and True in tells_attack:
            reports.append(source)
        for templates, sentences in zip(source.paragraphs[source.lead_paragraphs:], paragraphs[source.lead_paragraphs:]):
            for template, sentence in zip(templates, sentences):
                if _reports_no_attack(sentence):
                    pool.append(PoolSentence(source, template, len(sentence.encode("utf-8"))))
    return Material(tuple(reports), tuple(pool))


# ----------------------------------------------------------------------------------------------
# Articles


@dataclass
class _Filling:
    """How one article fills its slots: the same original place or number becomes the same
    new one throughout the article."""

    rng: random.Random
    published_at: dt.datetime
    outlet_ar: str
    places: dict[str, str] = field(default_factory=dict)
    numbers: dict[int, int] = field(default_factory=dict)
    weapons: dict[str, str] = field(default_factory=dict)
    main_place: str | None = None

    def weeks_from(self, source: Source) -> int:
        return round((self.published_at.date() - source.published_at.date()).days / 7)

    def render(self, template: Template, source: Source) -> str:
        shift = dt.timedelta(weeks=self.weeks_from(source))
        return "".join(part if isinstance(part, str) else _FILLERS[part.kind](self, part.value, shift)
                       for part in template)


def _fill_place(filling: _Filling, value, shift) -> str:
    kind, original = value
    if original not in filling.places:
        filling.places[original] = filling.rng.choice(_places_by_kind()[kind])
        if filling.main_place is None and kind in ("city", "town"):
            filling.main_place = filling.places[original]
    return filling.places[original]


def _fill_date(filling: _Filling, value, shift) -> str:
    year, month, day, precision, year_written, calendars = value
    if precision == "year":
        return str((dt.date(year, 7, 1) + shift).year)
    moved = dt.date(year, month, day if day else 15) + shift
    names = _month_names()
    month_name = "/".join(names[c][moved.month] for c in calendars)
    text = f"{moved.day} {month_name}" if precision == "day" and day else month_name
    return f"{text} {moved.year}" if year_written else text


def _fill_year(filling: _Filling, value, shift) -> str:
    return str((dt.date(value, 7, 1) + shift).year)


def _new_number(filling: _Filling, value: int) -> int:
    if value not in filling.numbers:
        low, high = (3, 10) if 3 <= value <= 10 else (10, 99) if value >= 10 else (value, value)
        filling.numbers[value] = filling.rng.randint(low, high)
    return filling.numbers[value]


def _fill_digits(filling: _Filling, value, shift) -> str:
    return str(_new_number(filling, value))


def _fill_number_word(filling: _Filling, value, shift) -> str:
    number, masculine_form = value
    _, forms = _number_words()
    return forms[masculine_form][_new_number(filling, number)]


def _fill_weapon(filling: _Filling, value, shift) -> str:
    original, alternatives = value
    return filling.weapons.setdefault(original, filling.rng.choice(alternatives))


def _fill_outlet(filling: _Filling, value, shift) -> str:
    return filling.outlet_ar


def _fill_synonym(filling: _Filling, value, shift) -> str:
    word, synonym = value
    return synonym if filling.rng.random() < SYNONYM_SHARE else word


_FILLERS: dict[str, Callable] = {
    "place": _fill_place, "date": _fill_date, "year": _fill_year, "digits": _fill_digits,
    "number_word": _fill_number_word, "weapon": _fill_weapon, "outlet": _fill_outlet, "synonym": _fill_synonym,
}


@dataclass(frozen=True)
class Article:
    index: int
    text: str
    published_at: dt.datetime
    source: str
    title: str


def _rng(seed: int, index: int, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{index}:{purpose}")


def is_copy(index: int, copy_share: float) -> bool:
    """Exactly floor(n * copy_share) of the first n articles are copies, evenly spread."""
    return math.floor((index + 1) * copy_share) > math.floor(index * copy_share)


def _publication_time(source: Source, index: int) -> dt.datetime:
    target = FIRST_DAY + dt.timedelta(days=index // ARTICLES_PER_DAY)
    weeks = round((target - source.published_at.date()).days / 7)
    return source.published_at + dt.timedelta(weeks=weeks)


def _compose(index: int, seed: int) -> tuple[Article, list[list[str]], _Filling]:
    material = load_material()
    rng = _rng(seed, index, "original")
    lead = rng.choice(material.reports)
    outlet_en, outlet_ar = rng.choice(OUTLETS)
    filling = _Filling(rng, _publication_time(lead, index), outlet_ar)
    budget = rng.randint(*ARTICLE_BYTES)

    opening = [[(template, lead) for template in paragraph] for paragraph in lead.paragraphs[:lead.lead_paragraphs]]
    body = [(template, lead) for paragraph in lead.paragraphs[lead.lead_paragraphs:] for template in paragraph
            if rng.random() < OWN_SENTENCE_SHARE]
    size = sum(len("".join(p for p in t if isinstance(p, str)).encode("utf-8"))
               for t, _ in [*(pair for paragraph in opening for pair in paragraph), *body])
    unused = [extra for extra in material.pool if extra.source is not lead]
    while size < budget and unused:
        extra = unused.pop(rng.randrange(len(unused)))
        body.insert(rng.randint(0, len(body)), (extra.template, extra.source))
        size += extra.size + 1

    paragraphs = [[filling.render(t, s) for t, s in paragraph] for paragraph in opening]
    position = 0
    while position < len(body):
        count = rng.randint(*SENTENCES_PER_PARAGRAPH)
        paragraphs.append([filling.render(t, s) for t, s in body[position:position + count]])
        position += count
    title = filling.render(lead.title, lead)
    article = Article(index, _render(paragraphs), filling.published_at, outlet_en, title)
    return article, paragraphs, filling


def _render(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(sentences) for sentences in paragraphs) + "\n"


def _province_of(city_ar: str) -> str:
    for place in places().values():
        if place.name_ar == city_ar and place.admin1:
            governorate = next((p for p in places().values()
                                if p.kind == "governorate" and p.name_en == place.admin1), None)
            if governorate is not None:
                return governorate.name_ar
    return city_ar


def original_of(index: int, seed: int = 7, copy_share: float = DEFAULT_COPY_SHARE) -> int | None:
    """The article that article ``index`` copies, or None when it is an original."""
    if not is_copy(index, copy_share):
        return None
    original = max(index - _rng(seed, index, "copy").randint(1, COPY_WINDOW_ARTICLES), 0)
    while is_copy(original, copy_share):
        original -= 1
    return original


def make_article(index: int, seed: int = 7, copy_share: float = DEFAULT_COPY_SHARE) -> Article:
    """Article ``index`` of the corpus: depends on nothing but its arguments."""
    original = original_of(index, seed, copy_share)
    if original is None:
        return _compose(index, seed)[0]
    first_report, paragraphs, filling = _compose(original, seed)
    rng = _rng(seed, index, "edits")
    city = filling.main_place or "بغداد"
    text = _planted_copy(_Article(paragraphs, city, _province_of(city)), rng)
    outlet_en = rng.choice([name for name, _ in OUTLETS if name != first_report.source])
    published = first_report.published_at + dt.timedelta(minutes=rng.randint(20, 8 * 60))
    return Article(index, text + "\n", published, outlet_en, first_report.title)


# ----------------------------------------------------------------------------------------------
# Writing an inbox


def article_path(index: int) -> str:
    return f"shard_{index // ARTICLES_PER_SHARD:04d}/a{index:07d}.txt"


def _sidecar(article: Article) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", article.source.lower()).strip("-")
    day = article.published_at
    return json.dumps({
        "published_at": article.published_at.isoformat(),
        "source": article.source,
        "url": f"https://news.example/{slug}/{day:%Y/%m/%d}/{article.index}",
        "title": article.title,
    }, ensure_ascii=False) + "\n"


def _write_range(out: str, start: int, stop: int, seed: int, copy_share: float) -> tuple[int, int]:
    root = Path(out)
    written = 0
    for index in range(start, stop):
        article = make_article(index, seed, copy_share)
        path = root / article_path(index)
        if index == start or index % ARTICLES_PER_SHARD == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        data = article.text.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        with open(path.with_suffix(".meta.json"), "wb") as handle:
            handle.write(_sidecar(article).encode("utf-8"))
        written += len(data)
    return stop - start, written


@dataclass(frozen=True)
class CorpusSummary:
    articles: int
    copies: int
    text_bytes: int
    seconds: float

    @property
    def mean_bytes(self) -> float:
        return self.text_bytes / self.articles if self.articles else 0.0


def generate(out: Path, n: int, seed: int = 7, start: int = 0, copy_share: float = DEFAULT_COPY_SHARE,
             workers: int | None = None) -> CorpusSummary:
    """Writes articles ``start`` .. ``start + n - 1`` into the inbox ``out``."""
    if not 0.0 <= copy_share < 1.0:
        raise ValueError(f"copy_share {copy_share} must be in [0, 1)")
    began = time.perf_counter()
    load_material()  # once here, so that forked workers inherit it
    workers = workers or min(os.cpu_count() or 1, max(1, n // ARTICLES_PER_SHARD))
    # Work in whole shards, so that a worker makes each folder once.
    edges = sorted({start, start + n} | set(range((start // ARTICLES_PER_SHARD + 1) * ARTICLES_PER_SHARD,
                                                     start + n, ARTICLES_PER_SHARD)))
    ranges = list(zip(edges, edges[1:]))
    if workers == 1:
        results = [_write_range(str(out), a, b, seed, copy_share) for a, b in ranges]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_write_range, [str(out)] * len(ranges), [a for a, _ in ranges],
                                    [b for _, b in ranges], [seed] * len(ranges), [copy_share] * len(ranges)))
    copies = sum(1 for index in range(start, start + n) if is_copy(index, copy_share))
    return CorpusSummary(sum(r[0] for r in results), copies, sum(r[1] for r in results),
                         time.perf_counter() - began)


def planted_copies(start: int, stop: int, seed: int = 7, copy_share: float = DEFAULT_COPY_SHARE) -> dict[str, str]:
    """Copy file -> original file for the articles ``start`` .. ``stop - 1`` (the ground truth)."""
    return {article_path(index): article_path(original) for index in range(start, stop)
            if (original := original_of(index, seed, copy_share)) is not None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="articles to write")
    parser.add_argument("--out", type=Path, required=True, help="the inbox folder")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=int, default=0, help="number of the first article (to add to an inbox)")
    parser.add_argument("--copy-share", type=float, default=DEFAULT_COPY_SHARE)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    args = parser.parse_args()
    if args.n < 1 or args.start < 0:
        parser.error("--n must be at least 1 and --start at least 0")
    summary = generate(args.out, args.n, args.seed, args.start, args.copy_share, args.workers)
    print(f"{summary.articles} articles ({summary.copies} planted copies), {summary.text_bytes / 2**20:,.1f} MiB of "
          f"text, mean {summary.mean_bytes:,.0f} bytes, into {args.out} in {summary.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
