"""The incident pipeline: discover → read → dedupe → extract → reconcile → load.

The flow only composes the stages in ``tasks``; the database is touched through
``incidents.store`` alone, in the flow's own process (DuckDB has one writer), while the
parallel stages (read, sign and extract, one task a batch of files: ``tasks.prepare``) run on
the task runner the ``task_runner`` parameter names: threads, processes, or Dask
(``make_task_runner``). It is a parameter rather than the flow's own task runner so that a
deployment's run (served, or started by a worker from the entrypoint) can choose it as the CLI
does. Every stage is a task, so a run's graph shows where its time went; the stages that write
are called, not submitted, and run in the flow's thread with its one writer.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import get_run_context
from prefect.states import Cancelled
from prefect.task_runners import TaskRunner
from prefect.utilities.annotations import quote

from incidents import minhash, store
from incidents.heap import free_reference_cycles, paced_for_batches, set_aside_survivors
from incidents.model import RawArticle, ReadResult, Rejection
from incidents.progress import StageClock, files_prepared
from incidents.report import latest_incidents_rows
from incidents.runner import make_task_runner, resolved_task_runner
from incidents.settings import DEFAULT_DB, Settings
from tasks import STAGE_TASK_OPTIONS, load
from tasks.dedupe import CopyDecision, PreparedArticles, decide_copies, first_seen_order, prepared, words_of_article
from tasks.discover import InboxDelta, list_inbox_task, plan_reads
from tasks.prepare import PreparedFiles, prepare_task
from tasks.reconcile import reconcile_task, rules_fingerprint


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
    worker_cpu_seconds: dict[str, float] = field(default_factory=dict)   # summed over the workers

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int) and k != "run_id"}

    def markdown(self) -> str:
        lines = ["| what | count |", "| --- | ---: |"]
        lines += [f"| {name.replace('_', ' ')} | {value} |" for name, value in self.counts().items()]
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in self.stage_seconds.items())
        workers = ", ".join(f"{k} {v:.1f}s" for k, v in self.worker_cpu_seconds.items())
        return (f"### Incident pipeline run {self.run_id}\n\nDatabase: `{self.db}`\n\n" + "\n".join(lines)
                + f"\n\nStages: {timing}\n\nWorkers' CPU time: {workers or 'none'}\n")


# The state of a run that found the database held by another run past its wait.
SKIPPED = "Skipped"
# Articles of an upgraded database whose words are read at once (their texts are held meanwhile).
WORDS_BACKFILL_BATCH = 20_000

# Two: with one, the workers would wait at the end of each slice for its last batch (a slice of
# 10,000 files is five batches of 2,000 on two workers) and for the flow to take its results.
SLICES_AHEAD = 2


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


TaskRunnerName = Literal["auto", "threads", "processes", "dask", "sequential"]


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
    slice_size: int | None = None,
    full_reconcile: bool | None = None,
    task_runner: TaskRunnerName = "auto",
    workers: int = 2,
    dask_address: str | None = None,
) -> dict:
    """One run over the inbox into the database: reads only new or changed files, finds copies,
    extracts the attacks and regroups them into incidents. Returns the run's counts.

    Args:
        inbox: Folder of article files (txt, json, jsonl, html), read recursively.
        db: The DuckDB file the incidents are loaded into (created on the first run).
        max_file_bytes: Larger files are rejected unread (default 20 MiB).
        min_file_age_seconds: A file modified more recently than this is left for the next run
            (default 0: read everything).
        batch_size: Files per worker task (default 2,000).
        near_copy_threshold: MinHash similarity from which an article is a near copy of an
            earlier one (default 0.4).
        default_timezone: Time zone of publication times that carry no offset
            (default Asia/Baghdad).
        lock_timeout_seconds: Seconds to wait for another run that holds the database before
            this one is skipped (default 0: skip at once).
        slice_size: Files read, deduped, extracted and loaded at a time; bounds memory
            (default 10,000).
        full_reconcile: Regroup every stored report instead of what the new ones reach (same
            result, slower).
        task_runner: Where reading and extraction run: threads, processes, dask (a local
            cluster, or dask_address), sequential, or auto (processes for a first run of 5,000
            files or more, threads otherwise).
        workers: Worker threads or processes (or local Dask workers).
        dask_address: Address of an existing Dask scheduler, e.g. tcp://scheduler:8786 (with
            task_runner dask).
    """
    logger = get_run_logger()
    settings = Settings.build(
        inbox=inbox, db=db, max_file_bytes=max_file_bytes, min_file_age_seconds=min_file_age_seconds,
        batch_size=batch_size, near_copy_threshold=near_copy_threshold, default_timezone=default_timezone,
        lock_timeout_seconds=lock_timeout_seconds, slice_size=slice_size, full_reconcile=full_reconcile,
        task_runner=task_runner, workers=workers, dask_address=dask_address,
    )
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        with store.RunLock(settings.db, settings.lock_timeout_seconds):
            kind = resolved_task_runner(settings)
            logger.info("reading on %s (%d workers)", kind, settings.workers)
            with make_task_runner(kind, settings.workers, settings.dask_address) as workers_runner, \
                    store.staged_database(settings.db) as staged:
                with store.write_transaction(staged) as writer, paced_for_batches():
                    summary = _run(settings, writer, workers_runner, started, logger)
    except store.DatabaseBusy as exc:
        # Not a failure of this run: the database is someone else's for now, and nothing was done.
        logger.warning("skipped, nothing read or written: %s", exc)
        return Cancelled(name=SKIPPED, message=str(exc))
    except Exception as exc:
        store.append_run_journal(settings.db, {"started_at": started, "status": "failed", "error": str(exc)})
        raise
    create_markdown_artifact(markdown=summary.markdown(), key="incident-run-summary",
                             description="What this run of the incident pipeline read and added")
    publish_incident_table(settings.db)
    logger.info("run %s done: %s", summary.run_id, json.dumps(summary.counts()))
    return {"run_id": summary.run_id, "db": str(settings.db), **summary.counts(), "stage_seconds": summary.stage_seconds,
            "worker_cpu_seconds": summary.worker_cpu_seconds}


def publish_incident_table(db_path: Path) -> None:
    """A Prefect table artifact of the latest incidents (call it inside a flow, after the run)."""
    conn = store.read_only_connection(Path(db_path))
    try:
        rows = latest_incidents_rows(conn)
    finally:
        conn.close()
    create_table_artifact(table=rows, key="incident-latest",
                          description="The latest incidents in the database after this run")


@dataclass
class _Run:
    """What every stage of one run shares: its settings, the write transaction, the task runner
    of the parallel stages, its id and start time (the ``now`` of every row it writes), the counts it reports, its clock and log."""

    settings: Settings
    writer: store.Writer
    workers: TaskRunner
    run_id: int
    now: dt.datetime
    summary: RunSummary
    clock: StageClock
    logger: logging.Logger | logging.LoggerAdapter

    @property
    def minhash_params(self) -> minhash.MinHashParams:
        return minhash.MinHashParams(num_perm=self.settings.minhash_permutations,
                                     shingle_words=self.settings.shingle_words,
                                     threshold=self.settings.near_copy_threshold)


@dataclass
class _Inbox:
    """What the listing found to do, the stored rows of the files it names, and the names
    rejected so far in this run (by the listing, then by the readers)."""

    delta: InboxDelta
    known: dict
    rejected_names: set[str]


def _run(settings: Settings, writer: store.Writer, workers: TaskRunner, started: dt.datetime, logger) -> RunSummary:
    run_id = store.next_run_id(writer)
    run = _Run(settings, writer, workers, run_id, started, RunSummary(run_id=run_id, db=str(settings.db)), StageClock(), logger)
    summary = run.summary
    changed = _ingest(run)
    with run.clock.stage("reconcile"):
        in_full = _reconcile(run, changed)
    summary.stage_seconds = run.clock.rounded()
    summary.worker_cpu_seconds = {stage: round(seconds, 3) for stage, seconds in summary.worker_cpu_seconds.items()}
    recorded = {**settings.as_dict(), "reconcile_rules": rules_fingerprint(), "reconciled_in_full": in_full,
                "task_runner_used": type(run.workers).__name__}
    writer.execute(
        "INSERT INTO pipeline_runs (run_id, flow_run_id, started_at, finished_at, status, inbox, files_seen, "
        "files_new, files_changed, files_unchanged, files_deferred, files_rejected, articles_added, articles_updated, "
        "duplicates_found, mentions_extracted, incidents_new, incidents_updated, incidents_retired, incidents_total, "
        "settings) VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, _flow_run_id(), started, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), str(settings.inbox),
         summary.files_seen, summary.files_new,
         summary.files_changed, summary.files_unchanged, summary.files_deferred, summary.files_rejected,
         summary.articles_added, summary.articles_updated, summary.duplicates_found, summary.mentions_extracted,
         summary.incidents_new, summary.incidents_updated, summary.incidents_retired, summary.incidents_total,
         json.dumps(recorded, default=str)),
    )
    return summary


def _ingest(run: _Run) -> set[str]:
    """Reads, dedupes, extracts and loads the inbox's new and changed files, a slice of files at a
    time, and returns the ids of the mentions it wrote.

    The workers prepare (read, sign, extract) the next ``SLICES_AHEAD`` slices while the flow
    stores one; a slice is checked for copies against everything stored (earlier slices included)
    and loaded before the next is, so a run holds at most 1 + ``SLICES_AHEAD`` slices' texts
    whatever the size of the inbox, and slices of one run decide copies as consecutive runs would.
    """
    settings, writer, summary = run.settings, run.writer, run.summary
    with run.clock.stage("list"):
        listing = list_inbox_task(settings.inbox)
        delta = plan_reads(listing, store.compare_listing(writer, listing.table()), settings.min_file_age_seconds)
        del listing
        known = store.known_files(writer, [name for f in delta.to_read for name in (f.source_file, f.sidecar) if name]
                                  + delta.deleted + [r.source_file for r in delta.rejected])
    inbox = _Inbox(delta, known, {r.source_file for r in delta.rejected})
    summary.files_seen = delta.files_seen
    summary.files_deferred = len(delta.deferred)
    summary.files_unchanged = delta.unchanged
    run.logger.info("%d files seen: %d to read, %d rejected when listed, %d deferred", delta.files_seen,
                    len(delta.to_read), len(delta.rejected), summary.files_deferred)
    written: set[str] = set()
    set_aside_survivors()
    slices = chunks(delta.to_read, settings.slice_size)
    to_do, done, began = len(delta.to_read), 0, time.monotonic()
    files_prepared(done, to_do)
    ahead = collections.deque(_prepare(run, inbox, files, first=index == 0)
                              for index, files in enumerate(slices[:SLICES_AHEAD]))
    for index in range(len(slices)):
        batches = []
        with run.clock.stage("prepare"):
            for future in ahead.popleft():
                batches.append(future.result())
                done += len(batches[-1].results)
                files_prepared(done, to_do)
        run.logger.info("%d of %d files read and extracted (%.0f files/s)", done, to_do,
                        done / max(time.monotonic() - began, 1e-9))
        if index + SLICES_AHEAD < len(slices):
            ahead.append(_prepare(run, inbox, slices[index + SLICES_AHEAD]))
        written |= _ingest_slice(run, inbox, batches)
        del batches
        free_reference_cycles()   # the slice's results, held in its futures' cycles
    record_listing_task(quote(run), quote(inbox))
    summary.files_rejected = len(inbox.rejected_names)
    return written


def _prepare(run: _Run, inbox: _Inbox, files: list, first: bool = False) -> list:
    """Submits a slice's batches to the workers (``prepare_task``); returns their futures.

    The first slice of a run opens with small batches, doubling up to the batch size, so that
    results, and the rate a terminal shows, come from the first seconds instead of after a whole
    batch a worker (2,000 files, ~5 s a core); a few more tasks, ~0.1 s each.
    """
    settings, params = run.settings, run.minhash_params
    futures = []
    batches, start, size = [], 0, max(1, settings.batch_size // 20) if first else settings.batch_size
    while start < len(files):
        for _ in range(settings.workers if size < settings.batch_size else 1):
            batches.append(files[start:start + size])
            start += size
        size = min(2 * size, settings.batch_size)
    batches = [batch for batch in batches if batch]
    for batch in batches:
        stored_sha256 = {f.source_file: inbox.known[f.source_file][2] for f in batch if f.source_file in inbox.known}
        futures.append(run.workers.submit(prepare_task, parameters={
            "root": settings.inbox, "files": batch, "max_bytes": settings.max_file_bytes,
            "default_timezone": settings.default_timezone, "params": params, "stored_sha256": stored_sha256}))
    return futures


@dataclass
class _Deduped:
    """A slice after the copy check: what the readers found, and the articles to store."""

    results: list[ReadResult]
    rejections: list[Rejection]
    articles: list[RawArticle]         # every article read, in first-seen order
    batch: PreparedArticles            # the new and changed ones among them
    copies: dict[str, CopyDecision]
    versions: dict                     # stored version rows of the articles read
    replaced: list[str]


def _ingest_slice(run: _Run, inbox: _Inbox, batches: list[PreparedFiles]) -> set[str]:
    deduped = dedupe_task(quote(run), quote(inbox), quote(batches))
    return load_task(quote(run), quote(inbox), quote(batches), quote(deduped))


@task(name="dedupe", **STAGE_TASK_OPTIONS)
def dedupe_task(run: _Run, inbox: _Inbox, batches: list[PreparedFiles]) -> _Deduped:
    """Called, not submitted: checks a slice for copies against the stored history."""
    writer, summary, params = run.writer, run.summary, run.minhash_params
    with run.clock.stage("dedupe"):
        for prepared_files in batches:
            for stage, seconds in prepared_files.cpu_seconds.items():
                summary.worker_cpu_seconds[stage] = summary.worker_cpu_seconds.get(stage, 0.0) + seconds
        results: list[ReadResult] = [r for b in batches for r in b.results]
        summary.files_deferred += sum(1 for r in results if r.deferred)
        results = [r for r in results if not r.deferred]
        rejections = [x for r in results for x in r.rejections]
        inbox.rejected_names.update(x.source_file for x in rejections)
        touched_only = set().union(*(b.touched_only for b in batches))
        summary.files_new += sum(1 for r in results if r.file.source_file in inbox.delta.new)
        summary.files_changed += sum(1 for r in results if r.file.source_file in inbox.delta.changed
                                     and r.file.source_file not in touched_only)
        summary.files_unchanged += len(touched_only)

        read = [a for b in batches for a in b.articles]
        articles = first_seen_order(read)
        batch = prepared(read, [b.fingerprints for b in batches], params).in_order_of(articles)
        versions = store.article_versions(writer, batch.article_ids)
        batch = batch.select([i for i, (aid, sha) in enumerate(zip(batch.article_ids, batch.content_sha256))
                              if aid not in versions or versions[aid][2] != sha])
        replaced = [aid for aid in batch.article_ids if aid in versions]
        copies = _find_copies(writer, batch, params, replaced)
        summary.duplicates_found += len(copies)
        summary.articles_added += sum(1 for aid in batch.article_ids if aid not in versions)
        summary.articles_updated += len(replaced)
        if replaced:
            store.archive_articles(writer, replaced, run.now, run.run_id)
    return _Deduped(results, rejections, articles, batch, copies, versions, replaced)


@task(name="load", **STAGE_TASK_OPTIONS)
def load_task(run: _Run, inbox: _Inbox, batches: list[PreparedFiles], deduped: _Deduped) -> set[str]:
    """Called, not submitted: writes a slice's articles, fingerprints, mentions and files; returns
    the ids of the mentions written."""
    writer, batch, replaced, versions = run.writer, deduped.batch, deduped.replaced, deduped.versions
    with run.clock.stage("load"):
        kept = set(batch.article_ids)
        mentions = [m for b in batches for m in b.mentions if m.article_id in kept]
        first_ingested = {aid: row[1] for aid, row in versions.items()}
        version_numbers = {aid: row[0] for aid, row in versions.items()}
        # Only a replaced article has rows to delete: deleting by every new id made DuckDB scan
        # the stored rows for nothing (~0.5 s over a 100k first run, growing with the history).
        writer.replace_where("articles", "article_id", replaced,
                             load.articles_table(batch, deduped.copies, version_numbers, first_ingested, run.run_id,
                                                 run.now))
        writer.replace_where("article_signatures", "article_id", replaced, load.signatures_table(batch))
        writer.replace_where("article_band_keys", "article_id", replaced, load.band_keys_table(batch))
        writer.replace_where("article_words", "article_id", replaced, load.words_table(batch.article_ids, batch.words))
        writer.replace_where("mentions", "article_id", replaced, load.mentions_table(mentions))
        writer.replace_where("mention_values", "article_id", replaced, load.mention_values_table(mentions))
        _record_read_files(run, inbox, deduped.results, deduped.articles, deduped.rejections)
        writer.checkpoint()
    run.summary.mentions_extracted += len(mentions)
    return {m.mention_id for m in mentions}


def _find_copies(writer: store.Writer, batch: PreparedArticles, params: minhash.MinHashParams,
                 replaced: list[str]) -> dict[str, CopyDecision]:
    history_exact = store.exact_copy_originals(writer, batch.normalized_sha256, replaced)
    near = store.near_copies(writer, batch.band_keys, batch.signatures, params.threshold, replaced)
    history_pairs = [(index, article_id, similarity) for index, article_id, _, similarity in near]
    history_roots = {article_id: original for _, article_id, original, _ in near}
    return decide_copies(batch, params, history_exact, history_pairs, history_roots)


def _record_read_files(run: _Run, inbox: _Inbox, results: list[ReadResult], articles: list[RawArticle],
                       rejections: list[Rejection]) -> None:
    """inbox_files says what became of every file read; rejected_files lists the ones rejected now."""
    writer, run_id, now = run.writer, run.run_id, run.now
    first_seen = {name: inbox.known[name][4] for r in results for name in (r.file.source_file, r.file.sidecar)
                  if name in inbox.known}
    file_rows = load.inbox_file_rows(results, first_seen, run_id, now)
    writer.replace_where("inbox_files", "source_file", [row["source_file"] for row in file_rows
                                                         if row["source_file"] in inbox.known],
                         load.inbox_files_table(file_rows))
    # A file that now reads cleanly is no longer rejected; one that is rejected again is updated.
    cleared = [r.file.source_file for r in results] + [r.file.sidecar for r in results if r.file.sidecar]
    cleared += [a.source_file for a in articles]
    writer.replace_where("rejected_files", "source_file", sorted(set(cleared) | {r.source_file for r in rejections}),
                         load.rejections_table(rejections, run_id, now))


@task(name="record-listing", **STAGE_TASK_OPTIONS)
def record_listing_task(run: _Run, inbox: _Inbox) -> None:
    """Called, not submitted: records the files gone from the inbox, and the entries that could
    not be listed as files."""
    with run.clock.stage("load"):
        _record_listing(run, inbox)


def _record_listing(run: _Run, inbox: _Inbox) -> None:
    writer, run_id, now, delta, known = run.writer, run.run_id, run.now, inbox.delta, inbox.known
    file_rows = []
    for name in delta.deleted:
        size, mtime, digest, _, seen = known[name]
        file_rows.append({"source_file": name, "size_bytes": size, "mtime_ns": mtime, "content_sha256": digest,
                          "outcome": "deleted", "article_count": 0, "first_seen_at": seen, "last_read_at": now,
                          "last_run_id": run_id})
    for rejection in delta.rejected:
        file_rows.append({"source_file": rejection.source_file, "size_bytes": rejection.size_bytes, "mtime_ns": None,
                          "content_sha256": None, "outcome": "rejected", "article_count": 0,
                          "first_seen_at": known[rejection.source_file][4] if rejection.source_file in known else now,
                          "last_read_at": now, "last_run_id": run_id})
    writer.replace_where("inbox_files", "source_file", [row["source_file"] for row in file_rows
                                                         if row["source_file"] in inbox.known],
                         load.inbox_files_table(file_rows))
    writer.replace_where("rejected_files", "source_file", sorted({r.source_file for r in delta.rejected}),
                         load.rejections_table(delta.rejected, run_id, now))


def _reconcile(run: _Run, changed: set[str]) -> bool:
    """Regroups what this run's mentions reach: all of it when they are most of the history, or
    when the history was grouped by other rules (an upgrade). Returns whether it regrouped all."""
    writer, summary = run.writer, run.summary
    _fill_article_words(run)
    history = store.ReconcileHistory(writer)
    orphaned = history.orphaned_incidents()
    stored = store.mention_count(writer)
    other_rules = store.last_run_settings(writer).get("reconcile_rules") != rules_fingerprint()
    if other_rules and 2 * len(changed) < stored:
        run.logger.info("the history was grouped by other reconciliation rules: regrouping all of it once")
    full = run.settings.full_reconcile or other_rules or 2 * len(changed) >= stored
    # A full regroup's links are written while it clusters (store.LinksInBackground).
    with store.LinksInBackground(writer) as background:
        scoped = reconcile_task(quote(history), quote(changed), quote(orphaned), run.run_id, run.now, full=full,
                                ready=quote(background))
        result = scoped.result
        write_incidents_task(quote(run), quote(scoped), quote(background))
    summary.incidents_new = result.stats.get("new", 0)
    summary.incidents_updated = result.stats.get("updated", 0)
    summary.incidents_retired = result.stats.get("retired", 0)
    summary.incidents_total = store.incident_count(writer)
    run.logger.info("reconciled %d of %d mentions%s in %d round(s)", scoped.scope_mentions, stored,
                    " (all)" if full else "", scoped.rounds)
    return full


def _fill_article_words(run: _Run) -> None:
    """Stores the words of articles loaded before schema version 4 (linkage's text evidence)."""
    missing = store.articles_without_words(run.writer)
    if not missing:
        return
    run.logger.info("reading the words of %d articles stored before schema version 4", len(missing))
    for start in range(0, len(missing), WORDS_BACKFILL_BATCH):
        texts = store.article_texts(run.writer, missing[start:start + WORDS_BACKFILL_BATCH])
        run.writer.insert_arrow("article_words", load.words_table(
            [article_id for article_id, _ in texts],
            [words_of_article(text) for _, text in texts]))


@task(name="write-incidents", **STAGE_TASK_OPTIONS)
def write_incidents_task(run: _Run, scoped, background: store.LinksInBackground) -> None:
    """Called, not submitted: replaces the incidents the reconcile regrouped and the pairs it
    compared (those ``background`` wrote already, waited for), and builds the citations of
    incidents stored before they existed."""
    writer, result = run.writer, scoped.result
    store.write_incidents(writer, scoped.replaced_incidents, result.incidents, result.incident_sources, result.id_map)
    store.write_links(writer, scoped.links, run.run_id, background)
    uncited = store.incidents_without_citations(writer)
    if uncited:
        run.logger.info("building the citations of %d incidents stored before schema version 2", len(uncited))
        store.rebuild_derived_rows(writer, uncited)


def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)
    except Exception:  # noqa: BLE001 - outside a flow run there is no id to record
        return None
