"""The benchmark's tables: what the parent prints from its children's measurements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from measurements import NIGHTLY_ARTICLES, StageProbe

if TYPE_CHECKING:
    from corpus import CorpusSummary

TARGETS = {
    "first_run_seconds_100k": 300.0,
    "floor_multiple": 3.0,
    "nightly_seconds": 30.0,
    "extract_per_core": 300.0,
    "peak_mib_100k": 2048.0,
}


@dataclass
class SizeResult:
    n: int
    corpus: CorpusSummary
    first: dict
    floor: dict
    nearcopy: dict | None
    nightly: dict
    nightly_corpus: CorpusSummary
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
