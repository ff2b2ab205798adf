"""`make bench`: performance of the embedded stack, measured side by side with what the machine can do.

Starts its own stack (own ELT_HOME and ports), then, from an empty warehouse:
  1. day 1 alone (one-day incremental run on an empty history),
  2. the days in between with `elt run --batch-days 31` (a backfill through the real scheduler
     in runs of 31 days, all gates on, every check still per day),
  3. the last 5 days one at a time (daily latency; the last one is the incremental run on top
     of the whole history),
  4. the same runs through empty DAGs of the same shape (Airflow's own floor),
  5. the bulk load path on the full year of flights versus DuckDB's own CSV reader,
while sampling the PSS of every process of the stack; then, where a Docker engine answers,
  6. the production path (bench/containers.py): image builds (cold, and after a one-line code
     change), image size, the Compose stack until healthy, one day through it. Writes bench/results/<timestamp>.json
and a Markdown summary next to it.

Times come from the scheduler's run records: a partition's latency runs from the REST trigger
of its ingest run (its files have landed) to the end of its publish run; a backfill from the
first trigger to the last publish.

    python -m bench.run                # the whole of 2013 (365 partitions)
    python -m bench.run --days 10      # a quick run: the first 10 days
    python -m bench.run --containers-only   # only the container keys
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from flights_elt.config import PROJECT_ROOT
from flights_elt.embedded.testing import Stack, stack_env, stack_home, surviving_processes

from bench import containers

RESULTS = PROJECT_ROOT / "bench" / "results"
RUN_SUMMARIES: list[dict] = []
TARGETS = {
    "daily_latency_s_median": ("<=", 20),
    "backfill_full_year_s": ("<=", 600),
    "incremental_ratio_day365_day1": ("<=", 1.2),
    "load_throughput_ratio_vs_duckdb": (">=", 0.5),
    "memory_idle_pss_mib": ("<=", 1024),
    "memory_peak_pss_mib": ("<=", 2048),
}
# Targets of the container keys, judged when they were measured.
CONTAINER_TARGETS = {"image_size_mib": ("<=", 1200)}


def stack_pss_by_component(home: Path) -> dict[str, float]:
    """PSS (MiB) of every process of the stack, summed per component (scheduler with its
    workers and task processes, warehouse, api-server, ...), from the stack's PID files."""
    roots = {int(f.read_text().split()[0]): f.stem for f in (home / "pids").glob("*.pid") if f.read_text().strip()}
    parents: dict[int, int] = {}
    pss_kib: dict[int, int] = {}
    for pid in surviving_processes(home):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss_kib[pid] = int(line.split()[1])
                    break
        except OSError:
            continue
    out: dict[str, float] = {}
    for pid, kib in pss_kib.items():
        ancestor = pid
        while ancestor not in roots and ancestor in parents:
            ancestor = parents[ancestor]
        name = roots.get(ancestor, "other")
        out[name] = out.get(name, 0.0) + kib / 1024
    return {k: round(v, 1) for k, v in sorted(out.items())}


