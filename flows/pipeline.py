"""The incident pipeline: discover → read → dedupe → extract → reconcile → load.

The flow only composes the stages in ``tasks``; the database is touched through
``incidents.store`` alone, in the flow's own process (DuckDB has one writer), while the
parallel stages (read, sign, extract) run on the flow's task runner: threads by default,
processes, or Dask when asked (``make_task_runner``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context

from incidents import minhash, store
from incidents.model import Mention, RawArticle, ReadResult, Rejection
from incidents.progress import stage_done
from incidents.report import publish_incident_table
from incidents.settings import DEFAULT_DB, Settings
from tasks import load
from tasks.dedupe import PreparedArticles, article_id_for, concatenate, decide_copies, prepare_task
from tasks.discover import KnownFile, discover_task
from tasks.extract import ArticleInput, extract_task
from tasks.read import read_task
from tasks.reconcile import ArticleInfo, ReconcileInputs, reconcile_task


@dataclass
class RunSummary:
    run_id: int
    db: str
    files_seen: int = 0
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    files_deferred: int = 0
    files_rejected: int = 0
    articles_added: int = 0
    articles_updated: int = 0
    duplicates_found: int = 0
    mentions_extracted: int = 0
    incidents_new: int = 0
    incidents_updated: int = 0
    incidents_retired: int = 0
    incidents_total: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int) and k != "run_id"}

    def markdown(self) -> str:
        lines = ["| what | count |", "| --- | ---: |"]
        lines += [f"| {name.replace('_', ' ')} | {value} |" for name, value in self.counts().items()]
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in self.stage_seconds.items())
        return f"### Incident pipeline run {self.run_id}\n\nDatabase: `{self.db}`\n\n" + "\n".join(lines) + f"\n\nStages: {timing}\n"


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _gather(futures) -> list:
    return [future.result() for future in futures]


def _local_published(article: RawArticle, default_timezone: str) -> dt.datetime | None:
    return article.published_at.astimezone(article.published_at.tzinfo or ZoneInfo(default_timezone)) if article.published_at else None


def _mention_from_row(row: dict) -> Mention:
    return Mention(**{k: v for k, v in row.items() if v is not None or k in ("event_date",)})


@flow(name="incident-pipeline", log_prints=False, validate_parameters=True)
def incident_pipeline(
    inbox: str,
    db: str = DEFAULT_DB,
    max_file_bytes: int | None = None,
    min_file_age_seconds: float | None = None,
    batch_size: int | None = None,
    near_copy_threshold: float | None = None,
    default_timezone: str | None = None,
    lock_timeout_seconds: float | None = None,
) -> dict:
    """One run over the inbox into the database. Returns the run's counts."""
    settings = Settings.build(
        inbox=inbox, db=db, max_file_bytes=max_file_bytes, min_file_age_seconds=min_file_age_seconds,
        batch_size=batch_size, near_copy_threshold=near_copy_threshold, default_timezone=default_timezone,
        lock_timeout_seconds=lock_timeout_seconds,
    )
    logger = get_run_logger()
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        with store.RunLock(settings.db, settings.lock_timeout_seconds):
            with store.staged_database(settings.db) as staged:
                with store.write_transaction(staged) as writer:
                    summary = _run(settings, writer, started, logger)
    except Exception as exc:
        store.append_run_journal(settings.db, {"started_at": started, "status": "failed", "error": str(exc)})
        raise
    create_markdown_artifact(markdown=summary.markdown(), key="incident-run-summary",
                             description="What this run of the incident pipeline read and added")
    publish_incident_table(settings.db)
    logger.info("run %s done: %s", summary.run_id, json.dumps(summary.counts()))
    return {"run_id": summary.run_id, "db": str(settings.db), **summary.counts(), "stage_seconds": summary.stage_seconds}


