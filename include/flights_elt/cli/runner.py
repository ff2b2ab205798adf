"""``elt run``: trigger partitions through the real scheduler and follow them down the chain.

Each key is triggered on ``ingest`` through the REST API (``airflow dags trigger`` cannot pass
a partition key); ``transform`` and ``publish`` are then started by the scheduler from asset
events. A key is finished when its publish run succeeded, or stopped when any run of its chain
failed (the next DAG never starts on data that failed a gate).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from flights_elt.cli.api import http_json
from flights_elt.config import settings
from flights_elt.pipeline.days import THROUGH, Days

log = logging.getLogger(__name__)

CHAIN = ("ingest", "transform", "publish")
FAILED = {"failed"}
TERMINAL = {"success", "failed"}


@dataclass
class KeyProgress:
    key: str
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    chain: tuple[str, ...] = CHAIN
    triggered_at: dt.datetime | None = None
    through: str | None = None  # the last day of a batch run; None: the key's day only

    @property
    def days(self) -> Days:
        return Days(self.key, self.through or self.key)

    @property
    def latency_s(self) -> float | None:
        """Trigger of the first DAG → end of the last one's successful run (the day published)."""
        last = self.runs.get(self.chain[-1])
        if self.triggered_at is None or self.outcome != "published" or not last or not last.get("end_date"):
            return None
        return (_timestamp(last["end_date"]) - self.triggered_at).total_seconds()

    @property
    def outcome(self) -> str | None:
        for dag in self.chain:
            run = self.runs.get(dag)
            if run is None:
                return None
            if run["state"] in FAILED:
                if run.get("_failed_tasks") is None:  # looked up once per failed run
                    run["_failed_tasks"] = failed_tasks(dag, run["dag_run_id"])
                tasks = run["_failed_tasks"]
                return f"failed in {dag}" + (f" ({'; '.join(tasks)})" if tasks else "")
            if run["state"] != "success":
                return None
        return "published"


def failed_tasks(dag_id: str, run_id: str) -> list[str]:
    """The failed tasks of a run, each with the error its last try ended on (what a person
    looks at first)."""
    q = urllib.parse.quote(run_id, safe="")
    try:
        data = http_json(f"{settings().api_url}/api/v2/dags/{dag_id}/dagRuns/{q}/taskInstances?limit=100")
    except Exception:  # diagnostics only
        return []
    failed = sorted(
        (t for t in data.get("task_instances", []) if t.get("state") == "failed"),  # type: ignore[union-attr]
        key=lambda t: t["task_id"],
    )
    out = []
    for t in failed:
        error = task_error(dag_id, run_id, t["task_id"], int(t.get("try_number") or 1))
        out.append(f"{t['task_id']}: {error}" if error else t["task_id"])
    return out


def task_error(dag_id: str, run_id: str, task_id: str, try_number: int) -> str | None:
    """The exception a task try ended on, from its log as the REST API serves it."""
    q = urllib.parse.quote(run_id, safe="")
    url = f"{settings().api_url}/api/v2/dags/{dag_id}/dagRuns/{q}/taskInstances/{task_id}/logs/{try_number}"
    try:
        data = http_json(url + "?full_content=true", attempts=2)
    except Exception:  # diagnostics only
        return None
    return last_error(data.get("content", []))  # type: ignore[union-attr]


def last_error(events: list[Any], limit: int = 300) -> str | None:
    """``Type: message`` of the last exception in a task's structured log events."""
    for e in reversed(events):
        if not isinstance(e, dict):
            continue
        for detail in e.get("error_detail") or []:  # the raised exception first, then its causes
            if isinstance(detail, dict) and detail.get("exc_type"):
                text = f"{detail['exc_type']}: {detail.get('exc_value', '')}".strip()
                text = " ".join(text.split())
                return text if len(text) <= limit else text[: limit - 1] + "…"
    return None


def trigger(key: str, dag_id: str = "ingest", batch: str = "", through: str | None = None) -> dict[str, Any] | None:
    """Start one run of ``dag_id`` for ``key`` (through ``through``: a batch run, see
    ``flights_elt.pipeline.days``). The run id is fixed per (batch, key), so a POST retried after a
    timeout finds its run already created (409) instead of starting a second."""
    import urllib.error

    run_id = f"elt__{key}__{batch or uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"logical_date": None, "partition_key": key, "dag_run_id": run_id}
    if through and through != key:
        body["conf"] = {THROUGH: through}
    try:
        return http_json(f"{settings().api_url}/api/v2/dags/{dag_id}/dagRuns", "POST", body)  # type: ignore[return-value]
    except urllib.error.HTTPError as e:
        if e.code == 409:  # created by an earlier attempt of this same request
            return None
        raise


