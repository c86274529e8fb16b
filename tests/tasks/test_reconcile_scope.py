"""A run regroups only what its new mentions reach, and that is what regrouping everything gives.

Random, dense histories (few days, few places, many vague dates, reports without a city or a
weapon) are loaded night by night into a real DuckDB file through the same store functions the
flow uses; after every night a full regroup of the stored history must find nothing to change.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from conftest import random_date_fields
from incidents import store
from incidents.model import Mention
from tasks import load
from incidents.linkage.ids import id_candidate
from tasks.reconcile import reconcile_scope

NOW = datetime(2021, 4, 1, tzinfo=timezone.utc)
FIRST_DAY = date(2021, 3, 1)
PLACES = [
    dict(country="Iraq", admin1="Baghdad", city="Baghdad", place_id="iq_green_zone", latitude=33.30,
         longitude=44.39, geo_precision="district"),
    dict(country="Iraq", admin1="Baghdad", city="Baghdad", geo_precision="city"),
    dict(country="Iraq", admin1="Baghdad", geo_precision="governorate"),
    dict(country="Iraq", admin1="Erbil", city="Erbil", place_id="iq_erbil_airport", latitude=36.23,
         longitude=43.96, geo_precision="site"),
    dict(country="Iraq", admin1="Anbar", city="Ramadi", geo_precision="city"),
    dict(country="Iraq", geo_precision="country"),
    dict(country="Syria", admin1="Deir ez-Zor", city="Al-Omar", geo_precision="city"),
    dict(),
]
WEAPONS = ("rocket", "missile", "mortar", "drone", "ied", "unknown", "unknown")


def random_date(rng: random.Random) -> dict:
    return random_date_fields(rng, FIRST_DAY + timedelta(days=rng.randrange(16)), (60, 10, 10, 6, 8, 6))


def random_mention(rng: random.Random, article: str, index: int) -> Mention:
    return Mention(
        mention_id=f"{article}:{index}", article_id=article, mention_index=index,
        role="primary" if index == 0 or rng.random() < 0.3 else "background",
        **random_date(rng), **rng.choice(PLACES),
        time_of_day=rng.choice((None, None, "dawn", "morning", "evening", "night")),
        weapon_type=rng.choice(WEAPONS), projectile_count=rng.choice((None, None, 1, 2, 3)),
        killed=rng.choice((None, 0, 1, 2)), injured=rng.choice((None, 0, 2, 5)),
        **rng.choice((({}),) * 4 + (dict(launch_site="Nahrawan"), dict(launch_site="nahrawan"),
                                      dict(launch_site="Nahrawan", launch_place_id="iq_nahrawan"),
                                      dict(launch_site="Jurf", launch_place_id="iq_jurf_al_sakhar"))),
    )


def random_article(rng: random.Random, article: str) -> list[Mention]:
    return [random_mention(rng, article, index) for index in range(rng.choice((1, 1, 1, 2, 3)))]


def nights_of_history(seed: int, articles: int = 240, nights: int = 8) -> list[list[Mention]]:
    """Each night new articles, and from the third on some earlier articles re-extracted."""
    rng = random.Random(seed)
    names = [f"a{n:04d}" for n in range(articles)]
    per_night = [names[i::nights] for i in range(nights)]
    loaded: list[str] = []
    batches = []
    for number, night in enumerate(per_night):
        redone = rng.sample(loaded, k=min(len(loaded), 5)) if number >= 2 else []
        batches.append([m for name in night + redone for m in random_article(rng, name)])
        loaded.extend(night)
    return batches


def published(article_id: str) -> datetime:
    """Publication times around the attacks' days: a recall may be published before an attack."""
    offset = random.Random(article_id).randrange(-2 * 24, 20 * 24)
    return datetime.combine(FIRST_DAY, datetime.min.time()) + timedelta(hours=offset)


def load_night(writer: store.Writer, mentions: list[Mention]) -> None:
    articles = sorted({m.article_id for m in mentions})
    now = NOW.replace(tzinfo=None)
    rows = pa.table({
        "article_id": articles, "source_file": articles, "content_sha256": articles, "normalized_sha256": articles,
        "published_at": pa.array([published(a) for a in articles], pa.timestamp("us")),
        "published_at_origin": ["metadata"] * len(articles), "text": [""] * len(articles),
        "ingested_at": pa.array([now] * len(articles), pa.timestamp("us")),
        "updated_at": pa.array([now] * len(articles), pa.timestamp("us")),
    })
    writer.replace_where("articles", "article_id", articles, rows)
    writer.replace_where("mentions", "article_id", articles, load.mentions_table(mentions))


def stored_assignment(writer: store.Writer) -> dict[str, str]:
    return dict(writer.query("SELECT mention_id, incident_id FROM incident_sources"))


def reconcile_night(writer: store.Writer, night: list[Mention], run_id: int):
    history = store.ReconcileHistory(writer)
    scoped = reconcile_scope(history, {m.mention_id for m in night}, history.orphaned_incidents(), run_id, NOW)
    result = scoped.result
    store.write_incidents(writer, scoped.replaced_incidents, result.incidents, result.incident_sources, result.id_map)
    store.write_links(writer, scoped.links, run_id)
    return history, scoped


def stored_links(writer: store.Writer) -> list[tuple]:
    return writer.query("SELECT mention_a, mention_b, weight, is_link, conflict, decision, levels FROM report_links "
                        "ORDER BY 1, 2")