def _run(settings: Settings, writer: store.Writer, started: dt.datetime, logger) -> RunSummary:
    clock = time.perf_counter()
    run_id = store.next_run_id(writer)
    summary = RunSummary(run_id=run_id, db=str(settings.db))
    now = started

    def lap(stage: str) -> None:
        nonlocal clock
        summary.stage_seconds[stage] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()
        stage_done(stage)

    # Discover and read ------------------------------------------------------------------------
    known = store.known_files(writer)
    known_stats = {name: KnownFile(row[0], row[1]) for name, row in known.items() if row[3] != "deleted"}
    delta = discover_task(settings.inbox, known_stats, settings.min_file_age_seconds)
    summary.files_seen = delta.files_seen
    summary.files_deferred = len(delta.deferred)
    batches = chunks(delta.to_read, settings.batch_size)
    results: list[ReadResult] = [
        r for batch in _gather([read_task.submit(settings.inbox, b, settings.max_file_bytes, settings.default_timezone)
                                for b in batches]) for r in batch
    ]
    lap("read")
    deferred = [r for r in results if r.deferred]
    summary.files_deferred += len(deferred)
    results = [r for r in results if not r.deferred]
    rejections: list[Rejection] = list(delta.rejected) + [x for r in results for x in r.rejections]
    touched_only = {
        r.file.source_file for r in results
        if r.content_sha256 is not None and r.file.source_file in known
        and known[r.file.source_file][2] == r.content_sha256 and r.file.sidecar is None
    }
    fresh = [r for r in results if r.file.source_file not in touched_only]
    articles: list[RawArticle] = [a for r in fresh for a in r.articles]
    summary.files_new = sum(1 for r in results if r.file.source_file in delta.new)
    summary.files_changed = sum(1 for r in fresh if r.file.source_file in delta.changed)
    summary.files_unchanged = len(delta.unchanged) + len(touched_only)
    summary.files_rejected = len({x.source_file for x in rejections})
    logger.info("%d files seen: %d to read, %d rejected, %d deferred", delta.files_seen, len(delta.to_read),
                summary.files_rejected, summary.files_deferred)

    # Sign and find copies ---------------------------------------------------------------------
    params = minhash.MinHashParams(num_perm=settings.minhash_permutations, shingle_words=settings.shingle_words,
                                   threshold=settings.near_copy_threshold)
    parts = _gather([prepare_task.submit(b, params) for b in chunks(articles, settings.batch_size)])
    prepared: PreparedArticles = concatenate(parts, params.num_perm, params.bands)
    versions = store.article_versions(writer, prepared.article_ids)
    unchanged_ids = {aid for aid, sha in zip(prepared.article_ids, prepared.content_sha256)
                     if aid in versions and versions[aid][2] == sha}
    if unchanged_ids:
        keep = [i for i, aid in enumerate(prepared.article_ids) if aid not in unchanged_ids]
        prepared = PreparedArticles(
            [prepared.articles[i] for i in keep], [prepared.article_ids[i] for i in keep],
            [prepared.content_sha256[i] for i in keep], [prepared.normalized_sha256[i] for i in keep],
            prepared.signatures[keep], prepared.band_keys[keep],
        )
    replaced = [aid for aid in prepared.article_ids if aid in versions]
    history_exact = store.exact_copy_originals(writer, prepared.normalized_sha256, replaced)
    candidates = store.near_copy_candidates(writer, prepared.band_keys, replaced)
    history_pairs, history_roots = [], {}
    if candidates:
        stored = np.array([row[3] for row in candidates], dtype=np.uint32)
        new_rows = prepared.signatures[[row[0] for row in candidates]]
        similarities = minhash.estimated_jaccard(new_rows, stored)
        for row, similarity in zip(candidates, similarities.tolist()):
            history_roots[row[1]] = row[2]
            if similarity >= params.threshold:
                history_pairs.append((row[0], row[1], similarity))
    copies = decide_copies(prepared, params, history_exact, history_pairs, history_roots)
    summary.duplicates_found = len(copies)
    summary.articles_added = sum(1 for aid in prepared.article_ids if aid not in versions)
    summary.articles_updated = len(replaced)
    lap("dedupe")

    # Extract ----------------------------------------------------------------------------------
    inputs = [ArticleInput(aid, a.text, _local_published(a, settings.default_timezone))
              for aid, a in zip(prepared.article_ids, prepared.articles)]
    new_mentions: list[Mention] = [
        m for batch in _gather([extract_task.submit(b) for b in chunks(inputs, settings.batch_size)]) for m in batch
    ]
    summary.mentions_extracted = len(new_mentions)
    lap("extract")

    # Load articles and mentions ---------------------------------------------------------------
    if replaced:
        store.archive_articles(writer, replaced, now, run_id)
    first_ingested = {aid: row[1] for aid, row in versions.items()}
    version_numbers = {aid: row[0] for aid, row in versions.items()}
    ids = prepared.article_ids
    writer.replace_where("articles", "article_id", ids,
                         load.articles_table(prepared, copies, version_numbers, first_ingested, run_id, now))
    writer.replace_where("article_signatures", "article_id", ids, load.signatures_table(prepared))
    writer.replace_where("article_band_keys", "article_id", ids, load.band_keys_table(prepared))
    writer.replace_where("mentions", "article_id", ids, load.mentions_table(new_mentions))
    writer.replace_where("mention_values", "article_id", ids, load.mention_values_table(new_mentions))
    first_seen = {name: row[4] for name, row in known.items()}
    file_rows = load.inbox_file_rows(results, first_seen, run_id, now)
    rejected_names = {r.source_file for r in delta.rejected}
    for name in delta.deleted:
        size, mtime, digest, _, seen = known[name]
        file_rows.append({"source_file": name, "size_bytes": size, "mtime_ns": mtime, "content_sha256": digest,
                          "outcome": "deleted", "article_count": 0, "first_seen_at": seen, "last_read_at": now,
                          "last_run_id": run_id})
    for rejection in delta.rejected:
        file_rows.append({"source_file": rejection.source_file, "size_bytes": rejection.size_bytes, "mtime_ns": None,
                          "content_sha256": None, "outcome": "rejected", "article_count": 0,
                          "first_seen_at": first_seen.get(rejection.source_file, now), "last_read_at": now,
                          "last_run_id": run_id})
    writer.replace_where("inbox_files", "source_file", [row["source_file"] for row in file_rows],
                         load.inbox_files_table(file_rows))
    # A file that now reads cleanly is no longer rejected; one that is rejected again is updated.
    cleared = [r.file.source_file for r in results] + [r.file.sidecar for r in results if r.file.sidecar]
    cleared += [f"{a.source_file}" for a in articles] + sorted(rejected_names)
    writer.replace_where("rejected_files", "source_file", sorted(set(cleared) | {r.source_file for r in rejections}),
                         load.rejections_table(rejections, run_id, now))
    lap("load")

    # Reconcile everything ---------------------------------------------------------------------
    infos = {}
    for article_id, group, published, offset, source in store.article_infos(writer):
        aware = published.replace(tzinfo=dt.timezone.utc) if published else None
        infos[article_id] = ArticleInfo(article_id, group, aware, source)
    mentions = [_mention_from_row(row) for row in store.stored_mentions(writer)]
    previous = store.previous_assignment(writer)
    result = reconcile_task(ReconcileInputs(
        mentions=mentions, articles=infos, previous_assignment=previous,
        previous_created_run=store.incident_created_runs(writer), run_id=run_id, now=now,
        previous_updated_run=store.incident_updated_runs(writer), retired_ids=store.retired_ids(writer),
    ))
    _write_incidents(writer, result)
    summary.incidents_new = result.stats.get("new", 0)
    summary.incidents_updated = result.stats.get("updated", 0)
    summary.incidents_retired = result.stats.get("retired", 0)
    summary.incidents_total = len(result.incidents)
    lap("reconcile")

    writer.execute(
        "INSERT INTO pipeline_runs (run_id, flow_run_id, started_at, finished_at, status, inbox, files_seen, "
        "files_new, files_changed, files_unchanged, files_deferred, files_rejected, articles_added, articles_updated, "
        "duplicates_found, mentions_extracted, incidents_new, incidents_updated, incidents_retired, incidents_total, "
        "settings) VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, _flow_run_id(), started, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), str(settings.inbox), summary.files_seen, summary.files_new,
         summary.files_changed, summary.files_unchanged, summary.files_deferred, summary.files_rejected,
         summary.articles_added, summary.articles_updated, summary.duplicates_found, summary.mentions_extracted,
         summary.incidents_new, summary.incidents_updated, summary.incidents_retired, summary.incidents_total,
         json.dumps(settings.as_dict(), default=str)),
    )
    return summary


def _write_incidents(writer: store.Writer, result) -> None:
    writer.execute("DELETE FROM incident_sources")
    writer.execute("DELETE FROM incidents")
    writer.insert_rows("incidents", result.incidents)
    writer.insert_rows("incident_sources", result.incident_sources)
    writer.insert_rows("incident_id_map", result.id_map)
    load.run_transform(writer, "incident_field_values")


def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)
    except Exception:  # noqa: BLE001 - outside a flow run there is no id to record
        return None
