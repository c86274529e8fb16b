"""The one place where the database is touched; call sites use ``from incidents import store``.

- ``database``: the file itself — schema migrations and views, the run lock, the staged copy a
  run writes and swaps in atomically, the write transaction (``Writer``), analysts' read-only
  connection (``read_only_connection``, and ``Reader`` to use the store's readers on it) and the
  runs' own records.
- ``history``: what a run reads back of the inbox files and articles it stored before (the files
  new or changed, article versions, exact and near copies).
- ``reconciliation``: what reconciliation reads of the stored reports (``ReconcileHistory``) and
  writes back (incidents, links, analysts' overrides).

This module only re-exports. The tunables (``database.MIGRATIONS_DIR``, ``VIEWS_DIR``,
``ROWS_PER_COMMIT``, ``reconciliation.INCIDENTS_PER_COMMIT``) are not re-exported: they are read
in their own module, so that is where they are changed.
"""

from incidents.store.database import (
    DatabaseBusy,
    DatabaseError,
    Reader,
    RunLock,
    Writer,
    append_run_journal,
    engine_for,
    last_run_settings,
    migrate,
    next_run_id,
    read_only_connection,
    schema_version_of_code,
    sql_statements,
    staged_database,
    write_transaction,
)
from incidents.store.history import (
    archive_articles,
    article_versions,
    compare_listing,
    exact_copy_originals,
    known_files,
    near_copies,
    recorded_file_count,
)
from incidents.store.reconciliation import (
    LinksInBackground,
    ReconcileHistory,
    add_override,
    article_texts,
    articles_without_words,
    incident_count,
    incidents_without_citations,
    mention_count,
    mentions_of,
    rebuild_derived_rows,
    write_incidents,
    write_links,
)

__all__ = [
    "DatabaseBusy", "DatabaseError", "Reader", "RunLock", "Writer", "append_run_journal", "engine_for",
    "last_run_settings", "migrate", "next_run_id", "read_only_connection", "schema_version_of_code", "sql_statements",
    "staged_database", "write_transaction",
    "archive_articles", "article_versions", "compare_listing", "exact_copy_originals", "known_files", "near_copies",
    "recorded_file_count",
    "LinksInBackground", "ReconcileHistory", "add_override", "article_texts", "articles_without_words",
    "incident_count", "incidents_without_citations", "mention_count", "mentions_of", "rebuild_derived_rows",
    "write_incidents", "write_links",
]
