"""Benchmarks of every stage and of the whole flow, with their peers, on the synthetic corpus.

    make bench                                                     # 5,000 articles, ~1-2 minutes
    .venv/bin/python bench/run_all.py --sizes 10000,100000 --markdown /tmp/bench.md

For each size N: ``bench/corpus.py`` writes N articles; then, each measurement in a fresh Python
process (so that its peak memory is its own and one measurement's heap does not inflate the next):

- the flow's first run over the N articles (``run_pipeline`` with the default task runner), with
  wall time, CPU time and peak RSS for each stage; the stage a sample belongs to is read from the
  line the flow's ``_run`` is executing, so the stages are those of ``stage_seconds``, and
  "outside stages" is the rest of the flow call (run lock, copying the database file, migrations,
  checkpoint, swap, Prefect's own work). Prefect's start-up is timed apart: the test server
  once for the whole benchmark, then a trivial flow call in each process before the timed run;
- the floor no pipeline can beat: a loop that reads each article file and normalizes its text;
- near-copy detection over the same normalized texts: this project's MinHash core and datasketch's
  MinHashLSH (``bench/bench_nearcopy.py``'s functions), scored against the planted copies;
- extraction alone (``tasks.extract.extract_batch``) on a sample of the articles, in one process
  and in two, with the top of a cProfile;
- the nightly run: 1,000 new articles added to the N-article inbox, run again;
- analysts' queries on the database after the night: ``SELECT * FROM v_incidents LIMIT 5`` and
  every example of ``sql/queries``, each in a read-only connection, with its peak RSS.

Timings are wall-clock on whatever else the machine is doing: the load average at the start and
at the end is printed with the machine's description, and so is a fingerprint of the code
measured (a change to it while the benchmark ran is reported: the children import it afresh).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for _path in (REPO, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import corpus  # noqa: E402

from bench_tables import SizeResult, extract_table, machine_lines, size_tables, target_lines  # noqa: E402
from measurements import CHILDREN, NIGHTLY_ARTICLES, quiet_prefect  # noqa: E402

PACKAGES = ("prefect", "prefect-dask", "dask", "distributed", "duckdb", "numpy", "pyarrow", "datasketch",
            "camel-tools", "psutil")


def run_child(kind: str, env: dict, **options) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    for key, value in options.items():
        if value is True:
            command.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            command += [f"--{key.replace('_', '-')}", str(value)]
    # Output goes to files, not pipes, and the child leads its own process group: when it dies
    # (the kernel's OOM killer) its worker processes are killed too instead of holding a pipe open.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True, cwd=REPO,
                                 start_new_session=True)
        returncode = child.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        if returncode != 0:
            raise ChildFailed(f"{kind} failed (exit {returncode}{', killed' if returncode < 0 else ''}): "
                              f"{err.read()[-3000:]}")
        return json.loads(out.read().strip().splitlines()[-1])


class ChildFailed(RuntimeError):
    pass


def code_fingerprint() -> str:
    """A digest of the code and lexicons the measurements run."""
    digest = hashlib.sha256()
    for folder in ("flows", "tasks", "incidents", "lexicons", "sql"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".csv", ".sql"):
                digest.update(path.relative_to(REPO).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {"cpus": os.cpu_count(), "ram_gib": psutil.virtual_memory().total / 2**30, "cpu_model": model,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
            "packages": versions, "load_average": os.getloadavg()}


def benchmark(args: argparse.Namespace) -> list[str]:
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    description = machine()
    code_before = code_fingerprint()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    quiet_prefect()
    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        harness_seconds = time.perf_counter() - started
        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(REPO)}
        results = []
        failures: list[str] = []
        extract: dict = {}
        for n in args.sizes:
            inbox, db = workdir / f"inbox-{n}", workdir / f"db-{n}" / "incidents.duckdb"
            for stale in (inbox, db.parent):
                shutil.rmtree(stale, ignore_errors=True)
            print(f"[{n:,}] writing the corpus ...", file=sys.stderr)
            written = corpus.generate(inbox, n, seed=args.seed)
            print(f"[{n:,}] first run ...", file=sys.stderr)
            try:
                first = run_child("flow", env, inbox=inbox, db=db, task_runner=args.task_runner, workers=args.workers)
            except ChildFailed as failure:
                # Larger sizes would fail the same way; the sizes measured so far are kept.
                failures.append(f"First run over {n:,} articles failed: {str(failure).splitlines()[0]}")
                print(failures[-1], file=sys.stderr)
                break
            print(f"[{n:,}] floor and near-copy peers ...", file=sys.stderr)
            floor = run_child("floor", env, inbox=inbox)
            nearcopy = (run_child("nearcopy", env, inbox=inbox, n=n, seed=args.seed)
                        if args.nearcopy_max_n is None or n <= args.nearcopy_max_n else None)
            if not extract:
                print(f"[{n:,}] extraction alone ...", file=sys.stderr)
                sample = min(args.extract_sample, n)
                extract = {
                    "one process": run_child("extract", env, inbox=inbox, n=n, sample=sample, processes=1, profile=True),
                    "two processes": run_child("extract", env, inbox=inbox, n=n, sample=sample, processes=2),
                }
            print(f"[{n:,}] nightly run ...", file=sys.stderr)
            added = corpus.generate(inbox, NIGHTLY_ARTICLES, seed=args.seed, start=n)
            nightly = run_child("flow", env, inbox=inbox, db=db, task_runner=args.task_runner, workers=args.workers)
            print(f"[{n:,}] analysts' queries ...", file=sys.stderr)
            queries = run_child("queries", env, db=db)
            results.append(SizeResult(n, written, first, floor, nearcopy, nightly, added, args.task_runner, queries))
            if not args.keep:
                shutil.rmtree(inbox, ignore_errors=True)
                shutil.rmtree(db.parent, ignore_errors=True)
    lines = [f"## Benchmark of {dt.datetime.now():%Y-%m-%d %H:%M}", ""]
    lines += machine_lines(description, harness_seconds, os.getloadavg(), (code_before, code_fingerprint()))
    lines += target_lines(results, extract) + [f"**{failure}**" for failure in failures] + [""] * bool(failures)
    for result in results:
        lines += size_tables(result)
    lines += extract_table(extract)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="articles (one size)")
    parser.add_argument("--sizes", type=lambda text: [int(x) for x in text.split(",")], help="several sizes: 10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--task-runner", default="auto", choices=("auto", "threads", "processes", "sequential", "dask"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--extract-sample", type=int, default=1000, help="articles for the extraction benchmark")
    parser.add_argument("--nearcopy-max-n", type=int, default=None,
                        help="run the near-copy peers only up to this size (datasketch over 1M texts takes long)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "incidents-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the inboxes and databases")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    # A measurement in its own process (used by the benchmark itself).
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--inbox", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return 0
    args.sizes = args.sizes or [args.n]
    lines = benchmark(args)
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
