"""Mentions built by hand, the way the extractor gives them, and a run of reconcile over them:
what the reconciliation tests share."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from incidents.model import ArticleInfo, Mention
from tasks.reconcile import ReconcileInputs, reconcile


NOW = datetime(2021, 1, 10, 12, 0, tzinfo=timezone.utc)

GREEN_ZONE = dict(place_id="iq_baghdad_green_zone", location_name="Green Zone", location_name_ar="المنطقة الخضراء",
                  country="Iraq", admin1="Baghdad", city="Baghdad", latitude=33.3036, longitude=44.3958,
                  geo_precision="district")
BALAD_BASE = dict(place_id="iq_balad_air_base", location_name="Balad Air Base", location_name_ar="قاعدة بلد",
                  country="Iraq", admin1="Salah ad-Din", city="Balad", latitude=34.0036, longitude=44.1457,
                  geo_precision="site")
ERBIL_AIRPORT = dict(place_id="iq_erbil_airport", location_name="Erbil International Airport",
                     location_name_ar="مطار أربيل", country="Iraq", admin1="Erbil", city="Erbil",
                     latitude=36.2376, longitude=43.9632, geo_precision="site")
BAGHDAD_CITY = dict(country="Iraq", admin1="Baghdad", city="Baghdad")


def on(day: str, precision: str = "day") -> dict:
    parsed = date.fromisoformat(day)
    return dict(event_date=day, event_year=parsed.year, event_month=parsed.month, event_day=parsed.day,
                date_precision=precision)


def report(mention_id: str, *, role: str = "primary", **fields) -> Mention:
    article_id, index = mention_id.split(":")
    fields.setdefault("date_precision", "unknown")
    return Mention(mention_id=mention_id, article_id=article_id, mention_index=int(index), role=role, **fields)


def article(article_id: str, hours: int = 0, copy_of: str | None = None, source: str | None = None) -> ArticleInfo:
    return ArticleInfo(article_id=article_id, copy_group=copy_of or article_id,
                       published_at=datetime(2020, 11, 17, 8, tzinfo=timezone.utc) + timedelta(hours=hours),
                       source=source or f"outlet of {article_id}")


def run(mentions, articles=None, previous=None, created=None, run_id=1, **extra):
    if articles is None:
        names = sorted({m.article_id for m in mentions})
        articles = {name: article(name, hours=number) for number, name in enumerate(names)}
    return reconcile(ReconcileInputs(mentions=list(mentions), articles=articles,
                                     previous_assignment=dict(previous or {}),
                                     previous_created_run=dict(created or {}), run_id=run_id, now=NOW, **extra))


def incident_of(result, mention_id: str) -> dict:
    incident_id = result.assignment[mention_id]
    return next(row for row in result.incidents if row["incident_id"] == incident_id)


def embassy_rockets():
    """One rocket attack on the Green Zone, told by three outlets that disagree on the dead."""
    return [
        report("a1:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=3, killed=2),
        report("a2:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=3, killed=3),
        report("a3:0", **on("2020-11-17"), **GREEN_ZONE, weapon_type="rocket", projectile_count=4, killed=2,
               injured=1),
    ]


# Our own sentences, in the style of agency copy: two tell one attack in nearly the same words.
GUARDS_KILLED = "قال مصدر أمني إن صاروخين سقطا قرب مبنى وزارة التخطيط في حي الكرادة وأسفرا عن مقتل حارسين"
GUARDS_KILLED_AGAIN = "أفاد مصدر أمني بأن صاروخين سقطا قرب مبنى وزارة التخطيط بحي الكرادة ما أسفر عن مقتل حارسين"
FIVE_WOUNDED = "أصيب خمسة أشخاص بجروح إثر سقوط صاروخ على مبنى التخطيط داخل المنطقة الخضراء"
