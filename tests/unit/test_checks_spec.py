"""The quality checks over a batch of days keep their per-day meaning.

A check over ``first_day..last_day`` must fail (warn) if and only if at least one day of the
range would fail (warn) it alone. Each defect below is put on one day only, where a total over
the range would hide it (another day cancels it out, or the other days dilute it); the same
batch without the defect passes. The SQL check specs run exactly as the gate runs them
(the SQLTableCheckOperator's own query, the ``observed`` select of ``gates``) and the SodaCL
files run as whole Soda scans, both against an in-process warehouse emulator (fakesnow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flights_elt.quality import checks_spec

CHECKS = Path(__file__).resolve().parents[2] / "checks"
DB = "ANALYTICS"
VERSIONS = "MARTS_VERSIONS"
DAYS = ("2013-01-01", "2013-01-02", "2013-01-03")  # the batch under check
FIRST, BAD, LAST = DAYS
PUBLISHED = ("2012-12-29", "2012-12-30", "2012-12-31")  # published before the batch
CDP, RDD = "CARRIER_DAILY_PERFORMANCE", "ROUTE_DAILY_DELAYS"
VERSION_TABLES = {CDP: "CDP_V2", RDD: "RDD_V2"}
FLIGHTS_PER_DAY = 6

DDL = {
    "RAW.FLIGHTS": "YEAR integer, MONTH integer, DAY integer, DEP_TIME integer, SCHED_DEP_TIME integer, "
    "DEP_DELAY float, ARR_TIME integer, SCHED_ARR_TIME integer, ARR_DELAY float, CARRIER varchar, "
    "FLIGHT integer, TAILNUM varchar, ORIGIN varchar, DEST varchar, AIR_TIME float, DISTANCE float, "
    "HOUR integer, MINUTE integer, TIME_HOUR timestamp_ntz, _PARTITION date, _SOURCE_FILE varchar, "
    "_LOADED_AT timestamp_ntz, _BATCH_ID varchar",
    "RAW.WEATHER": "ORIGIN varchar, HOUR integer, _PARTITION date, _BATCH_ID varchar",
    "AUDIT.FILE_LOADS": "SOURCE varchar, PARTITION_KEY varchar, ROWS_IN_FILE integer, ROWS_LOADED integer, "
    "ROWS_QUARANTINED integer, LOADED_AT timestamp_ntz",
    "AUDIT.PUBLICATIONS": "PARTITION_KEY varchar, STATUS varchar",
    "CORE.FCT_FLIGHTS": "FLIGHT_DATE date, CARRIER varchar, FLIGHT integer, ORIGIN varchar, DEST varchar, "
    "TAILNUM varchar, SCHED_DEP_TIME integer, DISTANCE float, IS_CANCELLED boolean, IS_ON_TIME boolean",
    "CORE.DIM_CARRIERS": "CARRIER varchar",
    "CORE.DIM_AIRPORTS": "FAA varchar",
    "CORE.DIM_PLANES": "TAILNUM varchar",
    f"MARTS.{CDP}": "FLIGHT_DATE date, CARRIER varchar, FLIGHTS integer, CANCELLED integer, ON_TIME_RATE float",
    f"{VERSIONS}.CDP_V2": "FLIGHT_DATE date, CARRIER varchar, FLIGHTS integer, CANCELLED integer, ON_TIME_RATE float",
    f"MARTS.{RDD}": "FLIGHT_DATE date, ORIGIN varchar, DEST varchar, DEST_NAME varchar, FLIGHTS integer, "
    "CANCELLED integer",
    f"{VERSIONS}.RDD_V2": "FLIGHT_DATE date, ORIGIN varchar, DEST varchar, DEST_NAME varchar, FLIGHTS integer, "
    "CANCELLED integer",
}


# --------------------------------------------------------------------------- the data of a batch


def flight(day: str, i: int) -> dict[str, Any]:
    """Flight i of a day: two carriers, two origins. TIME_HOUR runs to 01:00 the next day for
    six flights (UTC, as in the source): 11 hours before the coverage deadline, the next day at
    12:00."""
    d = dt.date.fromisoformat(day)
    return {
        "YEAR": d.year,
        "MONTH": d.month,
        "DAY": d.day,
        "DEP_TIME": 600 + 10 * i,
        "SCHED_DEP_TIME": 600 + 10 * i,
        "DEP_DELAY": 0.0,
        "CARRIER": ("AA", "UA")[i % 2],
        "FLIGHT": 100 + i,
        "TAILNUM": f"N{i % FLIGHTS_PER_DAY}",
        "ORIGIN": ("EWR", "JFK")[i % 2],
        "DEST": "LAX",
        "DISTANCE": 2475.0,
        "HOUR": 6,
        "TIME_HOUR": dt.datetime.combine(d, dt.time()) + dt.timedelta(hours=min(25, 10 + 3 * i)),
        "_PARTITION": d,
        "_BATCH_ID": "b",
    }


def good_batch(flights_per_day: dict[str, int] | None = None) -> dict[str, Any]:
    """RAW, CORE and the marts of the batch, all consistent; the marts also hold the published
    days before the batch (the view holds those days, the new version rebuilds all of them).
    ``flights_per_day`` changes the number of flights of some days (consistently everywhere)."""
    count = {d: FLIGHTS_PER_DAY for d in DAYS} | (flights_per_day or {})
    raw = [flight(day, i) for day in DAYS for i in range(count[day])]
    weather = [
        {"ORIGIN": o, "HOUR": h, "_PARTITION": day, "_BATCH_ID": "b"}
        for day in DAYS
        for o in ("EWR", "JFK", "LGA")
        for h in range(24)
    ]
    return {
        "RAW.FLIGHTS": raw,
        "RAW.WEATHER": weather,
        "AUDIT.FILE_LOADS": [
            {"SOURCE": src, "PARTITION_KEY": day, "ROWS_IN_FILE": n, "ROWS_LOADED": n, "ROWS_QUARANTINED": 0}
            for day in DAYS
            for src, n in (("FLIGHTS", count[day]), ("WEATHER", 72))
        ],
        "CORE.FCT_FLIGHTS": core_of(raw),
        "MARTS": marts_of(core_of([flight(day, i) for day in PUBLISHED for i in range(FLIGHTS_PER_DAY)] + raw)),
    }


def core_of(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "FLIGHT_DATE": f["_PARTITION"],
            **{k: f[k] for k in ("CARRIER", "FLIGHT", "ORIGIN", "DEST", "TAILNUM", "SCHED_DEP_TIME", "DISTANCE")},
            "IS_CANCELLED": f["DEP_TIME"] is None,
            "IS_ON_TIME": f["DEP_TIME"] is not None,
        }
        for f in raw
    ]


def marts_of(core: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    def grouped(keys: tuple[str, ...]) -> list[dict[str, Any]]:
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for f in core:
            groups.setdefault(tuple(f[k] for k in keys), []).append(f)
        return [
            {
                **dict(zip(keys, key, strict=True)),
                "FLIGHTS": len(fs),
                "CANCELLED": sum(f["IS_CANCELLED"] for f in fs),
                **({"ON_TIME_RATE": sum(f["IS_ON_TIME"] for f in fs) / len(fs)} if "CARRIER" in keys else {}),
                **({"DEST_NAME": "Los Angeles"} if "DEST" in keys else {}),
            }
            for key, fs in groups.items()
        ]

    return {CDP: grouped(("FLIGHT_DATE", "CARRIER")), RDD: grouped(("FLIGHT_DATE", "ORIGIN", "DEST"))}


def _literal(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Any]:
    """An in-process emulator (fakesnow on DuckDB); Soda's Snowflake connector lands on it too."""
    import fakesnow

    with fakesnow.patch():
        import snowflake.connector

        conn = snowflake.connector.connect(database=DB, schema="RAW")
        for schema in ("AUDIT", "CORE", "MARTS", VERSIONS):
            conn.cursor().execute(f"create schema if not exists {DB}.{schema}")
        yield conn
        conn.close()


