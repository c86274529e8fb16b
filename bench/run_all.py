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
import cProfile
import datetime as dt
import hashlib
import json
import os
import platform
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for _path in (REPO, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import corpus  # noqa: E402

NIGHTLY_ARTICLES = 1000
SAMPLE_SECONDS = 0.1
TARGETS = {
    "first_run_seconds_100k": 300.0,
    "floor_multiple": 3.0,
    "nightly_seconds": 30.0,
    "extract_per_core": 300.0,
    "peak_mib_100k": 2048.0,
}
PACKAGES = ("prefect", "prefect-dask", "dask", "distributed", "duckdb", "numpy", "pyarrow", "datasketch",
            "camel-tools", "psutil")


# ----------------------------------------------------------------------------------------------
# Measuring inside a child process


class StageProbe:
    """Which stage the flow is in, as the flow's ``StageClock`` publishes it
    (``incidents.progress.current_stage``); between stages the flow call is doing its own work
    (run lock, copying the database, migrations, checkpoint, swap: "outside stages")."""

    OUTSIDE = "outside stages"

    def stage(self) -> str:
        from incidents.progress import current_stage

        return current_stage() or self.OUTSIDE


@dataclass
class Sample:
    seconds: float
    rss: int          # this process
    workers_rss: int  # its child processes (process or Dask task runners)
    cpu: float        # user + system seconds of this process and its children
    stage: str


class ResourceSampler:
    """Samples memory, CPU and (optionally) the flow stage every ``SAMPLE_SECONDS``."""

    def __init__(self, probe: StageProbe | None = None):
        self.probe = probe
        self.process = psutil.Process()
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._began = time.perf_counter()

    def _sample(self) -> None:
        workers_rss, workers_cpu = 0, 0.0
        for child in self.process.children(recursive=True):
            try:
                with child.oneshot():
                    workers_rss += child.memory_info().rss
                    child_times = child.cpu_times()
                    workers_cpu += child_times.user + child_times.system
            except psutil.Error:
                pass
        # A worker's CPU moves from the live children to children_user/system when it exits.
        times = self.process.cpu_times()
        cpu = times.user + times.system + times.children_user + times.children_system + workers_cpu
        self.samples.append(Sample(time.perf_counter() - self._began, self.process.memory_info().rss, workers_rss, cpu,
                                   self.probe.stage() if self.probe else ""))

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def __enter__(self) -> "ResourceSampler":
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def peak_mib(self) -> float:
        return max(s.rss for s in self.samples) / 2**20

    def by_stage(self) -> dict[str, dict]:
        """Peak RSS and CPU seconds per stage (CPU: the growth over the samples of the stage)."""
        stages: dict[str, dict] = {}
        for before, sample in zip(self.samples, self.samples[1:]):
            entry = stages.setdefault(sample.stage, {"peak_mib": 0.0, "workers_peak_mib": 0.0, "cpu_seconds": 0.0})
            entry["peak_mib"] = max(entry["peak_mib"], sample.rss / 2**20)
            entry["workers_peak_mib"] = max(entry["workers_peak_mib"], sample.workers_rss / 2**20)
            entry["cpu_seconds"] += sample.cpu - before.cpu
        return stages


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def child_flow(args: argparse.Namespace) -> dict:
    """One run of the flow; the database file's copy cost is measured first when it exists."""
    _quiet_prefect()
    began = time.perf_counter()
    from prefect import flow

    from incidents.runner import run_pipeline

    imported = time.perf_counter()

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return 1

    warm_up()
    warmed = time.perf_counter()
    db = Path(args.db)
    copy_seconds, db_bytes = None, db.stat().st_size if db.exists() else 0
    if db.exists():
        with tempfile.NamedTemporaryFile(dir=db.parent, prefix=".bench-copy-") as scratch:
            start = time.perf_counter()
            shutil.copyfile(db, scratch.name)
            with open(scratch.name, "rb+") as handle:
                os.fsync(handle.fileno())
            copy_seconds = time.perf_counter() - start
    probe = StageProbe()
    with ResourceSampler(probe) as sampler:
        start = time.perf_counter()
        result = run_pipeline(args.inbox, args.db, task_runner=args.task_runner, workers=args.workers)
        wall = time.perf_counter() - start
    return {
        "import_seconds": imported - began,
        "first_flow_seconds": warmed - imported,
        "wall_seconds": wall,
        "stage_seconds": result["stage_seconds"],
        "worker_cpu_seconds": result["worker_cpu_seconds"],
        "by_stage": sampler.by_stage(),
        "peak_mib": sampler.peak_mib(),
        "max_rss_mib": psutil.Process().memory_info().rss / 2**20,
        "counts": {k: v for k, v in result.items() if isinstance(v, int)},
        "db_bytes_before": db_bytes,
        "db_bytes_after": db.stat().st_size,
        "db_copy_seconds": copy_seconds,
    }


def _article_files(inbox: Path, count: int) -> list[Path]:
    return [inbox / corpus.article_path(index) for index in range(count)]


def child_floor(args: argparse.Namespace) -> dict:
    """Reads every article file and normalizes its text: the least any pipeline must do."""
    from incidents.arabic.normalize import normalize

    normalize("")  # builds the translation table outside the timing
    with ResourceSampler() as sampler:
        start = time.perf_counter()
        count = 0
        for folder, _, names in os.walk(args.inbox):
            for name in names:
                if name.endswith(".txt"):
                    with open(os.path.join(folder, name), "rb") as handle:
                        normalize(handle.read().decode("utf-8"))
                    count += 1
        wall = time.perf_counter() - start
    return {"articles": count, "wall_seconds": wall, "peak_mib": sampler.peak_mib()}


def _planted_pairs(count: int, seed: int) -> set[tuple[int, int]]:
    """Every pair of articles that share an original (an original and its copy, or two copies)."""
    families: dict[int, list[int]] = {}
    for index in range(count):
        original = corpus.original_of(index, seed)
        families.setdefault(index if original is None else original, []).append(index)
    return {(a, b) for members in families.values() for i, a in enumerate(members) for b in members[i + 1:]}


def child_nearcopy(args: argparse.Namespace) -> dict:
    """This project's MinHash core and datasketch on the same normalized texts."""
    import bench_nearcopy
    from incidents.arabic.normalize import normalize, squeeze_spaces
    from incidents.minhash import MinHashParams

    texts = [squeeze_spaces(normalize(path.read_text(encoding="utf-8"))) for path in _article_files(Path(args.inbox), args.n)]
    truth = _planted_pairs(args.n, args.seed)
    params = MinHashParams()
    runs = [
        ("incidents.minhash", lambda: bench_nearcopy.run_ours(texts, params)),
        ("datasketch MinHashLSH (SHA-1 of shingle strings)", lambda: bench_nearcopy.run_datasketch(
            texts, params, "datasketch", lambda text: bench_nearcopy.shingle_strings(text, params.shingle_words))),
        ("datasketch MinHashLSH (our shingle hashes)", lambda: bench_nearcopy.run_datasketch(
            texts, params, "datasketch", lambda text: bench_nearcopy.shingle_hashes(text, params.shingle_words).tolist(),
            hashfunc=int)),
    ]
    rows = []
    for method, run in runs:
        with ResourceSampler() as sampler:
            rss_before = psutil.Process().memory_info().rss
            outcome = run()
        recall, precision = bench_nearcopy.score(outcome.found, truth)
        rows.append({"method": method, "seconds": outcome.signature_seconds + outcome.query_seconds,
                     "sign_seconds": outcome.signature_seconds, "candidates": outcome.candidates,
                     "found": len(outcome.found), "recall": recall, "precision": precision,
                     "rss_growth_mib": (max(s.rss for s in sampler.samples) - rss_before) / 2**20})
    return {"articles": len(texts), "planted_pairs": len(truth), "rows": rows}


def _extract_inputs(inbox: Path, count: int, sample: int) -> list:
    from tasks.extract import ArticleInput

    step = max(1, count // sample)
    inputs = []
    for index in range(0, count, step)[:sample]:
        path = inbox / corpus.article_path(index)
        meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
        inputs.append(ArticleInput(f"a{index}", path.read_text(encoding="utf-8"),
                                   dt.datetime.fromisoformat(meta["published_at"])))
    return inputs


def _extract_in_process(inputs: list) -> list:
    from tasks.extract import extract_batch

    return extract_batch(inputs)


def _mentions_digest(mentions: list) -> str:
    """The same for the same mentions in any process (sets are hashed in sorted order)."""
    import dataclasses

    def canonical(value):
        if dataclasses.is_dataclass(value):
            return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (set, frozenset)):
            return sorted(map(canonical, value), key=repr)
        if isinstance(value, (list, tuple)):
            return [canonical(item) for item in value]
        return value

    rows = [canonical(m) for m in sorted(mentions, key=lambda m: m.mention_id)]
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def child_extract(args: argparse.Namespace) -> dict:
    """extract_batch on a sample: articles/s in one process, or over ``--processes`` processes."""
    from concurrent.futures import ProcessPoolExecutor

    from tasks.extract import extract_batch

    inputs = _extract_inputs(Path(args.inbox), args.n, args.sample)
    extract_batch(inputs[:5])  # compiles the lexicons outside the timing
    mean_bytes = sum(len(a.text.encode("utf-8")) for a in inputs) / len(inputs)
    start = time.perf_counter()
    if args.processes == 1:
        mentions = extract_batch(inputs)
    else:
        parts = [inputs[i::args.processes] for i in range(args.processes)]
        with ProcessPoolExecutor(args.processes, initializer=_extract_in_process, initargs=(inputs[:5],)) as pool:
            # Every worker starts (and compiles the lexicons) before the clock does, as the parent did:
            # a worker busy with one pause makes the pool start another for the next.
            list(pool.map(time.sleep, [1.0] * args.processes))
            start = time.perf_counter()
            mentions = [m for part in pool.map(_extract_in_process, parts) for m in part]
    wall = time.perf_counter() - start
    result = {"articles": len(inputs), "mean_bytes": mean_bytes, "wall_seconds": wall, "processes": args.processes,
              "mentions": len(mentions),
              "mentions_digest": _mentions_digest(mentions)}
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(extract_batch, inputs[:200])
        stats = pstats.Stats(profiler)
        total = stats.total_tt
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:8]
        result["profile"] = [{"function": f"{Path(file).name}:{line}({name})", "own_share": own / total,
                              "cumulative_share": cumulative / total}
                             for (file, line, name), (_, _, own, cumulative, _) in rows]
    return result


