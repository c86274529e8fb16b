"""How fast reconciliation runs on synthetic mentions: 10k, 50k and 150k.

Synthetic attacks: dates over five years, 300 places in 40 cities of two countries, 6 weapons.
Each attack is told by 1-4 outlets (some copying each other) with the usual noise: a vaguer date,
a city instead of the site, a missing weapon, a different toll; a tenth of the mentions are an
earlier attack recalled by a later article. Run: .venv/bin/python bench/bench_reconcile.py
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incidents.model import ArticleInfo, Mention  # noqa: E402
from tasks.reconcile import ReconcileInputs, reconcile  # noqa: E402

SIZES = (10_000, 50_000, 150_000)
WEAPONS = ("rocket", "mortar", "drone", "ied", "airstrike", "gunfire")
FIRST_DAY = date(2019, 1, 1)
DAYS = 5 * 365


def make_places(rng: random.Random) -> list[dict]:
    cities = []
    for number in range(40):
        country = "Iraq" if number < 32 else "Syria"
        cities.append(dict(country=country, admin1=f"{country} province {number % 12}", city=f"City {number}",
                           latitude=rng.uniform(30, 37), longitude=rng.uniform(39, 47)))
    places = []
    for number in range(300):
        city = cities[number % len(cities)]
        precision = rng.choice(("site", "site", "district", "city"))
        places.append(dict(
            place_id=f"place_{number}", location_name=f"Place {number}", location_name_ar=f"مكان {number}",
            country=city["country"], admin1=city["admin1"], city=city["city"], geo_precision=precision,
            latitude=city["latitude"] + rng.uniform(-0.1, 0.1), longitude=city["longitude"] + rng.uniform(-0.1, 0.1),
        ))
    return places


def date_fields(rng: random.Random, day: date, published: date) -> dict:
    roll = rng.random()
    if roll < 0.70:
        return dict(date_precision="day", event_date=day.isoformat(), event_year=day.year,
                    event_month=day.month, event_day=day.day)
    if roll < 0.90:
        return dict(date_precision="week", event_date=published.isoformat(), event_year=published.year,
                    event_month=published.month, event_day=published.day)
    if roll < 0.97:
        return dict(date_precision="month", event_year=day.year, event_month=day.month)
    if roll < 0.99:
        return dict(date_precision="year", event_year=day.year)
    return dict(date_precision="unknown", event_month=day.month, event_day=day.day)


def place_fields(rng: random.Random, place: dict) -> dict:
    if rng.random() < 0.15:
        return dict(country=place["country"], admin1=place["admin1"], city=place["city"], geo_precision="city")
    return dict(place)


def synthetic(count: int, seed: int = 7) -> tuple[list[Mention], dict[str, ArticleInfo]]:
    rng = random.Random(seed)
    places = make_places(rng)
    mentions: list[Mention] = []
    articles: dict[str, ArticleInfo] = {}
    attacks = []
    while len(mentions) < count:
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        attack = dict(day=day, place=rng.choice(places), weapon=rng.choice(WEAPONS),
                      killed=rng.choice((None, 0, 1, 2, 3, 5)), projectiles=rng.choice((None, 1, 2, 3, 6)))
        attacks.append(attack)
        originals = []
        for _ in range(rng.randint(1, 4)):
            if len(mentions) >= count:
                break
            article_id = f"art{len(articles)}"
            published = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=rng.randint(1, 60))
            copy_group = rng.choice(originals) if originals and rng.random() < 0.1 else article_id
            originals.append(article_id)
            articles[article_id] = ArticleInfo(article_id, copy_group, published, f"outlet {rng.randrange(30)}")
            killed = attack["killed"]
            if killed is not None and rng.random() < 0.2:
                killed += rng.choice((-1, 1, 2)) if killed else 0
            mentions.append(Mention(
                mention_id=f"{article_id}:0", article_id=article_id, mention_index=0, role="primary",
                **date_fields(rng, day, published.date()), **place_fields(rng, attack["place"]),
                weapon_type="unknown" if rng.random() < 0.1 else attack["weapon"],
                projectile_count=attack["projectiles"], killed=killed,
            ))
            if len(attacks) > 10 and rng.random() < 0.1 and len(mentions) < count:
                recalled = rng.choice(attacks[:-1])
                mentions.append(Mention(
                    mention_id=f"{article_id}:1", article_id=article_id, mention_index=1, role="background",
                    **date_fields(rng, recalled["day"], published.date()), **place_fields(rng, recalled["place"]),
                    weapon_type=recalled["weapon"], killed=recalled["killed"],
                ))
    rng.shuffle(mentions)
    return mentions, articles


def main() -> None:
    print(f"{'mentions':>10} {'incidents':>10} {'seconds':>8} {'cpu s':>7} {'mentions/s':>11}")
    for size in SIZES:
        mentions, articles = synthetic(size)
        inputs = ReconcileInputs(mentions=mentions, articles=articles, previous_assignment={},
                                 previous_created_run={}, run_id=1, now=datetime.now(timezone.utc))
        started, cpu_started = time.perf_counter(), time.process_time()
        result = reconcile(inputs)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"{size:>10,} {len(result.incidents):>10,} {elapsed:>8.2f} {cpu:>7.2f} {size / elapsed:>11,.0f}")


if __name__ == "__main__":
    main()