def load(conn: Any, batch: dict[str, Any]) -> None:
    """Replace every table's rows with ``batch``: the view shows the published days only; the new
    version tables hold everything (published days unchanged, the batch's days rebuilt)."""
    marts = batch["MARTS"]
    rows = {
        **{k: v for k, v in batch.items() if k != "MARTS"},
        "AUDIT.PUBLICATIONS": [{"PARTITION_KEY": d, "STATUS": "published"} for d in PUBLISHED],
        "CORE.DIM_CARRIERS": [{"CARRIER": c} for c in ("AA", "UA")],
        "CORE.DIM_AIRPORTS": [{"FAA": "LAX"}],
        "CORE.DIM_PLANES": [{"TAILNUM": f"N{i}"} for i in range(FLIGHTS_PER_DAY)],
        f"MARTS.{CDP}": batch.get("VIEW", [r for r in marts[CDP] if str(r["FLIGHT_DATE"]) in PUBLISHED]),
        f"{VERSIONS}.CDP_V2": marts[CDP],
        f"MARTS.{RDD}": [r for r in marts[RDD] if str(r["FLIGHT_DATE"]) in PUBLISHED],
        f"{VERSIONS}.RDD_V2": marts[RDD],
    }
    cur = conn.cursor()
    for table, columns in DDL.items():
        cur.execute(f"create or replace table {DB}.{table} ({columns})")
        names = [c.split()[0] for c in columns.split(", ")]
        values = [
            "(" + ", ".join("current_timestamp()" if n == "LOADED_AT" else _literal(r.get(n)) for n in names) + ")"
            for r in rows.get(table, [])
        ]
        if values:
            cur.execute(f"insert into {DB}.{table} ({', '.join(names)}) values {', '.join(values)}")