def runs_since(dag_id: str, since: str) -> list[dict[str, Any]]:
    """Every run of ``dag_id`` since ``since``. The API caps a page at its own maximum (100 by
    default, whatever ``limit`` asks), so pages are walked until ``total_entries`` is reached."""
    runs: list[dict[str, Any]] = []
    while True:
        q = urllib.parse.urlencode({"run_after_gte": since, "limit": 100, "offset": len(runs), "order_by": "run_after"})
        data = http_json(f"{settings().api_url}/api/v2/dags/{dag_id}/dagRuns?{q}")
        page = data.get("dag_runs", [])  # type: ignore[union-attr]
        runs.extend(page)
        if not page or len(runs) >= int(data.get("total_entries", 0)):  # type: ignore[union-attr]
            return runs


def poll(progress: dict[str, KeyProgress], since: str, chain: tuple[str, ...] = CHAIN) -> None:
    for dag in chain:
        for run in runs_since(dag, since):
            key = run.get("partition_key")
            if key in progress:
                # The latest run of this DAG for the key is the one that counts.
                prev = progress[key].runs.get(dag)
                if prev is None or run["run_after"] >= prev["run_after"]:
                    if prev is not None and prev["dag_run_id"] == run["dag_run_id"] and "_failed_tasks" in prev:
                        run["_failed_tasks"] = prev["_failed_tasks"]
                    progress[key].runs[dag] = run


def _timestamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _duration(run: dict[str, Any]) -> float | None:
    if not run.get("start_date") or not run.get("end_date"):
        return None
    return (_timestamp(run["end_date"]) - _timestamp(run["start_date"])).total_seconds()


def pipeline_times(progress: dict[str, KeyProgress]) -> dict[str, float | None]:
    """How long the pipeline took, from the scheduler's own run records (not the client's):
    ``chain_s`` from the first trigger to the last key published, and per-key latency (trigger
    of ingest → end of publish)."""
    latencies = sorted(x for p in progress.values() if (x := p.latency_s) is not None)
    triggered = [p.triggered_at for p in progress.values() if p.triggered_at]
    last_runs = [p.runs.get(p.chain[-1]) or {} for p in progress.values()]
    ends = [_timestamp(r["end_date"]) for r in last_runs if r.get("end_date")]
    return {
        "chain_s": round((max(ends) - min(triggered)).total_seconds(), 2) if ends and triggered else None,
        "latency_median_s": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "latency_max_s": round(latencies[-1], 2) if latencies else None,
    }