# What `make run` suggests trying first, then the example questions of sql/queries.
FIRST_QUERY = "SELECT * FROM v_incidents LIMIT 5"


def child_queries(args: argparse.Namespace) -> dict:
    """Analysts' queries on the database, each in its own read-only connection (as `incidents
    sql` opens one), with the memory it took."""
    from incidents.store import read_only_connection

    queries = {"v_incidents LIMIT 5 (the first query `make run` suggests)": FIRST_QUERY}
    queries.update({path.name: path.read_text(encoding="utf-8") for path in sorted((REPO / "sql" / "queries").glob("*.sql"))})
    rows = []
    for name, sql in queries.items():
        connection = read_only_connection(Path(args.db))
        try:
            with ResourceSampler() as sampler:
                start = time.perf_counter()
                found = len(connection.execute(sql).fetchall())
                wall = time.perf_counter() - start
        finally:
            connection.close()
        rows.append({"query": name, "seconds": wall, "rows": found, "peak_mib": sampler.peak_mib()})
    return {"rows": rows}


CHILDREN = {"flow": child_flow, "floor": child_floor, "nearcopy": child_nearcopy, "extract": child_extract,
            "queries": child_queries}


# ----------------------------------------------------------------------------------------------
# The parent: corpus, children, tables


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


@dataclass
class SizeResult:
    n: int
    corpus: corpus.CorpusSummary
    first: dict
    floor: dict
    nearcopy: dict | None
    nightly: dict
    nightly_corpus: corpus.CorpusSummary
    task_runner: str
    queries: dict