# --------------------------------------------------------------------------- running the checks


def table_checks(conn: Any, layer: str, name: str, first: str = FIRST, last: str = LAST) -> dict[str, tuple[bool, Any]]:
    """Each table check of ``checks_spec``: (passed, observed), run as the gate runs it — the
    operator's own query with the gate's partition clause, then the ``observed`` select."""
    from airflow.providers.common.sql.operators.sql import SQLTableCheckOperator

    spec = next(s for s in checks_spec.LAYERS[layer] if s.name == name)
    version_table = VERSION_TABLES.get(name.upper())
    c = checks_spec.resolve(spec, DB, VERSIONS, first, last, version_table)
    clause = f"{c.partition_column} BETWEEN '{first}' AND '{last}'"
    op = SQLTableCheckOperator(
        task_id="op", table=c.table, checks=c.table_checks, partition_clause=clause, conn_id="unused"
    )
    cur = conn.cursor()
    cur.execute(op.sql)
    verdicts = {check: str(result) == "1" for check, result in cur.fetchall()}
    names = list(c.table_checks)
    select = ", ".join(f"{c.table_checks[n]['observed']} AS {n}" for n in names)
    cur.execute(f"SELECT {select} FROM {c.table} WHERE {clause}")
    row = cur.fetchone() or (None,) * len(names)
    assert set(verdicts) == set(names)
    return {n: (verdicts[n], None if v is None else float(v)) for n, v in zip(names, row, strict=True)}


def soda(layer: str, first: str = FIRST, last: str = LAST) -> dict[str, tuple[str, Any]]:
    """The Soda scan of one layer's files with the gate's variables: {check name: (outcome, value)}.
    A scan with errors (a file that does not parse, a query that fails or returns null) fails
    the test: the gate would raise, not decide."""
    from soda.scan import Scan

    schema = {"raw": "RAW", "core": "CORE", "marts": VERSIONS}[layer]
    days = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1
    scan = Scan()
    scan.disable_telemetry()
    scan.set_scan_definition_name(f"test-{layer}")
    scan.set_data_source_name("warehouse")
    scan.add_configuration_yaml_str(
        "data_source warehouse:\n  type: snowflake\n  account: test\n  username: u\n  password: p\n"
        f"  database: {DB}\n  schema: {schema}\n"
    )
    scan.add_variables(
        {
            "first_day": first,
            "last_day": last,
            "days": str(days),
            "DATABASE": DB,
            "PUBLISH_DEADLINE_MINUTES": "60",
            **{f"{m}_TABLE": t for m, t in VERSION_TABLES.items()},
            **{f"{m}_VIEW": f"{DB}.MARTS.{m}" for m in VERSION_TABLES},
        }
    )
    for f in sorted((CHECKS / layer).glob("*.yml")):
        scan.add_sodacl_yaml_file(str(f))
    scan.execute()
    assert not scan.has_error_logs(), scan.get_error_logs_text()
    results = scan.get_scan_results()["checks"]
    out = {f"{c['table']}: {c['name']}": (c["outcome"], (c.get("diagnostics") or {}).get("value")) for c in results}
    assert len(out) == len(results), "check names must be unique per table"
    return out