@pytest.mark.parametrize("seed", range(12))
def test_every_night_a_full_regroup_finds_nothing_to_change(tmp_path, seed):
    db = tmp_path / "history.duckdb"
    scopes = []
    for run_id, night in enumerate(nights_of_history(seed), start=1):
        with store.write_transaction(db) as writer:
            load_night(writer, night)
            history, scoped = reconcile_night(writer, night, run_id)
            scopes.append(scoped.scope_mentions)

            full = reconcile_scope(history, set(), set(), run_id, NOW, full=True)
            assert full.result.assignment == stored_assignment(writer), f"night {run_id}"
            assert (full.result.stats["new"], full.result.stats["updated"], full.result.stats["retired"]) == (0, 0, 0)
            stored_incidents = writer.query("SELECT incident_id, killed, killed_max, source_count, updated_run_id, "
                                            "link_confidence FROM incidents ORDER BY incident_id")
            assert stored_incidents == [
                (row["incident_id"], row["killed"], row["killed_max"], row["source_count"], row["updated_run_id"],
                 row["link_confidence"]) for row in full.result.incidents
            ]
            columns = ("mention_a", "mention_b", "weight", "is_link", "conflict", "decision", "levels")
            assert stored_links(writer) == sorted(zip(*(full.links.rows.read_all().column(c).to_pylist() for c in columns))), \
                "the links table is the one a full regroup writes"
    total = sum(len(night) for night in nights_of_history(seed))
    assert min(scopes[2:]) < total, "some night regrouped less than the whole history"


def test_an_analysts_decisions_hold_in_every_later_run(tmp_path):
    db = tmp_path / "overrides.duckdb"
    nights = nights_of_history(5)
    with store.write_transaction(db) as writer:
        for run_id, night in enumerate(nights[:2], start=1):   # two nights: enough to have a pair to part
            load_night(writer, night)
            reconcile_night(writer, night, run_id)
        together = {}
        for mention_id, incident_id in stored_assignment(writer).items():
            together.setdefault(incident_id, []).append(mention_id)
        pair = next(sorted(members)[:2] for members in together.values() if len(members) > 1)
        apart = sorted(incident for incident, members in together.items() if len(members) == 1)[:2]
        store.add_override(writer, [tuple(pair)], "cannot_link", " ".join(pair), None, NOW.replace(tzinfo=None))
        singles = [store.mentions_of(writer, incident)[0] for incident in apart]
        store.add_override(writer, [tuple(singles)], "must_link", " ".join(apart), None, NOW.replace(tzinfo=None))
    for run_id, night in enumerate(nights[2:5], start=3):
        with store.write_transaction(db) as writer:
            load_night(writer, night)
            history, _ = reconcile_night(writer, night, run_id)
            assignment = stored_assignment(writer)
            assert assignment[pair[0]] != assignment[pair[1]], "cannot-link kept apart"
            assert assignment[singles[0]] == assignment[singles[1]], "must-link kept together"
            full = reconcile_scope(history, set(), set(), run_id, NOW, full=True).result
            assert full.assignment == assignment


def test_fresh_id_passes_over_every_id_its_anchor_ever_had(tmp_path):
    """A scoped run asks the history only about the ids its fresh ids would try: an anchor whose
    first ids were retired by earlier merges still gets one no incident ever had."""
    mention = Mention(mention_id="a0001:0", article_id="a0001", mention_index=0, role="primary",
                      event_date="2021-03-02", date_precision="day", **PLACES[3], weapon_type="rocket")
    retired = [id_candidate(mention.mention_id, 0), id_candidate(mention.mention_id, 1)]
    with store.write_transaction(tmp_path / "ids.duckdb") as writer:
        load_night(writer, [mention])
        writer.insert_rows("incident_id_map", [{"retired_id": old, "surviving_id": "inc_elsewhere",
                                                "retired_at": NOW.replace(tzinfo=None), "run_id": 1}
                                               for old in retired])
        history = store.ReconcileHistory(writer)
        assert history.ids_in_use(retired + [id_candidate("a0002:0", 0)]) == set(retired)
        result = reconcile_scope(history, {mention.mention_id}, set(), 2, NOW).result
    assert result.assignment == {mention.mention_id: id_candidate(mention.mention_id, 2)}


def test_a_read_only_connection_reads_the_history_as_a_run_does(tmp_path):
    """``store.Reader`` gives the store's readers to a read-only connection (tests/devset/fit_weights.py)."""
    db = tmp_path / "history.duckdb"
    night = nights_of_history(0, articles=30, nights=1)[0]

    def read(history: store.ReconcileHistory) -> tuple:
        mentions = sorted(history.mentions(None), key=lambda m: m.mention_id)
        return (mentions, history.articles({m.article_id for m in mentions}), history.incident_rows(None),
                history.link_partners({m.mention_id for m in mentions}))

    with store.write_transaction(db) as writer:
        load_night(writer, night)
        reconcile_night(writer, night, 1)
        in_the_run = read(store.ReconcileHistory(writer))
    conn = store.read_only_connection(db)
    try:
        read_only = read(store.ReconcileHistory(store.Reader(conn)))
    finally:
        conn.close()
    assert read_only == in_the_run and len(in_the_run[0]) == len(night)
