"""How fast reconciliation (record linkage) runs through the store: a full regroup of a history and
one night of new reports onto it.

    .venv/bin/python bench/bench_reconcile.py [--articles 100000] [--new 1000]

The history: ``--articles`` articles over five years, one primary report each (a tenth recall an
earlier attack too), spread over dates and places as news is: most attacks told by one to four
outlets within two days, some copies, vague dates (a week, a month, a year, none), a city or a
governorate instead of the site, a missing weapon, a different toll. Each report's sentence shares
words with the other reports of its attack (names, quoted phrases) and draws the rest from a
vocabulary of 5,000 words, as do the 150 more words of its article (``article_words``). The
night: ``--new`` reports, two thirds of attacks of the last three days and a third dated anywhere
in the past year (late reports of known attacks and new ones).

Measured on a real DuckDB file through ``incidents.store`` (the flow's own calls): the full
regroup (``reconcile_scope(full=True)``) and the night (``reconcile_scope`` of the new reports):
the linkage alone, with writing the incidents and the links, the CPU seconds of the process
(DuckDB's threads included), the process's peak resident memory during each (Linux: the peak is
reset before each, and the corpus's words are let go once stored) and the machine's load
average. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incidents import store  # noqa: E402
from incidents.linkage.words import ReportWords  # noqa: E402
from incidents.model import Mention  # noqa: E402
from tasks import load  # noqa: E402
from tasks.reconcile import reconcile_scope  # noqa: E402

WEAPONS = ("rocket", "mortar", "drone", "ied", "airstrike", "gunfire", "missile")
FIRST_DAY = date(2019, 1, 1)
DAYS = 5 * 365
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
# Uncommon words of an article besides its attack sentence's (a news article of 300-400 words has
# 150-200 distinct ones; the linkage compares whole articles' words).
ARTICLE_WORDS = 150


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    return ["".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 7))) for _ in range(size)]


def make_places(rng: random.Random) -> list[dict]:
    cities = []
    for number in range(60):
        country = "Iraq" if number < 45 else "Syria"
        cities.append(dict(country=country, admin1=f"{country} province {number % 15}", city=f"City {number}",
                           latitude=rng.uniform(30, 37), longitude=rng.uniform(39, 47)))
    places = []
    for number in range(600):
        city = cities[number % len(cities)]
        places.append(dict(place_id=f"place_{number}", location_name=f"Place {number}", country=city["country"],
                           admin1=city["admin1"], city=city["city"],
                           geo_precision=rng.choice(("site", "site", "district")),
                           latitude=city["latitude"] + rng.uniform(-0.1, 0.1),
                           longitude=city["longitude"] + rng.uniform(-0.1, 0.1)))
    return places


class Corpus:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.places = make_places(self.rng)
        self.attacks: list[dict] = []
        self.mentions: list[Mention] = []
        self.articles: list[dict] = []

    def attack(self, day: date) -> dict:
        rng = self.rng
        attack = dict(day=day, place=rng.choice(self.places), weapon=rng.choice(WEAPONS),
                      killed=rng.choice((None, 0, 1, 2, 3, 5)), projectiles=rng.choice((None, 1, 2, 3, 6)),
                      words=rng.sample(self.words, 8))
        self.attacks.append(attack)
        return attack

    def sentence(self, attack: dict) -> str:
        rng = self.rng
        return " ".join(rng.sample(attack["words"], rng.randint(4, 7)) + rng.sample(self.words, 5))

    def date_fields(self, day: date, published: date) -> dict:
        roll = self.rng.random()
        if roll < 0.70:
            return dict(date_precision="day", event_date=day.isoformat(), event_year=day.year,
                        event_month=day.month, event_day=day.day)
        if roll < 0.88:
            return dict(date_precision="week", event_date=published.isoformat(), event_year=published.year,
                        event_month=published.month, event_day=published.day)
        if roll < 0.95:
            return dict(date_precision="month", event_year=day.year, event_month=day.month)
        if roll < 0.97:
            return dict(date_precision="year", event_year=day.year)
        return dict(date_precision="unknown")

    def place_fields(self, place: dict) -> dict:
        roll = self.rng.random()
        if roll < 0.15:
            return dict(country=place["country"], admin1=place["admin1"], city=place["city"], geo_precision="city")
        if roll < 0.2:
            return dict(country=place["country"], admin1=place["admin1"], geo_precision="governorate")
        return {k: v for k, v in place.items()}

    def report(self, attack: dict, original: str | None = None) -> str:
        rng = self.rng
        article_id = f"art{len(self.articles):07d}"
        published = datetime.combine(attack["day"], datetime.min.time()) + timedelta(hours=rng.randint(1, 48))
        sentence = self.sentence(attack)
        words = frozenset(sentence.split() + rng.sample(self.words, ARTICLE_WORDS))
        self.articles.append(dict(article_id=article_id, published_at=published,
                                  duplicate_of=original if original and rng.random() < 0.5 else None,
                                  words=ReportWords.of(words)))
        killed = attack["killed"]
        if killed is not None and rng.random() < 0.2:
            killed += rng.choice((1, 2))
        self.mentions.append(Mention(
            mention_id=f"{article_id}:0", article_id=article_id, mention_index=0, role="primary",
            **self.date_fields(attack["day"], published.date()), **self.place_fields(attack["place"]),
            weapon_type="unknown" if rng.random() < 0.1 else attack["weapon"],
            projectile_count=attack["projectiles"], killed=killed, evidence=sentence))
        if len(self.attacks) > 10 and rng.random() < 0.1:
            recalled = rng.choice(self.attacks[:-1])
            self.mentions.append(Mention(
                mention_id=f"{article_id}:1", article_id=article_id, mention_index=1, role="background",
                **self.date_fields(recalled["day"], published.date()), **self.place_fields(recalled["place"]),
                weapon_type=recalled["weapon"], killed=recalled["killed"], evidence=self.sentence(recalled)))
        return article_id

    def tell(self, attack: dict) -> None:
        first = None
        for _ in range(self.rng.randint(1, 4)):
            article_id = self.report(attack, first)
            first = first or article_id

    def history(self, articles: int) -> None:
        while len(self.articles) < articles:
            self.tell(self.attack(FIRST_DAY + timedelta(days=self.rng.randrange(DAYS))))

    def night(self, reports: int) -> tuple[int, int]:
        """New reports: two thirds of the last three days' attacks, a third of the past year."""
        start_articles, start_mentions = len(self.articles), len(self.mentions)
        last = FIRST_DAY + timedelta(days=DAYS)
        known_last_year = [a for a in self.attacks if (last - a["day"]).days <= 365]
        while len(self.articles) - start_articles < reports:
            if self.rng.random() < 2 / 3:
                self.tell(self.attack(last - timedelta(days=self.rng.randrange(3))))
            elif self.rng.random() < 0.5:
                self.report(self.rng.choice(known_last_year))
            else:
                self.tell(self.attack(last - timedelta(days=self.rng.randrange(365))))
        return start_articles, start_mentions