def failing(results: dict[str, tuple[str, Any]], *outcomes: str) -> dict[str, Any]:
    return {name: value for name, (outcome, value) in results.items() if outcome in (outcomes or ("fail", "warn"))}


def rows_of(batch: dict[str, Any], table: str, day: str) -> list[dict[str, Any]]:
    key = "_PARTITION" if table.startswith("RAW") else "FLIGHT_DATE"
    return [r for r in batch[table] if str(r[key]) == day]


# --------------------------------------------------------------------------- resolve


def test_resolve_fills_the_days_and_counts_them():
    spec = checks_spec.CORE[0]
    c = checks_spec.resolve(spec, DB, VERSIONS, "2013-01-30", "2013-02-02")
    statement = c.table_checks["row_count_positive"]["check_statement"]
    assert statement == "COUNT(DISTINCT FLIGHT_DATE) = 4"
    assert "FLIGHT_DATE BETWEEN '2013-01-30' AND '2013-02-02'" in c.table_checks["reconciles_with_raw"]["observed"]
    texts = [t for check in c.table_checks.values() for t in check.values()]
    assert not [t for t in texts if "{" in t] and c.table == f"{DB}.CORE.FCT_FLIGHTS"
    # Every check name the gate, the audit table and the alerts know is still there.
    names = {s.name: set(s.table_checks) for layer in checks_spec.LAYERS.values() for s in layer}
    assert names["flights"] == {"row_count_positive", "flight_key_unique", "rows_in_partition"}
    assert names["file_loads"] == {"file_rows_accounted_for", "quarantine_share_below_5pct"}
    assert names["fct_flights"] == {
        "row_count_positive",
        "flight_key_unique",
        "reconciles_with_raw",
        "carriers_in_dim_carriers",
    }
    assert names["carrier_daily_performance"] == {
        "flights_reconcile_with_core",
        "cancelled_reconcile_with_core",
        "cancelled_within_flights",
    }
    assert names["route_daily_delays"] == {"flights_reconcile_with_core"}


@pytest.mark.parametrize(
    "first, last",
    [("2013-01-02", "2013-01-01"), ("2013-1-2", "2013-01-03"), ("20130102", "20130103"), ("x", "2013-01-01")],
)
def test_resolve_refuses_what_is_not_a_range_of_iso_days(first, last):
    with pytest.raises(ValueError):
        checks_spec.resolve(checks_spec.CORE[0], DB, VERSIONS, first, last)


def test_resolve_needs_the_version_table_of_a_mart():
    with pytest.raises(ValueError, match="version table"):
        checks_spec.resolve(checks_spec.MARTS[0], DB, VERSIONS, FIRST, LAST)


# --------------------------------------------------------------------------- the SQL check specs


def test_sql_checks_pass_a_good_batch(warehouse):
    load(warehouse, good_batch())
    for layer, name in [
        ("raw", "flights"),
        ("raw", "file_loads"),
        ("core", "fct_flights"),
        ("marts", "carrier_daily_performance"),
        ("marts", "route_daily_delays"),
    ]:
        results = table_checks(warehouse, layer, name)
        assert all(passed for passed, _ in results.values()), (name, results)
    assert table_checks(warehouse, "raw", "flights")["row_count_positive"] == (True, 0)


