"""End to end through the real scheduler: landing files → ingest → transform → publish."""

from __future__ import annotations

import json

import pytest

from tests.helpers import mart_flight_counts, snapshot_changes, source_flight_counts, warehouse_snapshot

pytestmark = pytest.mark.e2e
START, END = "2013-01-01", "2013-01-03"


def source_counts() -> dict[str, tuple[int, int]]:
    return source_flight_counts(START, END)


def mart_counts(stack) -> dict[str, tuple[int, int]]:
    return mart_flight_counts(stack, START, END)


def test_partitions_flow_through_the_chain_and_match_the_source(embedded_stack, tmp_path):
    summary_file = tmp_path / "summary.json"
    out = embedded_stack.elt("run", "--start", START, "--end", END, "--json", str(summary_file))
    summary = json.loads(summary_file.read_text())
    assert summary["published"] == 3 and summary["failed"] == {}
    assert "Partitions: 3" in out.stdout and "published: 3" in out.stdout
    assert mart_counts(embedded_stack) == source_counts()
    # Each DAG ran exactly once per key.
    assert {d: v["runs"] for d, v in summary["dags"].items()} == {"ingest": 3, "transform": 3, "publish": 3}

    before = warehouse_snapshot(embedded_stack)
    embedded_stack.elt("run", "--start", START, "--end", END)
    assert snapshot_changes(before, warehouse_snapshot(embedded_stack)) == {}, "a rerun changed the warehouse"
    assert mart_counts(embedded_stack) == source_counts()


def test_status_reports_every_component(embedded_stack):
    status = json.loads(embedded_stack.elt("status", "--no-checks").stdout)
    assert all(status["processes"].values()), status
    assert status["health"]["scheduler"] == "healthy"
