"""What `elt run` reports about a run, computed from the scheduler's run records."""

from __future__ import annotations

import datetime as dt

from flights_elt import runner

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