def _rate(count: float, seconds: float | None) -> str:
    return f"{count / seconds:,.0f}" if seconds else "-"


def _mib(value: float | None) -> str:
    return f"{value:,.0f}" if value else "-"


def flow_table(title: str, articles: int, run: dict) -> list[str]:
    lines = [f"#### {title}", "",
             "| stage | wall s | articles/s | CPU s | peak RSS MiB | workers' peak RSS MiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines.append(f"| Prefect: imports in a fresh process | {run['import_seconds']:.1f} | | | | |")
    lines.append(f"| Prefect: first (trivial) flow call | {run['first_flow_seconds']:.1f} | | | | |")
    by_stage = run["by_stage"]
    staged = 0.0
    for stage, seconds in run["stage_seconds"].items():
        staged += seconds
        usage = by_stage.get(stage, {})
        lines.append(f"| {stage} | {seconds:.1f} | {_rate(articles, seconds)} | {usage.get('cpu_seconds', 0):.1f} | "
                     f"{_mib(usage.get('peak_mib'))} | {_mib(usage.get('workers_peak_mib'))} |")
    outside = run["wall_seconds"] - staged
    usage = {k: max(by_stage.get(s, {}).get(k, 0) for s in (StageProbe.OUTSIDE,))
             for k in ("peak_mib", "workers_peak_mib")}
    cpu = sum(by_stage.get(s, {}).get("cpu_seconds", 0) for s in (StageProbe.OUTSIDE,))
    lines.append(f"| outside stages (lock, DB copy, migrate, checkpoint, swap, Prefect) | {outside:.1f} | | {cpu:.1f} | "
                 f"{_mib(usage['peak_mib'])} | {_mib(usage['workers_peak_mib'])} |")
    total_cpu = sum(u["cpu_seconds"] for u in by_stage.values())
    lines.append(f"| **whole flow call** | **{run['wall_seconds']:.1f}** | **{_rate(articles, run['wall_seconds'])}** | "
                 f"{total_cpu:.1f} | **{run['peak_mib']:,.0f}** | |")
    workers = run["worker_cpu_seconds"]
    if workers:
        lines += ["", "Workers' CPU (summed over the workers; the flow's `prepare` stage waits for it): "
                  + ", ".join(f"{stage} {seconds:.1f} s ({_rate(articles, seconds)} articles/s a core)"
                              for stage, seconds in workers.items()) + "."]
    counts = run["counts"]
    lines += ["", f"Counts: {counts.get('articles_added', 0):,} articles added, {counts.get('duplicates_found', 0):,} "
              f"copies found, {counts.get('mentions_extracted', 0):,} mentions, {counts.get('incidents_total', 0):,} "
              f"incidents; database {run['db_bytes_before'] / 2**20:,.0f} MiB before, "
              f"{run['db_bytes_after'] / 2**20:,.0f} MiB after"
              + (f"; copying it (with fsync) alone takes {run['db_copy_seconds']:.1f} s" if run["db_copy_seconds"] else "")
              + ".", ""]
    return lines


def size_tables(result: SizeResult) -> list[str]:
    n = result.n
    first = result.first
    lines = [f"### {n:,} articles", "",
             f"Corpus: {result.corpus.articles:,} articles ({result.corpus.copies:,} planted copies), "
             f"{result.corpus.text_bytes / 2**20:,.0f} MiB of text (mean {result.corpus.mean_bytes:,.0f} bytes), "
             f"written in {result.corpus.seconds:.1f} s ({_rate(n, result.corpus.seconds)} articles/s).", ""]
    lines += flow_table(f"(a) First run over {n:,} articles (task runner: {result.task_runner})", n, first)
    floor = result.floor
    near_copy_seconds = first["worker_cpu_seconds"].get("sign", 0) + first["stage_seconds"].get("dedupe", 0)
    lines += ["#### Peers, same corpus, same run", "",
              "| what | wall s | articles/s | peak / growth of RSS MiB | notes |", "| --- | ---: | ---: | ---: | --- |",
              f"| floor: read + normalize each file | {floor['wall_seconds']:.1f} | {_rate(floor['articles'], floor['wall_seconds'])} | "
              f"{floor['peak_mib']:,.0f} | no pipeline can beat this |",
              f"| whole flow (first run) | {first['wall_seconds']:.1f} | {_rate(n, first['wall_seconds'])} | {first['peak_mib']:,.0f} | "
              f"{first['wall_seconds'] / floor['wall_seconds']:,.0f}x the floor |",
              f"| flow's near-copy work: normalize and sign (workers' CPU) + band join and verify (`dedupe`) | "
              f"{near_copy_seconds:.1f} | {_rate(n, near_copy_seconds)} | | in the flow, with DuckDB |"]
    if result.nearcopy is None:
        lines += ["", "Near-copy peers not run at this size (`--nearcopy-max-n`).", ""]
    else:
        for row in result.nearcopy["rows"]:
            lines.append(f"| near copies: {row['method']} | {row['seconds']:.1f} | {_rate(n, row['seconds'])} | "
                         f"+{row['rss_growth_mib']:,.0f} | recall {row['recall']:.3f}, precision {row['precision']:.4f}, "
                         f"{row['candidates']:,} candidates |")
        lines += ["", f"Near-copy recall and precision are against the {result.nearcopy['planted_pairs']:,} planted "
                  "pairs (an original and its copy, or two copies of one original); texts already normalized.", ""]
    lines += flow_table(f"(b) Nightly run: {NIGHTLY_ARTICLES:,} new articles onto the {n:,}-article history", NIGHTLY_ARTICLES,
                        result.nightly)
    lines += [f"#### (e) Analysts' queries on the {n + NIGHTLY_ARTICLES:,}-article database", "",
              "| query | wall s | rows | peak RSS MiB |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {row['query']} | {row['seconds']:.2f} | {row['rows']:,} | {row['peak_mib']:,.0f} |"
              for row in result.queries["rows"]]
    return lines + [""]


def extract_table(extract: dict) -> list[str]:
    lines = ["### (c) Extraction alone (`tasks.extract.extract_batch`)", "",
             "| variant | articles | mean bytes | processes | wall s | articles/s | articles/s per core | same mentions |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    reference = extract["one process"]["mentions_digest"]
    for name, run in extract.items():
        rate = run["articles"] / run["wall_seconds"]
        lines.append(f"| {name} | {run['articles']:,} | {run['mean_bytes']:,.0f} | {run['processes']} | "
                     f"{run['wall_seconds']:.1f} | {rate:,.0f} | {rate / run['processes']:,.0f} | "
                     f"{'yes' if run['mentions_digest'] == reference else 'NO'} |")
    lines += ["", "Profile of the extractor (cProfile, 200 articles; share of the total time):", "",
              "| function | own | cumulative |", "| --- | ---: | ---: |"]
    for row in extract["one process"].get("profile", []):
        lines.append(f"| `{row['function']}` | {row['own_share']:.0%} | {row['cumulative_share']:.0%} |")
    return lines + [""]


def target_lines(results: list[SizeResult], extract: dict) -> list[str]:
    lines = ["### Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    per_core = extract["one process"]["articles"] / extract["one process"]["wall_seconds"]
    lines.append(f"| extraction >= {TARGETS['extract_per_core']:.0f} articles/s per core | {per_core:,.0f} | "
                 f"{'yes' if per_core >= TARGETS['extract_per_core'] else 'no'} |")
    for result in results:
        wall = result.first["wall_seconds"]
        multiple = wall / result.floor["wall_seconds"]
        label = f"{result.n:,}"
        if result.n == 100_000:
            lines.append(f"| first run over {label} < {TARGETS['first_run_seconds_100k']:.0f} s | {wall:,.0f} s | "
                         f"{'yes' if wall < TARGETS['first_run_seconds_100k'] else 'no'} |")
        lines.append(f"| first run over {label} within {TARGETS['floor_multiple']:.0f}x the read+normalize floor | "
                     f"{multiple:,.0f}x | {'yes' if multiple <= TARGETS['floor_multiple'] else 'no'} |")
        nightly = result.nightly["wall_seconds"]
        lines.append(f"| nightly +{NIGHTLY_ARTICLES:,} on {label} < {TARGETS['nightly_seconds']:.0f} s (Prefect start-up "
                     f"excluded) | {nightly:,.1f} s | {'yes' if nightly < TARGETS['nightly_seconds'] else 'no'} |")
        peak = max(result.first["peak_mib"], result.nightly["peak_mib"])
        if result.n <= 100_000:
            lines.append(f"| peak memory at {label} < {TARGETS['peak_mib_100k']:,.0f} MiB | {peak:,.0f} MiB | "
                         f"{'yes' if peak < TARGETS['peak_mib_100k'] else 'no'} |")
    lines += growth_lines(results)
    if len(results) >= 2 and results[-1].n < 1_000_000:
        small, large = results[0], results[-1]

        def at_million(measure) -> float:
            """Linear through the two sizes: cost per article from their difference."""
            slope = (measure(large) - measure(small)) / (large.n - small.n)
            return measure(large) + slope * (1_000_000 - large.n)

        lines += ["", f"Extrapolated to 1,000,000 articles (linear through {small.n:,} and {large.n:,}; not run): "
                  f"first run {at_million(lambda r: r.first['wall_seconds']) / 60:,.0f} min, peak memory "
                  f"{at_million(lambda r: r.first['peak_mib']) / 1024:,.1f} GiB, nightly +{NIGHTLY_ARTICLES:,} "
                  f"{at_million(lambda r: r.nightly['wall_seconds']):,.0f} s."]
    return lines + [""]


def growth_lines(results: list[SizeResult]) -> list[str]:
    """How the first run and a night grow with the history, size by size."""
    lines = ["", "### Growth with the history", "",
             "| articles | first run s | articles/s | first run peak MiB (flow / workers) | database MiB | "
             f"nightly +{NIGHTLY_ARTICLES:,} s | nightly list s (the inbox walk) | nightly reconcile s | nightly peak MiB |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for result in results:
        first, nightly = result.first, result.nightly
        workers = max((u.get("workers_peak_mib") or 0 for u in first["by_stage"].values()), default=0)
        lines.append(f"| {result.n:,} | {first['wall_seconds']:,.1f} | {_rate(result.n, first['wall_seconds'])} | "
                     f"{first['peak_mib']:,.0f} / {_mib(workers)} | {first['db_bytes_after'] / 2**20:,.0f} | "
                     f"{nightly['wall_seconds']:.1f} | {nightly['stage_seconds'].get('list', 0):.1f} | "
                     f"{nightly['stage_seconds'].get('reconcile', 0):.1f} | {nightly['peak_mib']:,.0f} |")
    return lines


def machine_lines(description: dict, harness_seconds: float, end_load: tuple, code: tuple[str, str]) -> list[str]:
    packages = ", ".join(f"{name} {version}" for name, version in description["packages"].items())
    return ["### Machine", "",
            f"- {description['cpus']} CPUs ({description['cpu_model']}), {description['ram_gib']:.0f} GiB RAM, "
            f"{description['system']}, Python {description['python']}",
            f"- {packages}",
            f"- load average (1, 5, 15 min) at the start {', '.join(f'{x:.1f}' for x in description['load_average'])}, "
            f"at the end {', '.join(f'{x:.1f}' for x in end_load)} (other work on the machine slows wall times)",
            f"- Prefect start-up: the test server (`prefect_test_harness`) took {harness_seconds:.1f} s to start",
            f"- code measured: fingerprint {code[0]}" + (f" at the start, {code[1]} at the end: the code CHANGED while the "
                                                          "benchmark ran, so its parts measured different code"
                                                          if code[0] != code[1] else " (unchanged during the run)"), ""]


def benchmark(args: argparse.Namespace) -> list[str]:
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    description = machine()
    code_before = code_fingerprint()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    _quiet_prefect()
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
