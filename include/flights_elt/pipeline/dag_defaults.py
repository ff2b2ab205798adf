"""Defaults shared by the three DAGs: ownership, retries, tags, the partition key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from flights_elt.pipeline.spec import FIRST_DAY, LAST_DAY

OWNER = "data-engineering"
START_DATE = pendulum.datetime(*map(int, FIRST_DAY.split("-")), tz="UTC")
# The data set ends with 2013: no scheduled run is created after it (REST triggers and
# backfills of 2013 partitions keep working).
END_DATE = pendulum.datetime(*map(int, LAST_DAY.split("-")), tz="UTC")
PARTITION_KEY_FORMAT = "%Y-%m-%d"


# Task slots go downstream first: with many partitions in flight, a queued publish task (the
# serial end of the chain) starts before another day's ingest, so finished work drains instead
# of every day advancing in lockstep. (Airflow's default, "downstream", favours the opposite.)
PRIORITY = {"ingest": 1, "transform": 2, "publish": 3}


def default_args(dag_id: str) -> dict[str, Any]:
    from flights_elt.quality.alerts import task_failure_alert

    return {
        "owner": OWNER,
        "priority_weight": PRIORITY[dag_id],
        "weight_rule": "absolute",
        "on_failure_callback": task_failure_alert,
        # Transient failures (connection drops, warehouse timeouts) are retried with backoff;
        # a failed data-quality check raises GateFailed (an AirflowFailException): never retried.
        "retries": 2,
        "retry_delay": dt.timedelta(seconds=5),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=5),
        "execution_timeout": dt.timedelta(minutes=30),
    }