def batches(start: str, end: str, size: int = 1) -> list[Days]:
    """``start``..``end`` cut into runs of ``size`` consecutive days (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"a batch has at least one day, not {size}")
    keys = Days(start, end).keys
    return [Days(chunk[0], chunk[-1]) for chunk in (keys[i : i + size] for i in range(0, len(keys), size))]


def follow(
    runs: list[Days],
    timeout: float = 3600,
    interval: float = 1.0,
    quiet: bool = False,
    chain: tuple[str, ...] = CHAIN,
) -> dict[str, KeyProgress]:
    """Trigger a run per entry of ``runs`` (its key: the first day) on the first DAG of ``chain``;
    return when each finished or stopped."""
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    progress = {d.first: KeyProgress(d.first, chain=chain, through=d.last if len(d) > 1 else None) for d in runs}
    if len(progress) != len(runs):
        raise ValueError("two runs with the same first day")
    keys = list(progress)
    batch = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "_" + uuid.uuid4().hex[:6]
    for k in keys:
        progress[k].triggered_at = dt.datetime.now(dt.UTC)
        trigger(k, chain[0], batch, progress[k].through)
    started = time.monotonic()
    last_line = ""
    while True:
        poll(progress, since, chain)
        done = {
            dag: sum(1 for p in progress.values() if p.runs.get(dag, {}).get("state") == "success") for dag in chain
        }
        failed = [p for p in progress.values() if (p.outcome or "").startswith("failed")]
        finished = all(p.outcome for p in progress.values())
        line = (
            f"[{time.monotonic() - started:5.0f}s] "
            + "  ".join(f"{dag} {done[dag]}/{len(keys)}" for dag in chain)
            + (f"  failed {len(failed)}" if failed else "")
        )
        if line.split("] ", 1)[1] != last_line and not quiet:
            print(line, file=sys.stderr, flush=True)
            last_line = line.split("] ", 1)[1]
        if finished:
            return progress
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"chain not finished after {timeout:.0f}s: {line}")
        time.sleep(interval)


def split_failed(progress: dict[str, KeyProgress], **follow_args: Any) -> dict[str, KeyProgress]:
    """Run every day of each stopped batch again on its own, so that only the days that fail a
    gate stay stopped (each with its own alert) and the rest are published. Returns the
    progress of the batches that finished, merged with that of the days run again."""
    stopped = [p for p in progress.values() if len(p.days) > 1 and (p.outcome or "").startswith("failed")]
    if not stopped:
        return progress
    out = {k: p for k, p in progress.items() if k not in {s.key for s in stopped}}
    for p in stopped:
        print(f"batch {p.days.label} stopped ({p.outcome}): running its days one by one", file=sys.stderr, flush=True)
    out.update(follow([Days.one(k) for p in stopped for k in p.days.keys], **follow_args))
    return out


def summarize(progress: dict[str, KeyProgress]) -> dict[str, Any]:
    keys = sorted(k for p in progress.values() for k in p.days.keys)
    per_dag: dict[str, Any] = {}
    for dag in CHAIN:
        durs = [d for p in progress.values() if (r := p.runs.get(dag)) and (d := _duration(r)) is not None]
        per_dag[dag] = {
            "runs": len(durs),
            "mean_s": round(sum(durs) / len(durs), 2) if durs else None,
            "max_s": round(max(durs), 2) if durs else None,
        }
    return {
        "partitions": len(keys),
        "runs": len(progress),
        "published": sum(len(p.days) for p in progress.values() if p.outcome == "published"),
        "failed": {p.days.label: p.outcome for p in progress.values() if p.outcome != "published"},
        "rows": layer_counts(keys[0], keys[-1]),
        "dags": per_dag,
        **pipeline_times(progress),
    }


def layer_counts(lo: str, hi: str) -> dict[str, Any]:
    """Flights of the partitions ``lo``..``hi`` in each layer; what is unavailable says why."""
    from flights_elt.warehouse import Warehouse

    db = settings().database
    queries = {
        "landing rows": f"select coalesce(sum(rows_in_file), 0) from {db}.AUDIT.FILE_LOADS "
        "where source = 'FLIGHTS' and partition_key between %(lo)s and %(hi)s",
        "RAW.FLIGHTS": f"select count(*) from {db}.RAW.FLIGHTS where _partition between %(lo)s and %(hi)s",
        "QUARANTINE.FLIGHTS": f"select count(*) from {db}.QUARANTINE.FLIGHTS "
        "where _partition between %(lo)s and %(hi)s",
        "CORE.FCT_FLIGHTS": f"select count(*) from {db}.CORE.FCT_FLIGHTS where flight_date between %(lo)s and %(hi)s",
        "MARTS.CARRIER_DAILY_PERFORMANCE (flights)": "select coalesce(sum(flights), 0) from "
        f"{db}.MARTS.CARRIER_DAILY_PERFORMANCE where flight_date between %(lo)s and %(hi)s",
    }
    try:
        wh = Warehouse()
    except Exception as e:  # the summary of what the scheduler did still matters most
        log.error("warehouse unreachable, row counts unavailable: %s", e)
        return {"warehouse": f"unreachable ({type(e).__name__})"}
    layers: dict[str, Any] = {}
    with wh:
        for label, sql in queries.items():
            try:
                layers[label] = int(wh.scalar(sql, {"lo": lo, "hi": hi}) or 0)
            except Exception as e:  # a layer that does not exist yet (nothing published)
                layers[label] = f"unavailable ({type(e).__name__})"
    return layers


def print_summary(summary: dict[str, Any], wall_s: float, out: Any = sys.stdout) -> None:
    print(
        f"\nPartitions: {summary['partitions']}  published: {summary['published']}  wall time: {wall_s:.1f}s",
        file=out,
    )
    for key, outcome in sorted(summary["failed"].items()):
        print(f"  {key}: {outcome}", file=out)
    print("Rows:", file=out)
    for label, n in summary["rows"].items():
        print(f"  {label:<45} {n}", file=out)
    print("DAG run durations:", file=out)
    for dag, d in summary["dags"].items():
        print(f"  {dag:<10} runs {d['runs']:>4}  mean {d['mean_s']}s  max {d['max_s']}s", file=out)
    if summary.get("latency_median_s") is not None:
        print(
            f"Trigger → published: median {summary['latency_median_s']}s, max {summary['latency_max_s']}s; "
            f"first trigger → last published: {summary['chain_s']}s",
            file=out,
        )
