"""End to end through the real scheduler: landing files → ingest → transform → publish."""

from __future__ import annotations

import json

import pytest
from flights_elt import landing

pytestmark = pytest.mark.e2e
START, END = "2013-01-01", "2013-01-03"


def source_counts() -> dict[str, tuple[int, int]]:
    src = landing.source_frame("flights")
    src = src[(src.month == "1") & src.day.isin(["1", "2", "3"])]
    return {f"2013-01-{int(d):02d}": (len(g), int((g.dep_time == "NA").sum())) for d, g in src.groupby("day")}


def mart_counts(stack) -> dict[str, tuple[int, int]]:
    rows = stack.query(
        "select flight_date, sum(flights), sum(cancelled) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE "
        f"where flight_date between '{START}' and '{END}' group by flight_date order by flight_date"
    )
    return {r[0]: (int(float(r[1])), int(float(r[2]))) for r in rows}


def snapshot(stack) -> dict[str, list[list[str]]]:
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


def test_partitions_flow_through_the_chain_and_match_the_source(embedded_stack, tmp_path):
    summary_file = tmp_path / "summary.json"
    out = embedded_stack.elt("run", "--start", START, "--end", END, "--json", str(summary_file))
    summary = json.loads(summary_file.read_text())
    assert summary["published"] == 3 and summary["failed"] == {}
    assert "Partitions: 3" in out.stdout and "published: 3" in out.stdout
    assert mart_counts(embedded_stack) == source_counts()
    # Each DAG ran exactly once per key.
    assert {d: v["runs"] for d, v in summary["dags"].items()} == {"ingest": 3, "transform": 3, "publish": 3}

    before = snapshot(embedded_stack)
    embedded_stack.elt("run", "--start", START, "--end", END)
    after = snapshot(embedded_stack)
    for table in before:
        gone = [r for r in before[table] if r not in after[table]]
        new = [r for r in after[table] if r not in before[table]]
        assert (gone, new) == ([], []), f"{table} changed by a rerun"
    assert mart_counts(embedded_stack) == source_counts()


def test_status_reports_every_component(embedded_stack):
    status = json.loads(embedded_stack.elt("status", "--no-checks").stdout)
    assert all(status["processes"].values()), status
    assert status["health"]["scheduler"] == "healthy"
