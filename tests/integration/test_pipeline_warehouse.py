"""Loads, models and marts against the warehouse emulator (real Snowflake protocol over TLS)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flights_elt.pipeline import landing, loaders, models, publish, spec
from flights_elt.pipeline.days import Days
from flights_elt.warehouse import Warehouse

from tests.helpers import stop_process_group

pytestmark = pytest.mark.integration
DAYS = ["2013-01-01", "2013-01-02"]

TABLES = [
    ("RAW", "FLIGHTS"),
    ("RAW", "WEATHER"),
    ("RAW", "AIRLINES"),
    ("RAW", "AIRPORTS"),
    ("RAW", "PLANES"),
    ("QUARANTINE", "FLIGHTS"),
    ("STAGING", "STG_FLIGHTS"),
    ("STAGING", "STG_WEATHER"),
    ("CORE", "FCT_FLIGHTS"),
    ("CORE", "DIM_CARRIERS"),
    ("CORE", "DIM_AIRPORTS"),
    ("CORE", "DIM_PLANES"),
    ("MARTS", "CARRIER_DAILY_PERFORMANCE"),
    ("MARTS", "ROUTE_DAILY_DELAYS"),
]


def checksum(wh: Warehouse, schema: str, table: str) -> tuple[int, str]:
    """Row count and an order-independent digest of every value in the table."""
    _, rows = wh.query(f"select * from {wh.database}.{schema}.{table}")
    digest = hashlib.sha256()
    for line in sorted(repr(r) for r in rows):
        digest.update(line.encode())
    return len(rows), digest.hexdigest()


def run_chain(wh: Warehouse, day: str, run_id: str) -> None:
    for t in spec.REFERENCE_SOURCES:
        loaders.load_table(wh, t, None, run_id)
    for t in spec.PARTITIONED_SOURCES:
        loaders.load_table(wh, t, day, run_id)
    models.transform(wh, Days.one(day))
    for m in publish.MARTS:
        built = publish.build(wh, m, Days.one(day), run_id)
        publish.switch(wh, m, int(built["version"]), [day], run_id)


@pytest.fixture
def seeded(landing_dir: Path) -> Path:
    landing.seed(DAYS[0], DAYS[-1])
    return landing_dir


def test_chain_matches_source_counts(wh: Warehouse, seeded: Path):
    for day in DAYS:
        run_chain(wh, day, "t1")
    src = landing.source_frame("flights")
    src = src[(src.month == "1") & src.day.isin(["1", "2"])]
    expected = {f"2013-01-0{d}": (len(g), int((g.dep_time == "NA").sum())) for d, g in src.groupby(src.day)}
    _, rows = wh.query(
        f"select flight_date, sum(flights), sum(cancelled) from {wh.database}.MARTS.CARRIER_DAILY_PERFORMANCE "
        "group by flight_date order by flight_date"
    )
    assert {str(r[0]): (int(r[1]), int(r[2])) for r in rows} == expected
    per_carrier = src[src.day == "1"].groupby("carrier").size().to_dict()
    _, rows = wh.query(
        f"select carrier, flights from {wh.database}.MARTS.CARRIER_DAILY_PERFORMANCE where flight_date = '2013-01-01'"
    )
    assert {r[0]: int(r[1]) for r in rows} == per_carrier


def test_rerunning_a_partition_changes_nothing(wh: Warehouse, seeded: Path):
    for day in DAYS:
        run_chain(wh, day, "first")
    before = {t: checksum(wh, *t) for t in TABLES}
    cols = ", ".join(c.name for c in spec.FLIGHTS.columns) + ", _partition, _source_file, _batch_id"
    _, raw_before = wh.query(f"select {cols} from {wh.database}.RAW.FLIGHTS")
    for _ in range(2):
        run_chain(wh, DAYS[0], "again")
        loaders.load_table(wh, spec.FLIGHTS, DAYS[1], "forced", force=True)
        models.transform(wh, Days.one(DAYS[1]))
    after = {t: checksum(wh, *t) for t in TABLES if t != ("RAW", "FLIGHTS")}
    changed = [t for t in after if after[t] != before[t]]
    assert changed == [], f"tables changed by a rerun: {changed}"
    # A forced reload rewrites _LOADED_AT; the rows themselves are the same.
    cols = ", ".join(c.name for c in spec.FLIGHTS.columns) + ", _partition, _source_file, _batch_id"
    _, raw_after = wh.query(f"select {cols} from {wh.database}.RAW.FLIGHTS")
    assert len(raw_after) == before[("RAW", "FLIGHTS")][0]
    assert sorted(map(repr, raw_after)) == sorted(map(repr, raw_before))


def test_a_batch_run_writes_exactly_what_its_days_write_one_at_a_time(wh: Warehouse, seeded: Path):
    """Loading, transforming and publishing both days as one batch (one bulk load per source,
    one statement per model, one mart version) leaves every table as the daily runs did."""
    for day in DAYS:
        run_chain(wh, day, "daily")
    before = {t: checksum(wh, *t) for t in TABLES if t[0] != "RAW"}
    cols = ", ".join(c.name for c in spec.FLIGHTS.columns) + ", _partition, _source_file, _batch_id"
    _, raw_before = wh.query(f"select {cols} from {wh.database}.RAW.FLIGHTS")
    batch = Days(DAYS[0], DAYS[-1])
    for t in spec.PARTITIONED_SOURCES:
        results = loaders.load_files(wh, t, batch.keys, "batch", force=True)
        assert [r.partition for r in results] == DAYS and not any(r.skipped for r in results)
    models.transform(wh, batch)
    for m in publish.MARTS:
        built = publish.build(wh, m, batch, "batch")
        publish.switch(wh, m, int(built["version"]), batch.keys, "batch")
    after = {t: checksum(wh, *t) for t in before}
    assert [t for t in after if after[t] != before[t]] == []
    _, raw_after = wh.query(f"select {cols} from {wh.database}.RAW.FLIGHTS")
    assert sorted(map(repr, raw_after)) == sorted(map(repr, raw_before))
    # One FILE_LOADS record per file and one PUBLICATIONS record per day, as the daily runs left.
    _, loads = wh.query(
        f"select partition_key, run_id from {wh.database}.AUDIT.FILE_LOADS where source = 'FLIGHTS' order by 1"
    )
    assert loads == [(DAYS[0], "batch"), (DAYS[1], "batch")]
    _, published = wh.query(
        f"select partition_key from {wh.database}.AUDIT.PUBLICATIONS "
        "where run_id = 'batch' and status = 'published' and mart = 'ROUTE_DAILY_DELAYS' order by 1"
    )
    assert [r[0] for r in published] == DAYS
    # Unchanged files of a batch are skipped as a whole: nothing is written.
    again = loaders.load_files(wh, spec.FLIGHTS, batch.keys, "batch-again")
    assert all(r.skipped for r in again)


def test_unchanged_file_is_not_reloaded_and_changed_file_replaces_partition(wh: Warehouse, seeded: Path):
    first = loaders.load_table(wh, spec.FLIGHTS, DAYS[0], "r1")
    again = loaders.load_table(wh, spec.FLIGHTS, DAYS[0], "r2")
    assert again.skipped and again.rows_loaded == first.rows_loaded
    path = seeded / "flights" / f"{DAYS[0]}.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-10]))  # upstream re-delivers the day with 10 rows fewer
    third = loaders.load_table(wh, spec.FLIGHTS, DAYS[0], "r3")
    assert not third.skipped and third.rows_loaded == first.rows_loaded - 10
    n = wh.scalar(f"select count(*) from {wh.database}.RAW.FLIGHTS where _partition = %(p)s", {"p": DAYS[0]})
    assert n == third.rows_loaded


def test_quarantine_keeps_rejected_rows_and_accounts_for_every_line(wh: Warehouse, seeded: Path):
    path = seeded / "flights" / f"{DAYS[0]}.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace(",EWR,", ",EWR,", 1).replace("2013,1,1,", "2013,1,9,", 1)
    lines[6] = lines[6].split(",", 4)[0] + ",1,1,abc," + lines[6].split(",", 4)[4]
    path.write_text("".join(lines))
    result = loaders.load_table(wh, spec.FLIGHTS, DAYS[0], "rq")
    assert result.rows_quarantined == 2
    assert result.rows_in_file == len(lines) - 1 == result.rows_loaded + result.rows_quarantined
    _, rows = wh.query(f"select _rule, _row_number, _run_id from {wh.database}.QUARANTINE.FLIGHTS order by _row_number")
    assert rows == [("wrong_partition", 6, "rq"), ("wrong_type", 7, "rq")]
    assert path.exists()  # the landing file is never moved or altered


def test_failed_write_rolls_back_the_whole_partition(wh: Warehouse, seeded: Path):
    loaders.load_table(wh, spec.FLIGHTS, DAYS[0], "r1")
    before = checksum(wh, "RAW", "FLIGHTS")
    with pytest.raises(Exception, match="boom"), wh.transaction():
        wh.execute(f"delete from {wh.database}.RAW.FLIGHTS where _partition = %(p)s", {"p": DAYS[0]})
        raise RuntimeError("boom")
    assert checksum(wh, "RAW", "FLIGHTS") == before


def test_publish_switches_readers_atomically_and_keeps_old_version_until_switch(wh: Warehouse, seeded: Path):
    run_chain(wh, DAYS[0], "r1")
    m = publish.mart("CARRIER_DAILY_PERFORMANCE")
    published = checksum(wh, "MARTS", m.name)
    models.transform(wh, Days.one(DAYS[0]))
    for t in spec.PARTITIONED_SOURCES:
        loaders.load_table(wh, t, DAYS[1], "r2")
    models.transform(wh, Days.one(DAYS[1]))
    built = publish.build(wh, m, Days.one(DAYS[1]), "r2")
    assert checksum(wh, "MARTS", m.name) == published  # built aside: readers see no change
    publish.discard(wh, m, int(built["version"]), [DAYS[1]], "r2")
    assert checksum(wh, "MARTS", m.name) == published
    built = publish.build(wh, m, Days.one(DAYS[1]), "r3")
    publish.switch(wh, m, int(built["version"]), [DAYS[1]], "r3")
    n = wh.scalar(f"select count(distinct flight_date) from {wh.database}.MARTS.{m.name}")
    assert n == 2


def test_a_reader_never_sees_a_partial_publish(wh: Warehouse, seeded: Path):
    """A second session polls the mart while versions are published: every read is a whole version."""
    import threading

    run_chain(wh, DAYS[0], "r0")
    for t in spec.PARTITIONED_SOURCES:
        loaders.load_table(wh, t, DAYS[1], "r1")
    models.transform(wh, Days.one(DAYS[1]))
    m = publish.mart("CARRIER_DAILY_PERFORMANCE")
    view = f"{wh.database}.MARTS.{m.name}"
    day1_total = int(wh.scalar(f"select sum(flights) from {view} where flight_date = %(d)s", {"d": DAYS[0]}))
    day2_total = int(
        wh.scalar(f"select count(*) from {wh.database}.CORE.FCT_FLIGHTS where flight_date = %(d)s", {"d": DAYS[1]})
    )
    allowed = {(day1_total, 0), (day1_total, day2_total)}
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            with Warehouse() as other:
                while not stop.is_set():
                    _, rows = other.query(
                        f"select coalesce(sum(case when flight_date = %(a)s then flights end), 0), "
                        f"coalesce(sum(case when flight_date = %(b)s then flights end), 0) from {view}",
                        {"a": DAYS[0], "b": DAYS[1]},
                    )
                    seen.add((int(rows[0][0]), int(rows[0][1])))
        except BaseException as e:  # surfaced below
            errors.append(e)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(4):  # publish day 2 four times, discarding every other build
            built = publish.build(wh, m, Days.one(DAYS[1]), f"p{i}")
            if i % 2:
                publish.discard(wh, m, int(built["version"]), [DAYS[1]], f"p{i}")
            else:
                publish.switch(wh, m, int(built["version"]), [DAYS[1]], f"p{i}")
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    assert seen and seen <= allowed, seen - allowed


def test_a_load_killed_mid_transaction_leaves_nothing_and_does_not_block_the_retry(
    wh: Warehouse, seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    day = DAYS[0]
    task = {"AIRFLOW_CTX_DAG_ID": "ingest", "AIRFLOW_CTX_DAG_RUN_ID": "r2", "AIRFLOW_CTX_TASK_ID": "load_raw"}
    first = loaders.load_table(wh, spec.FLIGHTS, day, "r1")
    before = checksum(wh, "RAW", "FLIGHTS"), checksum(wh, "QUARANTINE", "FLIGHTS")
    path = seeded / "flights" / f"{day}.csv"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-10]))  # a corrected re-delivery

    # A loader process is SIGKILLed inside its transaction: partition deleted, new rows inserted,
    # no COMMIT, no ROLLBACK, its session left open on the warehouse.
    (tmp_path / "load.flights.before_commit.armed").touch()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from flights_elt.pipeline import loaders, spec; from flights_elt.warehouse import Warehouse;"
            f"loaders.load_table(Warehouse(), spec.FLIGHTS, {day!r}, 'r2')",
        ],
        env={**os.environ, **task, "AIRFLOW_CTX_TRY_NUMBER": "1", "ELT_FAILPOINT_DIR": str(tmp_path)},
        start_new_session=True,
    )
    try:
        hit = tmp_path / "load.flights.before_commit.hit"
        deadline = time.monotonic() + 120
        while not (hit.exists() and hit.read_text().strip()) and writer.poll() is None:
            assert time.monotonic() < deadline, "the loader never reached its failpoint"
            time.sleep(0.2)
        assert writer.poll() is None, f"the loader exited ({writer.returncode}) before its failpoint"
        os.kill(int(hit.read_text()), signal.SIGKILL)
        assert writer.wait(30) == -signal.SIGKILL
    finally:
        stop_process_group(writer)

    # Readers see the partition exactly as it was; a plain delete conflicts with the detached transaction.
    assert (checksum(wh, "RAW", "FLIGHTS"), checksum(wh, "QUARANTINE", "FLIGHTS")) == before
    with pytest.raises(Exception, match=r"(?i)conflict"):
        wh.execute(f"delete from {wh.database}.RAW.FLIGHTS where _partition = %(p)s", {"p": day})

    # The task's retry aborts the session its dead try left open, then replaces the partition once.
    for k, v in {**task, "AIRFLOW_CTX_TRY_NUMBER": "2"}.items():
        monkeypatch.setenv(k, v)
    with Warehouse() as retry:
        result = loaders.load_table(retry, spec.FLIGHTS, day, "r2")
    assert not result.skipped and result.rows_loaded == first.rows_loaded - 10
    _, rows = wh.query(
        f"select count(*), count(distinct year || month || day || carrier || flight || origin || sched_dep_time) "
        f"from {wh.database}.RAW.FLIGHTS where _partition = %(p)s",
        {"p": day},
    )
    assert rows == [(result.rows_loaded, result.rows_loaded)]
    assert (
        wh.scalar(f"select count(*) from {wh.database}.AUDIT.FILE_LOADS where partition_key = %(p)s", {"p": day}) == 1
    )
    assert wh.scalar(f"select count(*) from {wh.database}.AUDIT.WRITER_SESSIONS") == 0


def test_setup_is_one_catalog_query_when_everything_exists_and_recreates_what_is_missing(
    wh: Warehouse, warehouse_server
):
    query_log = Path(warehouse_server["query_log"])
    logged = len(query_log.read_text().splitlines())
    models.ensure_objects(wh)
    statements = [line.split("\t")[-1] for line in query_log.read_text().splitlines()[logged:]]
    assert len(statements) == 1 and "information_schema" in statements[0], statements
    assert models.missing_objects(wh) == set()
    wh.execute(f"drop table {wh.database}.AUDIT.CHECK_RESULTS")
    assert models.missing_objects(wh) == {("AUDIT", "CHECK_RESULTS")}
    models.ensure_objects(wh)
    assert models.missing_objects(wh) == set()


def test_the_emulator_logs_every_statement_with_its_duration_and_session(wh: Warehouse, warehouse_server):
    marker = f"select 'query-log-{os.getpid()}' as marker"
    wh.execute(marker)
    lines = [line.split("\t") for line in Path(warehouse_server["query_log"]).read_text().splitlines()]
    mine = [fields for fields in lines if fields[-1] == marker]
    assert len(mine) == 1
    duration_ms, session, _ = mine[0]
    assert float(duration_ms) >= 0 and int(session) > 0


def test_runs_of_other_days_loading_the_same_reference_file_at_once_keep_one_copy(
    wh: Warehouse, seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Every ingest run loads the reference files; on a new warehouse, runs of several days
    load the same file at the same moment. The loser of that race must fail (and be retried),
    never commit a second copy; its retry, which has nothing left to write, still clears what
    the failed try registered."""
    import threading

    def as_task(run_id: str, try_number: int) -> None:
        ctx = {"DAG_ID": "ingest", "DAG_RUN_ID": run_id, "TASK_ID": "load_raw", "TRY_NUMBER": str(try_number)}
        for k, v in ctx.items():
            monkeypatch.setenv(f"AIRFLOW_CTX_{k}", v)

    as_task("run-day-1", 1)
    monkeypatch.setenv("ELT_FAILPOINT_DIR", str(tmp_path))
    (tmp_path / "load.airports.before_commit.armed").touch()
    errors: list[BaseException] = []

    def first_run() -> None:  # stops inside its transaction, rows inserted, not committed
        try:
            with Warehouse() as w:
                loaders.load_table(w, spec.AIRPORTS, None, "run-day-1")
        except BaseException as e:  # inspected below
            errors.append(e)

    thread = threading.Thread(target=first_run)
    thread.start()
    hit = tmp_path / "load.airports.before_commit.hit"
    deadline = time.monotonic() + 60
    while not hit.exists() and thread.is_alive():
        assert time.monotonic() < deadline, "the first load never reached its failpoint"
        time.sleep(0.1)
    as_task("run-day-2", 1)
    with Warehouse() as other:
        second = loaders.load_table(other, spec.AIRPORTS, None, "run-day-2")  # commits meanwhile
    hit.unlink()  # the first run goes on to its commit
    thread.join(60)
    assert len(errors) == 1 and "locked by another transaction" in str(errors[0]), errors

    assert wh.scalar(f"select count(*) from {wh.database}.AUDIT.WRITER_SESSIONS") == 1  # the failed try's

    as_task("run-day-1", 2)
    with Warehouse() as retry:  # the failed task's retry finds the file loaded
        assert loaders.load_table(retry, spec.AIRPORTS, None, "run-day-1").skipped
    assert wh.scalar(f"select count(*) from {wh.database}.RAW.AIRPORTS") == second.rows_loaded
    assert wh.scalar(f"select count(*) from {wh.database}.AUDIT.FILE_LOADS where source = 'AIRPORTS'") == 1
    assert wh.scalar(f"select count(*) from {wh.database}.AUDIT.WRITER_SESSIONS") == 0