def test_sql_checks_fail_when_one_day_is_bad_and_totals_would_hide_it(warehouse):
    batch = good_batch()
    # CORE vs RAW: the first day lost two flights, the last day has two too many (18 flights
    # on both sides over the batch).
    core = [f for f in batch["CORE.FCT_FLIGHTS"] if not (str(f["FLIGHT_DATE"]) == FIRST and f["FLIGHT"] < 102)]
    extra = [dict(f, FLIGHT=f["FLIGHT"] + 50) for f in rows_of(batch, "CORE.FCT_FLIGHTS", LAST)[:2]]
    batch["CORE.FCT_FLIGHTS"] = core + extra
    # Files: the middle day's flights file lost a line, its weather file counts one too many
    # (the day's totals agree); the last day's weather file quarantined 8 of its 72 lines
    # (11 %), while the day's files together (with 1000 flights) quarantined under 1 %.
    for r in batch["AUDIT.FILE_LOADS"]:
        if r["PARTITION_KEY"] == BAD:
            r["ROWS_LOADED"] += -1 if r["SOURCE"] == "FLIGHTS" else 1
        if r["PARTITION_KEY"] == LAST and r["SOURCE"] == "WEATHER":
            r["ROWS_LOADED"], r["ROWS_QUARANTINED"] = 64, 8
        if r["PARTITION_KEY"] == LAST and r["SOURCE"] == "FLIGHTS":
            r["ROWS_IN_FILE"] = r["ROWS_LOADED"] = 1000
    # Marts built from the good CORE: per day mart vs CORE flights 6 vs 4, 6 vs 6, 6 vs 8. The
    # cancellations (none in CORE): one too few on the middle day, one too many on the last.
    cdp = batch["MARTS"][CDP]
    day_rows = {d: [r for r in cdp if str(r["FLIGHT_DATE"]) == d] for d in DAYS}
    day_rows[BAD][0]["CANCELLED"] -= 1
    day_rows[LAST][1]["CANCELLED"] += 1
    load(warehouse, batch)

    files = table_checks(warehouse, "raw", "file_loads")
    assert files["file_rows_accounted_for"] == (False, 2)  # 1 line lost + 1 line too many
    assert files["quarantine_share_below_5pct"][0] is False
    assert files["quarantine_share_below_5pct"][1] == pytest.approx(8 / 72)  # the worst file
    # Per day |CORE - RAW|: 2 + 0 + 2.
    assert table_checks(warehouse, "core", "fct_flights")["reconciles_with_raw"] == (False, 4)
    marts = table_checks(warehouse, "marts", "carrier_daily_performance")
    assert marts["flights_reconcile_with_core"] == (False, 4)
    assert marts["cancelled_reconcile_with_core"] == (False, 2)
    assert marts["cancelled_within_flights"] == (True, 0)
    assert table_checks(warehouse, "marts", "route_daily_delays")["flights_reconcile_with_core"] == (False, 4)

    # The days on their own: only the bad ones fail, with the old daily observed value
    # (the absolute difference for a reconciliation).
    one_day = {d: table_checks(warehouse, "core", "fct_flights", d, d)["reconciles_with_raw"] for d in DAYS}
    assert one_day == {FIRST: (False, 2), BAD: (True, 0), LAST: (False, 2)}
    files_by_day = {d: table_checks(warehouse, "raw", "file_loads", d, d) for d in DAYS}
    assert files_by_day[FIRST] == {"file_rows_accounted_for": (True, 0), "quarantine_share_below_5pct": (True, 0)}
    assert files_by_day[BAD]["file_rows_accounted_for"] == (False, 2)
    assert files_by_day[LAST]["quarantine_share_below_5pct"][0] is False


