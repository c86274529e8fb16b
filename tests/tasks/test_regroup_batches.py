"""A full regroup in batches of bounded size gives what regrouping everything at once gives.

A history of several years (reports of one attack told by several outlets, copies, vague dates,
dates without a year, no date at all, articles without a publication day, attacks recalled
without a date, analysts' decisions) is stored in a real DuckDB file and regrouped in full,
through the same store functions as the flow, in tiny batches (a few reports and pairs each) and
in one batch; both are compared with the in-memory grouping of every report (``reconcile``), and
the batched one is written and regrouped again (ids kept from the stored incidents).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from conftest import random_date_fields
from incidents import store
from incidents.linkage.batches import BatchSize
from incidents.linkage.words import ReportWords
from incidents.model import Mention
from tasks import load
from tasks.reconcile import ReconcileInputs, reconcile, reconcile_scope

NOW = datetime(2024, 1, 10, tzinfo=timezone.utc)
FIRST_DAY = date(2020, 1, 1)
YEARS = 4
PLACES = [
    dict(country="Iraq", admin1="Baghdad", city="Baghdad", place_id="iq_green_zone", latitude=33.30,
         longitude=44.39, geo_precision="district"),
    dict(country="Iraq", admin1="Baghdad", city="Baghdad", geo_precision="city"),
    dict(country="Iraq", admin1="Baghdad", geo_precision="governorate"),
    dict(country="Iraq", admin1="Erbil", city="Erbil", place_id="iq_erbil_airport", latitude=36.23,
         longitude=43.96, geo_precision="site"),
    dict(country="Iraq", admin1="Anbar", city="Ramadi", place_id="iq_ain_al_asad", latitude=33.80,
         longitude=42.44, geo_precision="site"),
    dict(country="Iraq", geo_precision="country"),
    dict(country="Syria", admin1="Deir ez-Zor", city="Al-Omar", place_id="sy_omar_field", latitude=35.05,
         longitude=40.47, geo_precision="site"),
    dict(),
]
WEAPONS = ("rocket", "missile", "drone", "ied", "unknown")
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
BATCHED = BatchSize(mentions=7, pairs=13)
ONE_BATCH = BatchSize(mentions=10**9, pairs=10**9)
LINK_COLUMNS = ("mention_a", "mention_b", "weight", "is_link", "conflict", "decision", "levels", "w_text")


def date_fields(rng: random.Random, day: date) -> dict:
    return random_date_fields(rng, day, (55, 10, 10, 7, 10, 8))


def history(seed: int, attacks: int = 70) -> tuple[list[dict], list[Mention]]:
    """Articles (with their words) and mentions of attacks spread over YEARS years: many on a few
    days, so that one day's reports meet in blocking and some join and some stay apart."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 7))) for _ in range(300)]
    busy_days = [FIRST_DAY + timedelta(days=rng.randrange(YEARS * 365)) for _ in range(8)]
    told: list[dict] = []
    articles, mentions = [], []
    for number in range(attacks):
        day = rng.choice(busy_days) if rng.random() < 0.6 else FIRST_DAY + timedelta(days=rng.randrange(YEARS * 365))
        attack = dict(day=day, place=rng.choice(PLACES), weapon=rng.choice(WEAPONS), killed=rng.choice((None, 0, 2)),
                      words=rng.sample(vocabulary, 6))
        told.append(attack)
        first = None
        for _ in range(rng.choice((1, 1, 2, 3, 4))):
            article_id = f"a{len(articles):04d}"
            published = (None if rng.random() < 0.15 else
                         datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(1, 60)))
            sentence = " ".join(rng.sample(attack["words"], rng.randint(3, 6)) + rng.sample(vocabulary, 3))
            copy = first if first and rng.random() < 0.3 else None
            articles.append(dict(article_id=article_id, published_at=published, duplicate_of=copy,
                                 words=ReportWords.of(frozenset(sentence.split() + rng.sample(vocabulary, 20)))))
            first = first or article_id
            mentions.append(Mention(
                mention_id=f"{article_id}:0", article_id=article_id, mention_index=0, role="primary",
                **date_fields(rng, day), **attack["place"], weapon_type=attack["weapon"], killed=attack["killed"],
                time_of_day=rng.choice((None, None, "night", "morning")), evidence=sentence))
            if len(told) > 3 and rng.random() < 0.25:
                recalled = rng.choice(told[:-1])
                dated = date_fields(rng, recalled["day"]) if rng.random() < 0.5 else dict(date_precision="unknown")
                mentions.append(Mention(
                    mention_id=f"{article_id}:1", article_id=article_id, mention_index=1, role="background",
                    **dated, **recalled["place"], weapon_type=recalled["weapon"],
                    evidence=" ".join(rng.sample(recalled["words"], 4))))
    return articles, mentions


