"""`make bench` on a short range: the benchmark runs end to end on its own stack and writes every
key the performance targets are read from. Times are not asserted (a noisy machine would make
that flaky); the full-year figures come from `make bench` itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flights_elt.config import PROJECT_ROOT

from bench.run import TARGETS

pytestmark = pytest.mark.e2e
DAYS = 7


def test_the_bench_writes_every_key_over_a_week(tmp_path: Path) -> None:
    out = subprocess.run(
        # The container keys (image builds from an empty build cache) belong to `make bench` alone.
        [
            *(sys.executable, "-m", "bench.run", "--days", str(DAYS), "--batch-days", "2"),
            *("--results", str(tmp_path), "--containers", "no"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    [written] = [p for p in tmp_path.glob("*.json") if p.name != "progress.json"]
    assert written.with_suffix(".md").exists()
    result = json.loads(written.read_text())

    for key in [*TARGETS, "empty_chain_full_year_s", "load_throughput_ratio_vs_duckdb_file"]:
        assert isinstance(result[key], int | float) and result[key] > 0, key
    assert set(result["targets"]) == set(TARGETS)
    assert result["machine"]["cores"] >= 1 and result["machine"]["memory_gib"] > 0
    assert result["versions"]["apache-airflow"].startswith("3.3.")
    # The week went through every gate: all days published, nothing failed. Day 1 alone, the one
    # day between it and the last five in one batch, then the five one at a time: 7 runs a DAG.
    assert result["published_days"] == DAYS and result["fail_outcomes"] == 0 and not result["failed_partitions"]
    assert result["runs_per_dag"] == {"ingest": 7, "transform": 7, "publish": 7}
    lt = result["load_throughput"]
    assert lt["project_rows"] == lt["duckdb_rows"] == 336_776  # the whole year's file, both sides