def test_sql_checks_fail_on_a_day_without_rows_a_duplicate_within_a_day_and_unrecorded_files(warehouse):
    batch = good_batch()
    batch["RAW.FLIGHTS"] = [f for f in batch["RAW.FLIGHTS"] if str(f["_PARTITION"]) != BAD]
    batch["RAW.FLIGHTS"].append(dict(rows_of(batch, "RAW.FLIGHTS", LAST)[0]))
    batch["CORE.FCT_FLIGHTS"].append(dict(rows_of(batch, "CORE.FCT_FLIGHTS", LAST)[0]))
    batch["AUDIT.FILE_LOADS"] = [r for r in batch["AUDIT.FILE_LOADS"] if r["PARTITION_KEY"] != BAD]
    load(warehouse, batch)
    raw = table_checks(warehouse, "raw", "flights")
    assert raw["row_count_positive"] == (False, 1)  # days without flights
    assert raw["flight_key_unique"] == (False, 1)
    assert raw["rows_in_partition"] == (True, 0)
    assert table_checks(warehouse, "core", "fct_flights")["flight_key_unique"] == (False, 1)
    files = table_checks(warehouse, "raw", "file_loads")
    assert files == {"file_rows_accounted_for": (False, None), "quarantine_share_below_5pct": (False, None)}
    # One day: a day without rows fails; a good day passes; a range without any row at all
    # still gets a verdict (the operator's query returns one row).
    assert table_checks(warehouse, "raw", "flights", BAD, BAD)["row_count_positive"] == (False, 1)
    assert table_checks(warehouse, "raw", "flights", FIRST, FIRST) == {
        "row_count_positive": (True, 0),
        "flight_key_unique": (True, 0),
        "rows_in_partition": (True, 0),
    }
    assert table_checks(warehouse, "raw", "flights", "2014-01-01", "2014-01-02")["row_count_positive"] == (False, 2)
    empty_core = table_checks(warehouse, "core", "fct_flights", "2014-01-01", "2014-01-01")
    assert empty_core["reconciles_with_raw"] == (True, 0)


# --------------------------------------------------------------------------- the SodaCL files


def test_soda_checks_pass_a_good_batch_and_a_single_day(warehouse):
    load(warehouse, good_batch())
    for layer in ("raw", "core", "marts"):
        assert failing(soda(layer)) == {}, layer
    raw_day = soda("raw", BAD, BAD)
    assert failing(raw_day) == {}
    assert raw_day["FLIGHTS: every day's file covers the whole day"] == ("pass", 11)
    assert raw_day["FLIGHTS: the partition has flights"] == ("pass", 0)


def test_soda_raw_checks_find_the_one_bad_day(warehouse):
    batch = good_batch()
    bad_day = rows_of(batch, "RAW.FLIGHTS", BAD)
    # The middle day: one cancelled flight (1 in 6, 16.67 % > 10 %, but 1 in 18 over the batch),
    # two without a tail number (33 % > 5 %; 11 % over the batch), an average departure delay of
    # 70 minutes (23 over the batch) and a file that ends at 22:00 (14 hours before the
    # deadline; over the batch the latest TIME_HOUR is only 11 hours before the last deadline).
    bad_day[0]["DEP_TIME"] = None
    bad_day[1]["TAILNUM"] = bad_day[2]["TAILNUM"] = None
    for f in bad_day:
        f["DEP_DELAY"] = 70.0
        f["TIME_HOUR"] = min(f["TIME_HOUR"], dt.datetime(2013, 1, 2, 22))
    # Weather: the first day has 59 readings; the middle and the last day each read two
    # (origin, hour) pairs twice: 4 duplicates over the batch, but no day has more than 3.
    w = batch["RAW.WEATHER"]
    batch["RAW.WEATHER"] = [
        r for r in w if not (str(r["_PARTITION"]) == FIRST and r["HOUR"] < 4 + (r["ORIGIN"] == "LGA"))
    ]
    for day in (BAD, LAST):
        batch["RAW.WEATHER"] += [
            dict(r) for r in w if str(r["_PARTITION"]) == day and r["HOUR"] < 2 and r["ORIGIN"] == "EWR"
        ]
    load(warehouse, batch)
    results = soda("raw")
    assert failing(results, "fail") == {}
    found = failing(results, "warn")
    assert found == {
        "FLIGHTS: share of cancelled flights, worst day": pytest.approx(16.67),
        "FLIGHTS: share of flights without a tail number, worst day": pytest.approx(33.33),
        "FLIGHTS: average departure delay is plausible on every day": pytest.approx(70),
        "FLIGHTS: every day's file covers the whole day": pytest.approx(14),
        "WEATHER: hourly readings per day, lowest day (3 airports x 24 hours; none at all warns too)": 59,
    }, found