class PeakSampler(threading.Thread):
    """Samples the stack's total PSS; keeps the peak and how it split by component then."""

    def __init__(self, home: Path, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.home, self.every, self.peak = home, every, 0.0
        self.at_peak: dict[str, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            parts = stack_pss_by_component(self.home)
            if sum(parts.values()) > self.peak:
                self.peak, self.at_peak = sum(parts.values()), parts
            self._stop_event.wait(self.every)

    def stop(self) -> float:
        self._stop_event.set()
        self.join(5)
        return self.peak


def timed_run(stack: Stack, start: str, end: str, batch_days: int = 1, chain: tuple[str, ...] | None = None) -> float:
    """Seconds from triggering the first run to the last one published, as the scheduler
    recorded them (the `elt` client's own start-up and summary are not the pipeline's time).
    ``start``..``end`` go in runs of ``batch_days`` days, on the pipeline or on ``chain``."""
    t0 = time.monotonic()
    args = ["run", "--start", start, "--end", end, "--timeout", "20000", "--batch-days", str(batch_days)]
    if chain:
        code = (
            "import json, sys; from flights_elt.cli import runner; from flights_elt.embedded import stack; "
            "stack.apply_client_env();"
            f"p = runner.follow(runner.batches('{start}', '{end}', {batch_days}), timeout=20000, quiet=True, "
            f"chain={chain!r});"
            "print(json.dumps(runner.pipeline_times(p)));"
            "sys.exit(0 if all(x.outcome == 'published' for x in p.values()) else 1)"
        )
        out = subprocess.run([sys.executable, "-c", code], env=stack.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"empty chain failed: {out.stderr[-2000:]}")
        times = json.loads(out.stdout.strip().splitlines()[-1])
    else:
        summary = stack.home / f"summary-{start}-{end}.json"
        out = stack.elt(*args, "--json", str(summary), timeout=20000, check=False)
        if not summary.exists():
            raise RuntimeError(f"elt run {start}..{end} did not finish: {out.stderr[-3000:]}")
        times = json.loads(summary.read_text())
        RUN_SUMMARIES.append(times)
    return times.get("chain_s") or (time.monotonic() - t0)


def load_throughput(stack: Stack, rounds: int = 5) -> dict[str, float]:
    """Rows/s of the project's bulk path (parse + Parquet + PUT + COPY) vs DuckDB read_csv_auto
    into an in-memory table (the target's baseline) and, for reference, into a database file
    (persisted, as the warehouse's tables are).

    The three sides take turns, ``rounds`` times, in an order reversed every other round, and
    the medians are compared: what the machine does meanwhile (the live stack's processes, the
    memory one side frees and the next one faults in again) falls on every side alike.
    """
    code = r"""
import atexit, json, shutil, statistics, sys, time, zipfile, tempfile, duckdb
from pathlib import Path
from flights_elt.embedded import stack
from flights_elt.pipeline import landing, loaders, spec, models
from flights_elt.warehouse import Warehouse
stack.apply_client_env()
rounds = int(sys.argv[1])
data_dir = landing._package_data_dir()
with zipfile.ZipFile(data_dir / "flights.csv.zip") as z:
    raw = z.read("flights.csv")
tmp = Path(tempfile.mkdtemp()) / "flights.csv"
tmp.write_bytes(raw)
atexit.register(shutil.rmtree, tmp.parent, True)
# Both sides are timed with their libraries imported (duckdb is, above): what the load path
# imports lazily is imported here first.
import numpy, pandas, pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.parquet  # noqa: F401
rows = {}

def duck(target):
    Path(target).unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(target)
    con.execute(f"create table t as select * from read_csv_auto('{tmp}')")
    rows["duckdb"] = con.execute("select count(*) from t").fetchone()[0]
    if target != ":memory:":
        con.close()  # a checkpoint: the table is on disk when the time is taken
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed

with Warehouse() as wh:
    models.ensure_objects(wh)
    table = f"{wh.database}.RAW.BENCH_FLIGHTS"

    def project():
        wh.execute(f"create or replace table {table} like {wh.database}.RAW.FLIGHTS")
        t0 = time.perf_counter()
        parsed = loaders.parse(raw, spec.FLIGHTS, None, "flights.csv")
        frame = loaders.with_load_columns(parsed.accepted, None, str(tmp), pandas.Timestamp.now(), "bench")
        rows["project"] = wh.bulk_load(frame, "RAW", "BENCH_FLIGHTS")
        return time.perf_counter() - t0

    sides = {"duckdb": lambda: duck(":memory:"), "duckdb_file": lambda: duck(str(tmp.parent / "reference.duckdb")),
             "project": project}
    samples = {name: [] for name in sides}
    for r in range(rounds):
        for name in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            samples[name].append(sides[name]())
    wh.execute(f"drop table {table}")
print(json.dumps({"duckdb_rows": rows["duckdb"], "project_rows": rows["project"], "rounds": rounds,
                  **{f"{name}_s": statistics.median(s) for name, s in samples.items()},
                  **{f"{name}_samples_s": s for name, s in samples.items()}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(rounds)], env=stack.env, capture_output=True, text=True, timeout=1800
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def dags_folder_with_bench() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="elt-bench-dags-"))
    for f in [*(PROJECT_ROOT / "dags").glob("*.py"), PROJECT_ROOT / "bench" / "dags" / "empty_chain.py"]:
        (folder / f.name).symlink_to(f)
    return folder


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        p: version(p)
        for p in (
            "apache-airflow",
            "apache-airflow-providers-snowflake",
            "fakesnow",
            "soda-core-snowflake",
            "duckdb",
            "pandas",
        )
    }


def machine() -> dict[str, object]:
    mem_kib = int(
        next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1]
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365, help="partitions from 2013-01-01 (default: the year)")
    ap.add_argument("--batch-days", type=int, default=31, help="days per run of the backfill (`elt run --batch-days`)")
    ap.add_argument("--chunk", type=int, default=366, help="backfill days per `elt run` (progress is saved after each)")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where the JSON and Markdown go (bench/results)")
    ap.add_argument(
        "--containers",
        choices=("auto", "yes", "no"),
        default="auto",
        help="the container keys: auto = where a Docker engine answers (default)",
    )
    ap.add_argument("--containers-only", action="store_true", help="measure only the container keys")
    args = ap.parse_args()
    results = args.results
    if args.days < 7:
        ap.error("--days must be at least 7 (1 + backfill + 5 single days)")
    days = [(dt.date(2013, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(args.days)]

    results.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"days": args.days, "machine": machine(), "versions": versions()}
    if args.containers_only:
        result = {"machine": machine(), "versions": versions(), **measure_containers("yes")}
        return write_results(result, args, results)
    home, dags = stack_home("elt-bench-"), dags_folder_with_bench()
    stack = Stack(home, stack_env(home, AIRFLOW__CORE__DAGS_FOLDER=str(dags)))
    try:
        stack.elt("seed", "--start", days[0], "--end", days[-1], timeout=1800)
        stack.elt("up", timeout=900)
        time.sleep(20)  # let start-up settle before the idle reading
        idle = stack_pss_by_component(home)
        result["memory_idle_pss_mib"] = round(sum(idle.values()), 1)
        result["memory_idle_pss_by_component_mib"] = idle
        sampler = PeakSampler(home)
        sampler.start()
        t_day1 = timed_run(stack, days[0], days[0])
        # The backfill goes in chunks so that progress is on disk if the run is cut short.
        t_middle = 0.0
        middle = days[1:-5]
        for i in range(0, len(middle), args.chunk):
            chunk = middle[i : i + args.chunk]
            t_middle += timed_run(stack, chunk[0], chunk[-1], args.batch_days)
            progress = {"done_through": chunk[-1], "backfill_s_so_far": round(t_day1 + t_middle, 1)}
            (results / "progress.json").write_text(json.dumps({**progress, "runs": RUN_SUMMARIES}, indent=1))
            print(f"bench: backfilled through {chunk[-1]} in {t_day1 + t_middle:.0f}s", file=sys.stderr, flush=True)
        singles = [timed_run(stack, d, d) for d in days[-5:]]
        result["memory_peak_pss_mib"] = round(sampler.stop(), 1)
        result["memory_peak_pss_by_component_mib"] = sampler.at_peak
        result["daily_latency_s"] = [round(x, 2) for x in [t_day1, *singles]]
        result["daily_latency_s_median"] = round(statistics.median([t_day1, *singles]), 2)
        result["backfill_full_year_s"] = round(t_day1 + t_middle + sum(singles), 1)
        result["backfill_note"] = (
            f"{len(days)} partitions from an empty warehouse: day 1 alone, then {len(days) - 6} in runs of "
            f"{args.batch_days} days (elt run --batch-days {args.batch_days}), then 5 days one at a time"
        )
        result["backfill_batch_days"] = args.batch_days
        result["incremental_ratio_day365_day1"] = round(singles[-1] / t_day1, 3)
        # The gates stayed on: every day published, and no check failed on the real data.
        result["published_days"] = int(
            float(stack.query("select count(distinct flight_date) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE")[0][0])
        )
        # Exactly once: one run of each DAG per partition, none lost or coalesced.
        result["runs_per_dag"] = {
            dag: sum(x["dags"][dag]["runs"] for x in RUN_SUMMARIES) for dag in ("ingest", "transform", "publish")
        }
        result["failed_partitions"] = {k: v for x in RUN_SUMMARIES for k, v in x["failed"].items()}
        result["fail_outcomes"] = int(
            float(stack.query("select count(*) from FLIGHTS.AUDIT.CHECK_RESULTS where outcome = 'fail'")[0][0])
        )
        result["warn_outcomes"] = int(
            float(stack.query("select count(*) from FLIGHTS.AUDIT.CHECK_RESULTS where outcome = 'warn'")[0][0])
        )
        # The same runs through the empty chain: day 1, the batches, the last 5 days one by one.
        empty = ("bench_ingest", "bench_transform", "bench_publish")
        result["empty_chain_full_year_s"] = round(
            timed_run(stack, days[0], days[0], chain=empty)
            + timed_run(stack, middle[0], middle[-1], args.batch_days, chain=empty)
            + sum(timed_run(stack, d, d, chain=empty) for d in days[-5:]),
            1,
        )
        lt = load_throughput(stack)
        result["load_throughput"] = lt
        project_rate = lt["project_rows"] / lt["project_s"]
        result["load_throughput_ratio_vs_duckdb"] = round(project_rate / (lt["duckdb_rows"] / lt["duckdb_s"]), 3)
        result["load_throughput_ratio_vs_duckdb_file"] = round(
            project_rate / (lt["duckdb_rows"] / lt["duckdb_file_s"]), 3
        )
    finally:
        stack.elt("down", check=False, timeout=300)
        shutil.rmtree(dags, ignore_errors=True)
        if not surviving_processes(home):  # what is still running keeps its files
            shutil.rmtree(home, ignore_errors=True)
    if args.containers != "no":
        result.update(measure_containers(args.containers))
    return write_results(result, args, results)


def measure_containers(mode: str) -> dict[str, object]:
    """The container keys; with ``mode`` "yes" a missing Docker engine is an error."""
    work = Path(tempfile.mkdtemp(prefix="elt-bench-containers-"))
    try:
        keys = containers.measure(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if mode == "yes" and "containers_skipped" in keys:
        raise SystemExit(f"bench: container keys asked for, but {keys['containers_skipped']}")
    return keys


def write_results(result: dict[str, object], args: argparse.Namespace, results: Path) -> int:
    result["targets"] = {
        k: {
            "target": f"{op} {v}",
            "met": (result.get(k) is not None) and (result[k] <= v if op == "<=" else result[k] >= v),
        }  # type: ignore[operator]
        for k, (op, v) in {**TARGETS, **(CONTAINER_TARGETS if "image_size_mib" in result else {})}.items()
    }
    if args.days != 365:
        result["note"] = f"partial run ({args.days} days): full-year keys are measured over these days only"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"{stamp}.json").write_text(json.dumps(result, indent=2))
    scope = "container keys only" if args.containers_only else f"{args.days} days"
    lines = [f"# Benchmark {stamp} ({scope})", "", "| key | value | target | met |", "|---|---|---|---|"]
    for k, t in result["targets"].items():  # type: ignore[union-attr]
        if args.containers_only and k not in result:
            continue
        lines.append(f"| {k} | {result.get(k)} | {t['target']} | {'yes' if t['met'] else 'no'} |")
    lines += [""]
    if not args.containers_only:
        lines += [
            f"empty_chain_full_year_s: {result.get('empty_chain_full_year_s')}",
            f"load_throughput_ratio_vs_duckdb_file (DuckDB into a database file, for reference): "
            f"{result.get('load_throughput_ratio_vs_duckdb_file')}",
        ]
    lines += [
        *(
            f"{k}: {result[k]}"
            for k in (
                "image_build_s_cold",
                "image_build_s_after_code_change",
                "image_rebuild_layers",
                "compose_up_healthy_s",
                "compose_day_trigger_to_published_s",
                "containers_skipped",
            )
            if k in result
        ),
        f"machine: {result['machine']}",
        f"versions: {result['versions']}",
    ]
    (results / f"{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
