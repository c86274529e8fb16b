"""The `incidents` command: run the pipeline, query the database, serve the nightly schedule.

Every failure ends with one line on stderr that says what went wrong, and an exit code:
0 done, 1 the run failed (the database is as it was), 2 bad arguments or settings, 3 another run
holds the database.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import shutil
import signal
import sys
import tomllib
import unicodedata
from pathlib import Path

from incidents.settings import DEFAULT_DB, TASK_RUNNERS
from incidents.teardown import silence_stderr_at_exit

EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 1, 2, 3
EXIT_INTERRUPTED = 130   # the shell's code for a command ended by Ctrl-C
_ISOLATE, _POP_ISOLATE = "\u2068", "\u2069"


def _quiet_prefect(verbose: bool) -> None:
    """Quiets Prefect's console, not its API: a run's logs still reach the Prefect server, where
    the UI shows them. Prefect reads these settings when first imported: set them before that."""
    if not verbose:
        # A failed run ends with one line saying why; Prefect's traceback is for --verbose.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")
    if not _api_configured():
        # The run's server is then a temporary one that stops with the run: there is no UI to read
        # its logs in, and sending the last of them races its shutdown ("Error logging to API").
        os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # the temporary server's telemetry notice is noise here


def _api_configured() -> bool:
    """Whether Prefect will talk to a server of the user's: PREFECT_API_URL in the environment or in
    the active profile (read without importing Prefect, which would fix its settings too early)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles_path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(profiles_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    profile = profiles.get("profiles", {}).get(active, {})
    return isinstance(profile, dict) and bool(profile.get("PREFECT_API_URL"))


# The command line's name of each setting, for messages about them.
FLAGS = {"inbox": "--inbox", "db": "--db", "max_file_bytes": "--max-file-bytes", "min_file_age_seconds": "--min-file-age",
         "batch_size": "--batch-size", "slice_size": "--slice-size", "full_reconcile": "--full-reconcile",
         "task_runner": "--task-runner", "workers": "--workers", "dask_address": "--dask-address",
         "lock_timeout_seconds": "--wait"}


def _settings_failure(exc) -> int:
    return _fail("\n".join(f"{FLAGS.get(name, name)}: {text}" if name else text for name, text in exc.problems),
                 EXIT_USAGE)


def _fail(message: str, code: int) -> int:
    print(f"incidents: {message.splitlines()[0] if message else 'failed'}", file=sys.stderr)
    for extra in message.splitlines()[1:]:
        print(f"incidents: {extra}", file=sys.stderr)
    return code


def _run_settings(args: argparse.Namespace) -> dict:
    return {"inbox": args.inbox, "db": args.db, "task_runner": args.task_runner, "dask_address": args.dask_address,
            "workers": args.workers, "batch_size": args.batch_size, "max_file_bytes": args.max_file_bytes,
            "min_file_age_seconds": args.min_file_age, "lock_timeout_seconds": args.wait,
            "slice_size": args.slice_size, "full_reconcile": args.full_reconcile or None}


def cmd_run(args: argparse.Namespace) -> int:
    from incidents.settings import Settings, SettingsError

    values = _run_settings(args)
    try:
        # Checked before Prefect is imported (seconds): a mistake is reported at once.
        Settings.build(**values)
    except SettingsError as exc:
        return _settings_failure(exc)
    return _supervised_run(args, values)


def _supervised_run(args: argparse.Namespace, values: dict) -> int:
    """Runs the pipeline in a child process of a process group of its own, and waits for it.

    The temporary Prefect server, the worker processes and a local Dask cluster start in that
    group, out of the terminal's reach: a Ctrl-C reaches this process alone, which kills the
    group at once and says so in one line (the run's staged copy dies with it, so the database
    is as before, as after a SIGKILL: docs/reliability.md). Whatever ends this process, a SIGKILL
    included, the group does not outlive it (``teardown.GroupGuard``).
    """
    from incidents.teardown import GroupGuard

    db = Path(args.db)
    before = _file_identity(db)
    guard = GroupGuard()
    child = os.fork()
    if child == 0:
        guard.close_in_child()
        os.setpgid(0, 0)
        # The child leaves through SystemExit, never back into the caller: the interpreter's exit
        # then runs Prefect's handlers, which send the run's last logs and events to the API.
        sys.exit(_run_in_this_process(args, values))
    with contextlib.suppress(OSError):
        os.setpgid(child, child)   # also here: the group must exist before it can be killed
    guard.watch(child)
    previous_term = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
    except KeyboardInterrupt:
        os.killpg(child, signal.SIGKILL)
        os.waitpid(child, 0)
        _restore_terminal()
        return _fail(f"interrupted: {_what_became_of(db, before)}", EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)   # anything of the run still there
        guard.release()
    if code < 0:
        _restore_terminal()
        return _fail(f"the run was killed by signal {-code}: {_what_became_of(db, before)}", EXIT_FAILED)
    return code


def _what_became_of(db: Path, before: tuple | None) -> str:
    """A run changes the database only by swapping its complete copy in: one look tells."""
    if _file_identity(db) == before:
        return "the database is unchanged"
    return "the run had already written the database (it is complete)"


def _file_identity(path: Path) -> tuple | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _restore_terminal() -> None:
    """A killed progress display leaves its line and a hidden cursor behind."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K\x1b[?25h")
        sys.stderr.flush()


def _run_in_this_process(args: argparse.Namespace, values: dict) -> int:
    _quiet_prefect(args.verbose)
    with contextlib.ExitStack() as display:
        if sys.stderr.isatty() and not args.no_progress:
            from incidents.progress import terminal_progress

            display.enter_context(terminal_progress(f"{args.inbox} → {args.db}"))
        from incidents.progress import announce

        announce("starting Prefect")
        return _run_and_report(args, values)


def _run_and_report(args: argparse.Namespace, values: dict) -> int:
    try:
        from incidents.runner import run_pipeline
        from incidents.settings import SettingsError
        from incidents.store import DatabaseBusy, DatabaseError

        result = run_pipeline(**values)
    except KeyboardInterrupt:
        return _fail("interrupted (the database is unchanged)", EXIT_INTERRUPTED)
    except SettingsError as exc:
        return _settings_failure(exc)
    except DatabaseBusy as exc:
        return _fail(str(exc), EXIT_BUSY)
    except DatabaseError as exc:
        return _fail(f"{exc} (the database is unchanged)", EXIT_FAILED)
    except Exception as exc:  # noqa: BLE001 - the CLI's promise is one line, whatever failed
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return _fail(f"run failed: {type(exc).__name__}: {first_line} (the database is unchanged)", EXIT_FAILED)
    if args.summary:
        from incidents.report_text import run_summary_text

        print(run_summary_text(Path(args.db), result, _program()))
    else:
        print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _program() -> str:
    """This command as the user can type it again from here: the console script's path, relative
    when it is under the working directory (``.venv/bin/incidents`` in the repo), else ``incidents``
    when that is the one on PATH."""
    invoked = Path(sys.argv[0]).resolve()
    if invoked.name != "incidents":
        return "incidents"
    try:
        return str(invoked.relative_to(Path.cwd().resolve()))
    except ValueError:
        on_path = shutil.which("incidents")
        return "incidents" if on_path and Path(on_path).resolve() == invoked else str(invoked)


def display_width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) or ch in (_ISOLATE, _POP_ISOLATE) else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value).replace("\n", " ")
    if any("\u0590" <= ch <= "\u08ff" for ch in text):
        # Isolated, right-to-left text cannot reorder the columns around it.
        return f"{_ISOLATE}{text}{_POP_ISOLATE}"
    return text


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> str:
    def clip(text: str) -> str:
        if display_width(text) <= max_width:
            return text
        inner = text.strip(_ISOLATE + _POP_ISOLATE)[: max_width - 1] + "…"
        return f"{_ISOLATE}{inner}{_POP_ISOLATE}" if text.startswith(_ISOLATE) else inner

    cells = [[clip(_cell(v)) for v in row] for row in rows]
    widths = [max([display_width(c)] + [display_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return " | ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths)).rstrip()

    out = [line(columns), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from incidents.store import DatabaseError, read_only_connection

    query = args.query if args.query != "-" else sys.stdin.read()
    try:
        conn = read_only_connection(Path(args.db))
    except DatabaseError as exc:
        return _fail(str(exc), EXIT_FAILED)
    try:
        cursor = conn.execute(query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        return _fail(f"query failed: {str(exc).splitlines()[0]}", EXIT_USAGE)
    finally:
        conn.close()
    if args.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
    elif args.format == "json":
        print(json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, default=str, indent=1))
    else:
        print(format_table(columns, rows))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from incidents.settings import Settings, SettingsError

    try:
        Settings.build(inbox=args.inbox, db=args.db, task_runner=args.task_runner, workers=args.workers,
                       dask_address=args.dask_address, lock_timeout_seconds=args.wait)
    except SettingsError as exc:
        return _settings_failure(exc)
    _quiet_prefect(False)
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    if not api:
        return _fail("serve needs a Prefect server that outlives it, or the schedule dies with this process: "
                     "start `prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api", EXIT_USAGE)
    problem = _api_problem()
    if problem:
        return _fail(f"cannot reach the Prefect API at {api}: {problem}", EXIT_FAILED)
    from deployments.serve import serve_nightly

    print(f"incidents: serving incident-pipeline/{args.name} on {api} (cron '{args.cron}', {args.timezone}); "
          "Ctrl-C stops it", file=sys.stderr)
    try:
        serve_nightly(inbox=str(Path(args.inbox).resolve()), db=str(Path(args.db).resolve()), name=args.name,
                      cron=args.cron,
                      timezone=args.timezone, task_runner=args.task_runner, workers=args.workers or 2,
                      dask_address=args.dask_address, wait_seconds=args.wait)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001
        return _fail(f"serve failed: {type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}", EXIT_FAILED)
    return 0


def _api_problem() -> str | None:
    """Why the configured Prefect API cannot be used, or None when it answers."""
    import asyncio

    from prefect.client.orchestration import get_client

    async def check() -> str | None:
        async with get_client() as client:
            error = await client.api_healthcheck()
            return None if error is None else (str(error).splitlines() or [type(error).__name__])[0]

    return asyncio.run(check())


def cmd_export(args: argparse.Namespace) -> int:
    import duckdb

    from incidents.export import FORMATS, export
    from incidents.store import DatabaseError, read_only_connection

    out = Path(args.out)
    fmt = args.format or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        return _fail(f"cannot tell the format from {out.name}: give --format {'|'.join(FORMATS)}", EXIT_USAGE)
    try:
        conn = read_only_connection(Path(args.db))
    except DatabaseError as exc:
        return _fail(str(exc), EXIT_FAILED)
    try:
        count = export(conn, fmt, out, acled=args.acled)
    except duckdb.CatalogException as exc:
        return _fail(f"the database has no analyst views ({str(exc).splitlines()[0]}): "
                     "run `incidents run` once with this version", EXIT_FAILED)
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror or exc}", EXIT_FAILED)
    finally:
        conn.close()
    layout = "ACLED-like rows" if args.acled else "incidents"
    print(f"wrote {count} {layout} to {out} ({fmt})")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import duckdb

    from incidents.report import write_report
    from incidents.store import DatabaseError, read_only_connection

    try:
        conn = read_only_connection(Path(args.db))
    except DatabaseError as exc:
        return _fail(str(exc), EXIT_FAILED)
    try:
        page = write_report(conn, Path(args.out), db_label=str(args.db))
    except duckdb.CatalogException as exc:
        return _fail(f"the database has no analyst views ({str(exc).splitlines()[0]}): "
                     "run `incidents run` once with this version", EXIT_FAILED)
    except OSError as exc:
        return _fail(f"cannot write the report in {args.out}: {exc.strerror or exc}", EXIT_FAILED)
    finally:
        conn.close()
    print(f"wrote {page}")
    return 0


class _NothingToLink(Exception):
    """A name in `incidents link` that stands for no stored report."""


def cmd_link(args: argparse.Namespace) -> int:
    """Records an analyst's must-link or cannot-link between two reports, articles or incidents;
    every later run groups by it (docs/reconciliation.md, "Correcting the linkage")."""
    import datetime as dt

    from incidents.linkage.linking import CANNOT_LINK, MUST_LINK
    from incidents.store import (DatabaseBusy, DatabaseError, RunLock, add_override, mentions_of, staged_database,
                                 write_transaction)

    db = Path(args.db)
    if not db.exists():
        return _fail(f"no database at {db}: run `incidents run` first", EXIT_USAGE)
    if args.first == args.second:
        return _fail("name two different reports, articles or incidents", EXIT_USAGE)
    decision = MUST_LINK if args.decision == "must" else CANNOT_LINK
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        with RunLock(db, args.wait), staged_database(db) as staged, write_transaction(staged) as writer:
            left, right = mentions_of(writer, args.first), mentions_of(writer, args.second)
            for name, found in ((args.first, left), (args.second, right)):
                if not found:
                    raise _NothingToLink(name)
            number = add_override(writer, [(a, b) for a in left for b in right], decision,
                                  f"{args.first} {args.second}", args.note, now)
    except _NothingToLink as exc:
        return _fail(f"{exc} names no stored incident, article or report", EXIT_USAGE)
    except DatabaseBusy as exc:
        return _fail(str(exc), EXIT_BUSY)
    except DatabaseError as exc:
        return _fail(f"{exc} (the database is unchanged)", EXIT_FAILED)
    print(f"decision {number}: {decision} between {args.first} ({len(left)} reports) and {args.second} "
          f"({len(right)} reports); the next run regroups them")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidents", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="one run of the pipeline over an inbox folder")
    run.add_argument("--inbox", required=True, help="folder of article files (read recursively)")
    run.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
    run.add_argument("--task-runner", choices=TASK_RUNNERS, default="auto",
                     help="where the parallel stages run (default auto: processes when 5,000 or more files are "
                          "new to the database, threads otherwise)")
    run.add_argument("--dask-address", help="address of an existing Dask scheduler (with --task-runner dask)")
    run.add_argument("--workers", type=int, help="parallel workers for threads, processes or a local Dask cluster")
    run.add_argument("--batch-size", type=int, help="articles per task")
    run.add_argument("--slice-size", type=int, help="files read, deduped, extracted and loaded at a time (bounds memory)")
    run.add_argument("--full-reconcile", action="store_true",
                     help="regroup every stored report, not only what the new ones reach (same result, slower)")
    run.add_argument("--max-file-bytes", type=int, help="larger files are rejected unread")
    run.add_argument("--min-file-age", type=float, help="seconds a file must be unmodified before it is read")
    run.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another run to finish")
    run.add_argument("--summary", action="store_true", help="print a one-screen summary instead of JSON")
    run.add_argument("--no-progress", action="store_true", help="no progress display on a terminal")
    run.add_argument("--verbose", action="store_true", help="show Prefect's logs")
    run.set_defaults(handler=cmd_run)

    sql = sub.add_parser("sql", help="run a read-only SQL query and print the result")
    sql.add_argument("query", help="the SQL text, or - to read it from stdin")
    sql.add_argument("--db", default=DEFAULT_DB)
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.set_defaults(handler=cmd_sql)

    serve = sub.add_parser("serve", help="serve the nightly deployment (schedule and manual triggers); "
                                         "needs PREFECT_API_URL")
    serve.add_argument("--inbox", default=os.environ.get("INCIDENTS_INBOX", "inbox"),
                       help="folder of article files (default $INCIDENTS_INBOX or inbox)")
    serve.add_argument("--db", default=os.environ.get("INCIDENTS_DB", DEFAULT_DB),
                       help=f"DuckDB file (default $INCIDENTS_DB or {DEFAULT_DB})")
    serve.add_argument("--name", default="nightly",
                       help="the deployment's name, to serve more than one inbox (default nightly)")
    serve.add_argument("--cron", default=os.environ.get("INCIDENTS_CRON", "0 2 * * *"),
                       help="when the runs start (default 0 2 * * *)")
    serve.add_argument("--timezone", default=os.environ.get("INCIDENTS_TIMEZONE", "Asia/Baghdad"),
                       help="time zone of --cron (default Asia/Baghdad)")
    serve.add_argument("--task-runner", choices=TASK_RUNNERS, default="auto", help="as for run")
    serve.add_argument("--workers", type=int, help="as for run")
    serve.add_argument("--dask-address", help="as for run")
    serve.add_argument("--wait", type=float, default=1800.0,
                       help="seconds a run waits for another that holds the database before it is skipped "
                            "(default 1800)")
    serve.set_defaults(handler=cmd_serve)

    export = sub.add_parser("export", help="write the incidents to a CSV, Parquet or GeoJSON file")
    export.add_argument("--db", default=DEFAULT_DB)
    export.add_argument("--format", choices=("csv", "parquet", "geojson"),
                        help="file format (default: from the --out file's extension)")
    export.add_argument("--out", required=True, help="the file to write (replaced if it exists)")
    export.add_argument("--acled", action="store_true",
                        help="ACLED-like columns and codes, one row per attack (background incidents left out)")
    export.set_defaults(handler=cmd_export)

    report = sub.add_parser("report", help="write a self-contained HTML report (DIR/index.html)")
    report.add_argument("--db", default=DEFAULT_DB)
    report.add_argument("--out", required=True, help="folder for index.html (created if missing)")
    report.set_defaults(handler=cmd_report)

    link = sub.add_parser("link", help="an analyst's decision: two reports are (must) or are not (cannot) one attack")
    link.add_argument("decision", choices=("must", "cannot"))
    link.add_argument("first", help="an incident id (a retired one resolves), an article id or a mention id")
    link.add_argument("second", help="the same kinds of name")
    link.add_argument("--note", help="why, for whoever reads the decision later")
    link.add_argument("--db", default=DEFAULT_DB)
    link.add_argument("--wait", type=float, default=0.0, help="seconds to wait for a run to finish")
    link.set_defaults(handler=cmd_link)
    return parser


def main(argv: list[str] | None = None) -> int:
    silence_stderr_at_exit()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader (| head) has gone: what it wanted was printed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