def test_soda_raw_checks_find_a_day_without_flights_and_a_day_with_too_many_readings(warehouse):
    batch = good_batch()
    batch["RAW.FLIGHTS"] = [f for f in batch["RAW.FLIGHTS"] if str(f["_PARTITION"]) != BAD]
    w = batch["RAW.WEATHER"]
    w += [dict(r) for r in w if str(r["_PARTITION"]) == LAST and r["HOUR"] < 3]  # 9 pairs twice: 81 readings
    load(warehouse, batch)
    results = soda("raw")
    assert failing(results, "fail") == {
        "FLIGHTS: the partition has flights": 1,
        "FLIGHTS: every day's file covers the whole day": 999999,
    }
    assert failing(results, "warn") == {
        "WEATHER: hourly readings per day, highest day (3 airports x 24 hours)": 81,
        "WEATHER: one reading per airport and hour": 9,
    }


def test_soda_core_and_mart_checks_find_the_one_bad_day(warehouse):
    batch = good_batch()
    # The middle day is missing from CORE and from the new versions of the marts.
    batch["CORE.FCT_FLIGHTS"] = [f for f in batch["CORE.FCT_FLIGHTS"] if str(f["FLIGHT_DATE"]) != BAD]
    for mart in (CDP, RDD):
        batch["MARTS"][mart] = [r for r in batch["MARTS"][mart] if str(r["FLIGHT_DATE"]) != BAD]
    # Carrier mart: the first day counts one flight too few, the last day one too many (the
    # batch's total is right), and a published day outside the batch changed.
    cdp = batch["MARTS"][CDP]
    next(r for r in cdp if str(r["FLIGHT_DATE"]) == FIRST)["FLIGHTS"] -= 1
    next(r for r in cdp if str(r["FLIGHT_DATE"]) == LAST)["FLIGHTS"] += 1
    batch["VIEW"] = [dict(r) for r in cdp if str(r["FLIGHT_DATE"]) in PUBLISHED]
    next(r for r in cdp if str(r["FLIGHT_DATE"]) == PUBLISHED[0])["CANCELLED"] = 1
    load(warehouse, batch)
    assert failing(soda("core")) == {"FCT_FLIGHTS: the partition has flights": 1}
    assert failing(soda("marts")) == {
        "CDP_V2: every day of the batch is in the new version": 1,
        "RDD_V2: every day of the batch is in the new version": 1,
        "CDP_V2: flights reconcile with CORE.FCT_FLIGHTS": 2,
        "CDP_V2: no published day outside the batch changes": 1,
    }
    # One day on its own: the daily observed value of before (|mart - CORE| of that day).
    first = soda("marts", FIRST, FIRST)
    assert first["CDP_V2: flights reconcile with CORE.FCT_FLIGHTS"] == ("fail", 1)
    assert first["CDP_V2: every day of the batch is in the new version"] == ("pass", 0)


def test_soda_mart_volume_checks_each_day_against_the_other_days(warehouse):
    # Published days and the first day: 6 flights each; the middle day 40, the last day 1.
    # Middle day: 40 / avg(6, 6, 6, 6, 1) = 8 (> 5); last day: 1 / avg(6, 6, 6, 6, 40) = 0.078
    # (< 0.1; against the published days alone it would be 0.17: the other days of the batch
    # count too); first day: 6 / avg(6, 6, 6, 40, 1) = 0.51. The batch's average day (15.7
    # flights) is only 2.6 times the published days': a total would merely warn.
    load(warehouse, good_batch({BAD: 40, LAST: 1}))
    results = soda("marts")
    assert failing(results, "fail") == {
        "CDP_V2: lowest daily volume versus the other days (ratio to their average)": pytest.approx(1 / 12.8),
        "CDP_V2: highest daily volume versus the other days (ratio to their average)": pytest.approx(8),
    }
    assert failing(results, "warn") == {}
    # The first day on its own (against the published days only) is an ordinary day.
    first = soda("marts", FIRST, FIRST)
    assert first["CDP_V2: lowest daily volume versus the other days (ratio to their average)"] == ("pass", 1)
    assert first["CDP_V2: highest daily volume versus the other days (ratio to their average)"] == ("pass", 1)
