"""Each gate fed the defect that must trip it, against the emulator; and a clean day passing all of them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flights_elt.config import settings
from flights_elt.pipeline import landing, loaders, models, publish, spec, tasks
from flights_elt.pipeline.days import Days
from flights_elt.quality import gates
from flights_elt.warehouse import Warehouse

pytestmark = pytest.mark.integration
DAY = "2013-01-01"


def context(task_id: str, dag_id: str = "test") -> dict:
    return {
        "ti": SimpleNamespace(dag_id=dag_id, task_id=task_id, try_number=1, log_url=None),
        "run_id": f"run-{task_id}",
        "dag_run": SimpleNamespace(partition_key=DAY),
    }


def operators(layer: str, built: dict | None = None) -> list:
    """The layer's check operators, exactly as the gate task builds them."""
    tables = {name: info["table"] for name, info in (built or {}).items()}
    return gates.sql_check_operators(layer, Days.one(DAY), tables)


def run_gate(op) -> list[gates.CheckOutcome] | gates.GateFailed:
    try:
        op.execute(context(op.task_id))
    except gates.GateFailed as e:
        return e
    return []


def audit_failures(wh: Warehouse, task_id: str) -> dict[str, str]:
    _, rows = wh.query(
        f"select check_name, observed_value from {wh.database}.AUDIT.CHECK_RESULTS "
        "where task_id = %(t)s and outcome = 'fail'",
        {"t": task_id},
    )
    return dict(rows)


def scan(layer: str, extra: dict[str, str] | None = None) -> list[gates.CheckOutcome]:
    s = settings()
    schema = {"raw": "RAW", "core": "CORE", "marts": s.schemas["versions"]}[layer]
    return gates.soda_scan(layer, gates.soda_variables(Days.one(DAY), DATABASE=s.database, **(extra or {})), schema)


@pytest.fixture
def seeded(landing_dir: Path) -> Path:
    landing.seed(DAY, DAY)
    return landing_dir / "flights" / f"{DAY}.csv"


def load_all(wh: Warehouse) -> None:
    for t in spec.REFERENCE_SOURCES:
        loaders.load_table(wh, t, None, "r")
    for t in spec.PARTITIONED_SOURCES:
        loaders.load_table(wh, t, DAY, "r")


def test_a_clean_day_passes_every_gate(wh: Warehouse, seeded: Path):
    load_all(wh)
    for op in operators("raw"):
        assert run_gate(op) == [], op.task_id
    assert not [o for o in scan("raw") if o.outcome == "fail"]
    models.transform(wh, Days.one(DAY))
    for op in operators("core"):
        assert run_gate(op) == [], op.task_id
    core = scan("core")
    assert not [o for o in core if o.outcome == "fail"]
    # The real 2013 defects are warnings, with their observed counts.
    warned = {o.name: o.observed for o in core if o.outcome == "warn"}
    assert warned["every destination is in DIM_AIRPORTS"] > 0
    built = {m.name: publish.build(wh, m, Days.one(DAY), "r") for m in publish.MARTS}
    for op in operators("marts", built):
        assert run_gate(op) == [], op.task_id
    assert not [o for o in scan("marts", tasks.mart_scan_variables(built)) if o.outcome == "fail"]


def test_raw_gates_stop_null_carriers_and_duplicates(wh: Warehouse, seeded: Path):
    lines = seeded.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",UA,", ",,", 1)
    seeded.write_text("".join(lines + lines[2:5]))  # and three rows delivered twice
    load_all(wh)
    failures = {op.task_id: run_gate(op) for op in operators("raw")}
    col = failures["check_raw_flights_columns"]
    assert isinstance(col, gates.GateFailed) and "CARRIER.null_check" in str(col) and "observed 1" in str(col)
    table = failures["check_raw_flights_table"]
    # Snowflake's CONCAT_WS is null when any part is: a null key counts against uniqueness too.
    assert isinstance(table, gates.GateFailed) and "flight_key_unique — observed 4" in str(table)
    assert audit_failures(wh, "check_raw_flights_columns") == {"CARRIER.null_check": "1"}
    assert audit_failures(wh, "check_raw_flights_table") == {"flight_key_unique": "4"}
    soda_failed = {o.name: o.observed for o in scan("raw") if o.outcome == "fail"}
    assert soda_failed["carrier is never null"] == 1
    assert soda_failed["flight key is unique within the partition"] == 3
    # The gate task runs all of them in one go: every failure recorded and named at once.
    with pytest.raises(gates.GateFailed) as stopped:
        gates.run_gate("raw", context("gate_raw", "ingest"))
    assert "CARRIER.null_check — observed 1" in str(stopped.value)
    assert "carrier is never null — observed 1" in str(stopped.value)
    recorded = audit_failures(wh, "gate_raw")
    assert recorded["CARRIER.null_check"] == "1" and recorded["flight_key_unique"] == "4"
    assert recorded["carrier is never null"] == "1"


