"""Faults through the real scheduler: a task SIGKILLed mid-load, the warehouse killed mid-run,
and a burst of partitions triggered at once. Nothing may be duplicated, half-written or lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from flights_elt.pipeline import landing

from tests.helpers import BIN, stop_process_group

pytestmark = pytest.mark.e2e
FAILPOINT = "load.flights.before_commit"


def source_counts(days: list[str]) -> dict[str, int]:
    src = landing.source_frame("flights")
    keys = src.year + "-" + src.month.str.zfill(2) + "-" + src.day.str.zfill(2)
    counts = keys[keys.isin(days)].value_counts()
    return {d: int(counts.get(d, 0)) for d in days}


def mart_counts(stack, days: list[str]) -> dict[str, int]:
    rows = stack.query(
        "select flight_date, sum(flights) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE "
        f"where flight_date between '{days[0]}' and '{days[-1]}' group by flight_date"
    )
    return {**dict.fromkeys(days, 0), **{r[0]: int(float(r[1])) for r in rows}}


def published_days(stack) -> dict[str, int]:
    """Flights per published day; none on a warehouse where nothing ran yet."""
    sql = "select flight_date, sum(flights) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE group by 1"
    out = stack.elt("query", sql, check=False)
    if out.returncode != 0:
        assert "does not exist" in out.stderr, out.stderr[-2000:]
        return {}
    return {r[0]: int(float(r[1])) for r in (line.split(",") for line in out.stdout.strip().splitlines()[1:])}


def raw_counts(stack, day: str) -> tuple[int, int]:
    """Rows of the day in RAW, and distinct flight keys among them: equal when nothing is doubled."""
    [[rows, keys]] = stack.query(
        "select count(*), count(distinct year || '-' || month || '-' || day || carrier || flight || origin "
        f"|| sched_dep_time) from FLIGHTS.RAW.FLIGHTS where _partition = '{day}'"
    )
    return int(rows), int(keys)


def start_run(stack, day: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "elt"), "run", "--start", day, "--end", day, "--no-seed"],
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def arm_failpoint(stack) -> None:
    (stack.failpoints / f"{FAILPOINT}.hit").unlink(missing_ok=True)  # left by an earlier kill
    (stack.failpoints / f"{FAILPOINT}.armed").touch()


def wait_at_failpoint(stack, run: subprocess.Popen, timeout: float = 300) -> int:
    """Return the PID of the task process stopped at the armed load failpoint."""
    hit = stack.failpoints / f"{FAILPOINT}.hit"
    deadline = time.monotonic() + timeout
    while not (hit.exists() and hit.read_text().strip()):
        assert run.poll() is None, f"elt run ended before the failpoint: {run.communicate()}"
        assert time.monotonic() < deadline, "no task reached the load failpoint"
        time.sleep(0.2)
    return int(hit.read_text())


def runs_per_key(stack, dag_id: str) -> dict[str, int]:
    """How many runs of ``dag_id`` exist for each partition key, from the Airflow REST API."""
    code = (
        "import collections, json; from flights_elt.cli import runner; from flights_elt.embedded import stack; "
        "stack.apply_client_env(); "
        f"runs = runner.runs_since({dag_id!r}, '2000-01-01T00:00:00+00:00'); "
        "print(json.dumps(collections.Counter(r['partition_key'] for r in runs)))"
    )
    out = subprocess.run([str(BIN / "python"), "-c", code], env=stack.env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def attempts(stack, day: str, task: str) -> list[str]:
    logs = stack.home / "logs" / "airflow" / "dag_id=ingest"
    return sorted(p.name for p in logs.glob(f"run_id=*{day}*/task_id={task}/attempt=*.log"))


def test_a_task_sigkilled_mid_load_is_retried_and_leaves_no_partial_or_duplicate_rows(embedded_stack):
    stack, day = embedded_stack, "2013-03-01"
    stack.elt("seed", "--start", day, "--end", day)
    arm_failpoint(stack)
    run = start_run(stack, day)
    try:
        task_pid = wait_at_failpoint(stack, run)
        # The task is inside its transaction: partition deleted and re-inserted, not committed.
        os.kill(task_pid, signal.SIGKILL)
        out, err = run.communicate(timeout=900)
    finally:
        stop_process_group(run)
    assert run.returncode == 0, out + err[-3000:]
    assert attempts(stack, day, "load_raw") == ["attempt=1.log", "attempt=2.log"]
    expected = source_counts([day])[day]
    assert raw_counts(stack, day) == (expected, expected)
    assert mart_counts(stack, [day]) == {day: expected}
    assert stack.query(f"select count(*) from FLIGHTS.AUDIT.FILE_LOADS where partition_key = '{day}'") == [["2"]]
    assert stack.query("select count(*) from FLIGHTS.AUDIT.WRITER_SESSIONS") == [["0"]]


def test_warehouse_killed_mid_run_fails_the_run_clearly_and_a_rerun_recovers(embedded_stack):
    stack, day = embedded_stack, "2013-03-02"
    stack.elt("seed", "--start", day, "--end", day)
    published_before = published_days(stack)
    arm_failpoint(stack)
    run = start_run(stack, day)
    try:
        wait_at_failpoint(stack, run)
        warehouse = stack.pid("warehouse")
        os.kill(warehouse, signal.SIGKILL)  # the warehouse dies under an open transaction
        (stack.failpoints / f"{FAILPOINT}.hit").unlink()  # the task goes on against a dead warehouse
        out, err = run.communicate(timeout=900)
    finally:
        stop_process_group(run)
    assert run.returncode != 0, out
    assert "failed in ingest" in out and "load_raw" in out, out + err[-3000:]
    assert "warehouse" in out and "unreachable" in out, out
    assert len(attempts(stack, day, "load_raw")) == 3  # the first try and both retries failed

    # Restart what is missing (the emulator), rerun: the day publishes once, nothing doubled.
    stack.elt("up", timeout=600)
    assert stack.pid("warehouse") != warehouse
    stack.elt("run", "--start", day, "--end", day, "--no-seed")
    expected = source_counts([day])[day]
    assert raw_counts(stack, day) == (expected, expected)
    assert mart_counts(stack, [day]) == {day: expected}
    # What was published before the crash is still there, unchanged.
    assert published_days(stack) == {**published_before, day: expected}


def test_sixty_partitions_triggered_at_once_are_each_processed_exactly_once(embedded_stack, tmp_path: Path):
    stack = embedded_stack
    days = [f"2013-{m:02d}-{d:02d}" for m, last in ((4, 30), (5, 30)) for d in range(1, last + 1)]
    assert len(days) == 60
    stack.elt("seed", "--start", days[0], "--end", days[-1])
    summary_file = tmp_path / "summary.json"
    stack.elt("run", "--start", days[0], "--end", days[-1], "--no-seed", "--json", str(summary_file), timeout=3600)
    summary = json.loads(summary_file.read_text())
    assert summary["published"] == 60 and summary["failed"] == {}
    assert mart_counts(stack, days) == source_counts(days)
    # Exactly one run of each DAG per key: no asset event lost, none coalesced or doubled.
    for dag in ("ingest", "transform", "publish"):
        runs = runs_per_key(stack, dag)
        assert {d: runs.get(d, 0) for d in days} == dict.fromkeys(days, 1), dag
    published = stack.query(
        "select count(*), count(distinct partition_key) from FLIGHTS.AUDIT.PUBLICATIONS "
        f"where status = 'published' and partition_key between '{days[0]}' and '{days[-1]}'"
    )
    assert published == [["120", "60"]]  # each key published once, in each of the two marts
