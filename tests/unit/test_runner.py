"""What `elt run` reports about a run, computed from the scheduler's run records."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from flights_elt.cli import runner
from flights_elt.pipeline import days
from flights_elt.pipeline.days import Days

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def run(state: str, end_after_s: float | None) -> dict:
    end = (T0 + dt.timedelta(seconds=end_after_s)).isoformat().replace("+00:00", "Z") if end_after_s else None
    return {"state": state, "start_date": T0.isoformat(), "end_date": end, "dag_run_id": "r", "run_after": "x"}


def key(name: str, triggered_after_s: float, publish_end_s: float | None, publish_state: str = "success"):
    p = runner.KeyProgress(name, triggered_at=T0 + dt.timedelta(seconds=triggered_after_s))
    p.runs = {"ingest": run("success", 5), "transform": run("success", 8), "publish": run(publish_state, publish_end_s)}
    return p


def test_latency_runs_from_the_trigger_to_the_end_of_publish():
    progress = {k.key: k for k in (key("a", 0, 10), key("b", 1, 13), key("c", 2, 20))}
    times = runner.pipeline_times(progress)
    assert times == {"chain_s": 20.0, "latency_median_s": 12.0, "latency_max_s": 18.0}


def test_a_day_that_did_not_publish_has_no_latency():
    stopped = key("a", 0, 30, publish_state="failed")
    stopped.runs["publish"]["_failed_tasks"] = ["audit_and_publish"]
    assert stopped.latency_s is None
    assert runner.pipeline_times({"a": stopped})["latency_median_s"] is None


def test_a_failed_task_is_reported_with_the_exception_it_raised_not_its_causes():
    events = [
        {"event": "gate passed", "level": "info"},
        {
            "event": "Task failed with exception",
            "level": "error",
            "error_detail": [
                {"exc_type": "GateFailed", "exc_value": "gate audit_and_publish failed:\n  - rows   observed 0"},
                {"exc_type": "ValueError", "exc_value": "the cause", "is_cause": True},
            ],
        },
        {"event": "Task instance in failure state", "level": "info"},
        "an unparsed line",
    ]
    assert runner.last_error(events) == "GateFailed: gate audit_and_publish failed: - rows observed 0"
    assert runner.last_error([{"event": "fine", "level": "info"}]) is None
    long = runner.last_error([{"event": "x", "error_detail": [{"exc_type": "E", "exc_value": "v" * 1000}]}])
    assert long is not None and len(long) == 300 and long.endswith("…")


def test_a_backfill_is_cut_into_batches_of_consecutive_days_covering_every_day_once():
    runs = runner.batches("2013-01-01", "2013-03-01", 31)
    assert [(d.first, d.last) for d in runs] == [("2013-01-01", "2013-01-31"), ("2013-02-01", "2013-03-01")]
    assert [k for d in runs for k in d.keys] == Days("2013-01-01", "2013-03-01").keys
    assert [len(d) for d in runner.batches("2013-01-01", "2013-01-07")] == [1] * 7


def test_the_days_of_a_run_come_from_its_conf_or_from_the_events_that_triggered_it():
    ingest = {"dag_run": SimpleNamespace(partition_key="2013-01-01", conf={"through": "2013-01-31"})}
    assert days.of_run(ingest) == Days("2013-01-01", "2013-01-31")
    event = SimpleNamespace(extra={"partition": "2013-01-01", "through": "2013-01-31"})
    transform = {
        "dag_run": SimpleNamespace(partition_key="2013-01-01", conf={}),
        "triggering_asset_events": {"a": [event]},
    }
    assert days.of_run(transform).label == "2013-01-01..2013-01-31"
    daily = {"dag_run": SimpleNamespace(partition_key="2013-01-05", conf=None)}
    assert days.of_run(daily) == Days.one("2013-01-05") and days.of_run(daily).label == "2013-01-05"
    with pytest.raises(ValueError, match="is before the first day"):
        days.of_run({"dag_run": SimpleNamespace(partition_key="2013-01-05", conf={"through": "2013-01-04"})})


def test_a_stopped_batch_runs_its_days_again_one_by_one(monkeypatch: pytest.MonkeyPatch):
    batch = key("2013-01-01", 0, 30, publish_state="failed")
    batch.through = "2013-01-03"
    batch.runs["publish"]["_failed_tasks"] = ["audit_and_publish: GateFailed"]
    fine = key("2013-01-04", 0, 30)
    asked: list[list[Days]] = []

    def follow(runs: list[Days], **_: object) -> dict:
        asked.append(runs)
        return {d.first: key(d.first, 40, 60, "failed" if d.first == "2013-01-02" else "success") for d in runs}

    monkeypatch.setattr(runner, "follow", follow)
    for p in (batch, fine):
        p.runs["publish"].setdefault("_failed_tasks", [])
    out = runner.split_failed({batch.key: batch, fine.key: fine})
    assert asked == [[Days.one("2013-01-01"), Days.one("2013-01-02"), Days.one("2013-01-03")]]
    assert sorted(out) == ["2013-01-01", "2013-01-02", "2013-01-03", "2013-01-04"]
    assert [k for k, p in sorted(out.items()) if p.outcome != "published"] == ["2013-01-02"]