def test_core_gate_stops_unknown_carrier(wh: Warehouse, seeded: Path):
    lines = seeded.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",UA,", ",ZZ,", 1)
    seeded.write_text("".join(lines))
    load_all(wh)
    models.transform(wh, Days.one(DAY))
    result = {op.task_id: run_gate(op) for op in operators("core")}["check_core_fct_flights_table"]
    assert isinstance(result, gates.GateFailed) and "carriers_in_dim_carriers — observed 1" in str(result)
    soda_failed = [o.name for o in scan("core") if o.outcome == "fail"]
    assert soda_failed == ["every carrier is in DIM_CARRIERS"]


def test_failed_mart_audit_leaves_published_mart_unchanged(wh: Warehouse, seeded: Path):
    load_all(wh)
    models.transform(wh, Days.one(DAY))
    view = f"{wh.database}.MARTS.CARRIER_DAILY_PERFORMANCE"
    before = sorted(wh.query(f"select * from {view}")[1])
    built = {m.name: publish.build(wh, m, Days.one(DAY), "r") for m in publish.MARTS}
    table = built["CARRIER_DAILY_PERFORMANCE"]["table"]
    # A bug in the mart logic: one carrier's flights double-counted, a rate above 1.
    wh.execute(
        f"update {wh.database}.MARTS_VERSIONS.{table} set flights = flights * 2, on_time_rate = 1.5 "
        "where carrier = 'UA'"
    )
    results = {op.task_id: run_gate(op) for op in operators("marts", built)}
    assert "flights_reconcile_with_core" in str(results["check_marts_carrier_daily_performance_table"])
    assert "ON_TIME_RATE.max" in str(results["check_marts_carrier_daily_performance_columns"])
    soda_failed = [o.name for o in scan("marts", tasks.mart_scan_variables(built)) if o.outcome == "fail"]
    assert "flights reconcile with CORE.FCT_FLIGHTS" in soda_failed
    assert "on-time rate within [0, 1]" in soda_failed
    # The publish task: the audit fails, the new versions are dropped, the view never moved.
    with pytest.raises(gates.GateFailed):
        tasks.audit_and_publish_marts(built, context("audit_and_publish", "publish"))
    assert sorted(wh.query(f"select * from {view}")[1]) == before
    _, left = wh.query(
        "select table_name from information_schema.tables where table_schema = 'MARTS_VERSIONS' and table_name = %(t)s",
        {"t": table},
    )
    assert left == []
    assert "flights_reconcile_with_core" in audit_failures(wh, "audit_and_publish")


def test_a_passing_audit_publishes_the_new_versions(wh: Warehouse, seeded: Path):
    load_all(wh)
    models.transform(wh, Days.one(DAY))
    built = {m.name: publish.build(wh, m, Days.one(DAY), "r") for m in publish.MARTS}
    versions = tasks.audit_and_publish_marts(built, context("audit_and_publish", "publish"))
    assert versions == {name: info["version"] for name, info in built.items()}
    flights = wh.scalar(f"select sum(flights) from {wh.database}.MARTS.CARRIER_DAILY_PERFORMANCE")
    assert int(flights) == int(wh.scalar(f"select count(*) from {wh.database}.CORE.FCT_FLIGHTS"))


def test_late_partition_is_reported_as_a_warning(wh: Warehouse, seeded: Path):
    load_all(wh)
    # A day that landed three hours ago and was never published.
    wh.execute(
        f"insert into {wh.database}.AUDIT.FILE_LOADS (source, partition_key, source_file, batch_id, rows_in_file, "
        "rows_loaded, rows_quarantined, run_id, loaded_at) values ('FLIGHTS', '2013-01-09', 'f', 'b', 1, 1, 0, 'r', "
        "dateadd(hour, -3, current_timestamp()))"
    )
    late = {o.name: (o.outcome, o.observed) for o in scan("raw")}["landed partitions not published within the deadline"]
    # DAY itself was just loaded (not late yet); 2013-01-09 is late.
    assert late == ("warn", 1)