def load_rows(writer: store.Writer, articles: list[dict], mentions: list[Mention]) -> None:
    ids = [a["article_id"] for a in articles]
    now = NOW.replace(tzinfo=None)
    table = pa.table({
        "article_id": ids, "source_file": ids, "content_sha256": ids, "normalized_sha256": ids,
        "published_at": pa.array([a["published_at"] for a in articles], pa.timestamp("us")),
        "published_at_origin": ["metadata"] * len(ids), "text": [""] * len(ids),
        "duplicate_of": pa.array([a["duplicate_of"] for a in articles], pa.string()),
        "ingested_at": pa.array([now] * len(ids), pa.timestamp("us")),
        "updated_at": pa.array([now] * len(ids), pa.timestamp("us")),
    })
    writer.insert_arrow("articles", table)
    writer.insert_arrow("article_words", load.words_table(ids, [a["words"] for a in articles]))
    writer.insert_arrow("mentions", load.mentions_table(mentions))


def _memory_mib(field: str) -> int | None:
    """The process's resident memory now (VmRSS) or at its peak (VmHWM), in MiB (Linux only)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith(field))
    except OSError:
        return None


def _reset_peak_memory() -> None:
    """From here on VmHWM is the peak of what follows (Linux: /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def reconcile_and_write(writer: store.Writer, changed: set[str], run_id: int,
                        full: bool) -> tuple[float, float, float, int, int | None, int | None]:
    _reset_peak_memory()
    before = _memory_mib("VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    history = store.ReconcileHistory(writer)
    # As the flow: a full regroup's links are written while it clusters (so "link s" includes some writing).
    with store.LinksInBackground(writer) as background:
        scoped = reconcile_scope(history, changed, history.orphaned_incidents(), run_id, NOW, full=full,
                                 ready=background)
        linked = time.perf_counter()
        result, scoped_mentions = scoped.result, scoped.scope_mentions
        store.write_incidents(writer, scoped.replaced_incidents, result.incidents, result.incident_sources,
                              result.id_map)
        store.write_links(writer, scoped.links, run_id, background)
    del scoped, result
    return (linked - started, time.perf_counter() - started, time.process_time() - cpu_started, scoped_mentions,
            before, _memory_mib("VmHWM"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args()
    corpus = Corpus()
    corpus.history(args.articles)
    history_articles, history_mentions = len(corpus.articles), len(corpus.mentions)
    first_article, first_mention = corpus.night(args.new)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with store.write_transaction(db) as writer:
            load_rows(writer, corpus.articles[:history_articles], corpus.mentions[:history_mentions])
        # Stored: what the process holds of the history from here on is the regroup's.
        for article in corpus.articles[:history_articles]:
            article["words"] = None
        corpus.mentions[:history_mentions] = [None] * history_mentions
        with store.write_transaction(db) as writer:
            timing = reconcile_and_write(writer, set(), 1, full=True)
            pairs = writer.query("SELECT count(*) FROM report_links")[0][0]
        rows.append(("full regroup", history_articles, history_mentions, pairs, *timing))
        new_mentions = corpus.mentions[first_mention:]
        with store.write_transaction(db) as writer:
            load_rows(writer, corpus.articles[first_article:], new_mentions)
            timing = reconcile_and_write(writer, {m.mention_id for m in new_mentions}, 2, full=False)
            pairs = writer.query("SELECT count(*) FROM report_links")[0][0]
        rows.append((f"night of {len(corpus.articles) - first_article:,} new", len(corpus.articles),
                     len(corpus.mentions), pairs, *timing))
    # Wall seconds depend on what else the machine runs; CPU seconds (DuckDB's threads included) less.
    print(f"{'run':<20} {'articles':>9} {'mentions':>9} {'pairs':>10} {'regrouped':>10} {'link s':>7} "
          f"{'+write s':>9} {'cpu s':>6} {'RSS MiB':>8} {'peak MiB':>9} {'load':>5}")
    for name, articles, mentions, pairs, linked, total, cpu, scope, before, peak in rows:
        print(f"{name:<20} {articles:>9,} {mentions:>9,} {pairs:>10,} {scope:>10,} {linked:>7.1f} {total:>9.1f} "
              f"{cpu:>6.1f} {before or 0:>8,} {peak or 0:>9,} {os.getloadavg()[0]:>5.1f}")


if __name__ == "__main__":
    main()