def test_concurrent_dimension_merges_never_duplicate_a_key(wh: Warehouse, seeded: Path):
    """Transform runs of several days merge the same new keys into an empty dimension at once:
    the losers fail (and their task retries), the dimension keeps one row per key."""
    import threading

    loaders.load_table(wh, spec.AIRPORTS, None, "r1")
    sessions = [Warehouse() for _ in range(4)]
    start, failures = threading.Barrier(len(sessions)), []

    def merge(w: Warehouse) -> None:
        start.wait()
        for _ in range(5):  # a failed try is retried, as Airflow retries the task
            try:
                w.run_file("core/dim_airports")
                return
            except Exception as e:  # counted below
                failures.append(str(e))
                time.sleep(0.2)

    threads = [threading.Thread(target=merge, args=(w,)) for w in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for w in sessions:
        w.close()
    assert all("locked by another transaction" in f for f in failures), failures
    total, keys = wh.query(f"select count(*), count(distinct faa) from {wh.database}.CORE.DIM_AIRPORTS")[1][0]
    assert total == keys == wh.scalar(f"select count(distinct upper(trim(faa))) from {wh.database}.RAW.AIRPORTS")


def test_a_changed_reference_row_updates_its_dimension_member_in_place(wh: Warehouse, seeded: Path):
    loaders.load_table(wh, spec.AIRPORTS, None, "r1")
    wh.run_file("core/dim_airports")
    before = wh.scalar(f"select count(*) from {wh.database}.CORE.DIM_AIRPORTS")
    wh.execute(f"update {wh.database}.RAW.AIRPORTS set name = 'Renamed' where faa = 'JFK'")
    wh.run_file("core/dim_airports")
    assert wh.query(f"select airport_name from {wh.database}.CORE.DIM_AIRPORTS where faa = 'JFK'")[1] == [("Renamed",)]
    assert wh.scalar(f"select count(*) from {wh.database}.CORE.DIM_AIRPORTS") == before
