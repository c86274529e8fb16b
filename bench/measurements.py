"""What the benchmark measures, each in a child process of its own (``bench/run_all.py --child KIND``):
the flow's run with its stages' time and memory, the floor, the near-copy peers, extraction alone
and the analysts' queries. Each prints one JSON line for the parent."""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import json
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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


def quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def child_flow(args: argparse.Namespace) -> dict:
    """One run of the flow; the database file's copy cost is measured first when it exists."""
    quiet_prefect()
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
