"""Prepare: a batch of inbox files read, signed and extracted in one task, on one worker.

Read, sign and extract need nothing but the files, so they run back to back where the files were
read: an article's text crosses to the flow's process once, with its fingerprints and mentions,
instead of coming back from the reader and going out again to be signed and again to be
extracted; and a worker goes on to its next batch instead of waiting at the end of each stage
for the slowest batch of it. What needs the database (which articles changed, which copy an
earlier one) is decided in the flow afterwards; the mentions of an article it finds unchanged
are dropped there (a file merely touched is recognised here, before any work on it).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import task

from tasks import STAGE_TASK_OPTIONS

from incidents import minhash
from incidents.heap import paced_for_batches
from incidents.model import InboxFile, Mention, RawArticle, ReadResult
from tasks.dedupe import Fingerprints, fingerprint_batch
from tasks.extract import ArticleInput, dateline_of, extract_batch
from tasks.read import read_batch


@dataclass
class PreparedFiles:
    """A batch of files as the worker left it: every file's result, the fingerprints and mentions
    of the articles read from the files that changed, and the worker's CPU seconds per stage."""

    results: list[ReadResult]
    touched_only: set[str]          # files whose content is the stored one: nothing else done
    articles: list[RawArticle]
    fingerprints: Fingerprints      # of ``articles``, in their order
    mentions: list[Mention]
    cpu_seconds: dict[str, float] = field(default_factory=dict)


def local_published(article: RawArticle, default_timezone: str) -> dt.datetime | None:
    """The publication time in the source's own offset; a naive one is in ``default_timezone``."""
    if article.published_at is None:
        return None
    return article.published_at.astimezone(article.published_at.tzinfo or ZoneInfo(default_timezone))


def dated_by_its_text(article: RawArticle, default_timezone: str) -> RawArticle:
    """An article without a publication time takes the date its dateline or its page's date line
    gives (origin ``dateline``), as a day: midnight in ``default_timezone``. Extraction read the
    same date from the text; it is stored so that analysts and reconciliation see it too."""
    if article.published_at is not None:
        return article
    report_date = dateline_of(article.text)[0].report_date
    if report_date is None:
        return article
    published = dt.datetime.combine(report_date, dt.time(), ZoneInfo(default_timezone))
    return replace(article, published_at=published, published_at_origin="dateline")


def prepare_batch(root: Path, files: list[InboxFile], max_bytes: int, default_timezone: str,
                  params: minhash.MinHashParams, stored_sha256: dict[str, str | None]) -> PreparedFiles:
    """Reads ``files``; signs and extracts the articles of those that changed.

    ``stored_sha256`` holds the content hash stored for each of the files read before: a file
    with the same content and no sidecar was only touched.
    """
    clock = time.thread_time()
    cpu_seconds: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.thread_time()
        cpu_seconds[stage] = now - clock
        clock = now

    results = read_batch(root, files, max_bytes, default_timezone)
    touched_only = {
        r.file.source_file for r in results
        if r.content_sha256 is not None and r.file.sidecar is None
        and stored_sha256.get(r.file.source_file) == r.content_sha256
    }
    articles = [a for r in results if not r.deferred and r.file.source_file not in touched_only for a in r.articles]
    lap("read")
    fingerprints = fingerprint_batch(articles, params)
    lap("sign")
    mentions = extract_batch([ArticleInput(article_id, a.text, local_published(a, default_timezone))
                              for article_id, a in zip(fingerprints.article_ids, articles)])
    articles = [dated_by_its_text(a, default_timezone) for a in articles]
    lap("extract")
    return PreparedFiles(results, touched_only, articles, fingerprints, mentions, cpu_seconds)


@task(name="prepare-files", retries=2, retry_delay_seconds=2, **STAGE_TASK_OPTIONS)
def prepare_task(root: Path, files: list[InboxFile], max_bytes: int, default_timezone: str,
                 params: minhash.MinHashParams, stored_sha256: dict[str, str | None]) -> PreparedFiles:
    with paced_for_batches():
        return prepare_batch(root, files, max_bytes, default_timezone, params, stored_sha256)