def load_history(writer: store.Writer, articles: list[dict], mentions: list[Mention]) -> None:
    ids = [a["article_id"] for a in articles]
    now = NOW.replace(tzinfo=None)
    writer.insert_arrow("articles", pa.table({
        "article_id": ids, "source_file": ids, "content_sha256": ids, "normalized_sha256": ids,
        "published_at": pa.array([a["published_at"] for a in articles], pa.timestamp("us")),
        "published_at_origin": ["metadata" if a["published_at"] else "none" for a in articles],
        "text": [""] * len(ids), "duplicate_of": pa.array([a["duplicate_of"] for a in articles], pa.string()),
        "ingested_at": pa.array([now] * len(ids), pa.timestamp("us")),
        "updated_at": pa.array([now] * len(ids), pa.timestamp("us")),
    }))
    writer.insert_arrow("article_words", load.words_table(ids, [a["words"] for a in articles]))
    writer.insert_arrow("mentions", load.mentions_table(mentions))


def outcome(scoped) -> tuple:
    """All a full regroup decides and writes: incidents, sources, merges, the links and the keys."""
    result = scoped.result
    links = scoped.links.rows.read_all()
    return (result.assignment, result.incidents, result.incident_sources, result.id_map, result.stats,
            sorted(zip(*(links.column(c).to_pylist() for c in LINK_COLUMNS))),
            sorted(tuple(row.values()) for row in scoped.links.keys.read_all().to_pylist()),
            scoped.replaced_incidents, scoped.scope_mentions)


def in_memory(history_: store.ReconcileHistory, run_id: int) -> tuple:
    """Every report grouped at once (``reconcile``): the assignment, incidents and links."""
    mentions = history_.mentions(None)
    previous = history_.incident_rows(None)
    created, updated = history_.incident_runs(set(previous.values()))
    result = reconcile(ReconcileInputs(
        mentions=mentions, articles=history_.articles({m.article_id for m in mentions}),
        previous_assignment=previous, previous_created_run=created, previous_updated_run=updated, run_id=run_id,
        now=NOW, ids_in_use=set(previous.values()), overrides=history_.overrides()))
    links = result.links.table
    return (result.assignment, result.incidents, result.incident_sources,
            sorted(zip(*(links.column(c).to_pylist() for c in LINK_COLUMNS))))


@pytest.mark.parametrize("seed", range(3))
def test_a_regroup_in_tiny_batches_is_a_regroup_in_one(tmp_path, seed):
    articles, mentions = history(seed)
    db = tmp_path / "history.duckdb"
    with store.write_transaction(db) as writer:
        load_history(writer, articles, mentions)
        history_ = store.ReconcileHistory(writer)
        # An analyst's decisions: two reports apart that would join, two together that would not.
        first = reconcile_scope(history_, set(), set(), 1, NOW, full=True, batch=ONE_BATCH)
        grouped = {}
        for mention_id, incident_id in first.result.assignment.items():
            grouped.setdefault(incident_id, []).append(mention_id)
        together = next(sorted(members)[:2] for members in grouped.values() if len(members) > 1)
        singles = sorted(members[0] for members in grouped.values() if len(members) == 1)[:2]
        store.add_override(writer, [tuple(together)], "cannot_link", "", None, NOW.replace(tzinfo=None))
        store.add_override(writer, [tuple(singles)], "must_link", "", None, NOW.replace(tzinfo=None))

        batched = reconcile_scope(history_, set(), set(), 1, NOW, full=True, batch=BATCHED)
        whole = reconcile_scope(history_, set(), set(), 1, NOW, full=True, batch=ONE_BATCH)
        assert outcome(batched) == outcome(whole)
        assert in_memory(history_, 1) == outcome(batched)[:3] + (outcome(batched)[5],)
        assert batched.result.assignment[together[0]] != batched.result.assignment[together[1]]
        assert batched.result.assignment[singles[0]] == batched.result.assignment[singles[1]]
        years = {m.event_year for m in mentions if m.event_year}
        assert len(years) >= 3 and any(m.date_precision == "unknown" and not m.event_month for m in mentions)
        assert len(set(batched.result.assignment.values())) < len(mentions), "some reports were joined"

        store.write_incidents(writer, batched.replaced_incidents, batched.result.incidents,
                              batched.result.incident_sources, batched.result.id_map)
        store.write_links(writer, batched.links, 1)
        stored_links = writer.query(f"SELECT {', '.join(LINK_COLUMNS)} FROM report_links ORDER BY 1, 2")
        assert stored_links == outcome(batched)[5]

    with store.write_transaction(db) as writer:
        history_ = store.ReconcileHistory(writer)
        again = reconcile_scope(history_, set(), set(), 2, NOW, full=True, batch=BATCHED)
        assert outcome(again) == outcome(reconcile_scope(history_, set(), set(), 2, NOW, full=True, batch=ONE_BATCH))
        assert again.result.assignment == batched.result.assignment, "the stored ids are kept"
        assert (again.result.stats["new"], again.result.stats["updated"], again.result.stats["retired"]) == (0, 0, 0)
