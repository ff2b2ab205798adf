"""Production topology on this machine: metadata DB on PostgreSQL, CeleryExecutor with Redis as
broker (real worker processes), the same DAGs, one partition end to end.

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379. On a laptop without them the
test is skipped with the reason; under CI (CI=true) a missing service is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from flights_elt.embedded.testing import Stack, running_stack, stack_env, stack_home
from flights_elt.pipeline import landing

pytestmark = [pytest.mark.e2e, pytest.mark.production]
PG = ("127.0.0.1", int(os.environ.get("ELT_TEST_POSTGRES_PORT", "5432")))
REDIS = ("127.0.0.1", int(os.environ.get("ELT_TEST_REDIS_PORT", "6379")))
DAY = "2013-03-01"


def _reachable(addr: tuple[str, int]) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(addr) == 0


def _require(addr: tuple[str, int], what: str) -> None:
    if _reachable(addr):
        return
    reason = f"{what} is not reachable on {addr[0]}:{addr[1]}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: required under CI")
    pytest.skip(f"{reason}: production-topology test needs it")


@pytest.fixture(scope="module")
def production_stack() -> Iterator[Stack]:
    _require(PG, "PostgreSQL")
    _require(REDIS, "Redis")
    import psycopg2

    db = f"elt_prod_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create database {db}")
    redis_db = 1 + int(uuid.uuid4().int % 14)
    home = stack_home("elt-prod-")
    env = stack_env(
        home,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://postgres@{PG[0]}:{PG[1]}/{db}",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db}",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+postgresql://postgres@{PG[0]}:{PG[1]}/{db}",
        ELT_CELERY_CONCURRENCY="4",
    )
    try:
        with running_stack(home, env) as stack:
            yield stack
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {db} with (force)")
        admin.close()


def test_chain_runs_on_postgres_and_celery_workers(production_stack):
    status = json.loads(production_stack.elt("status", "--no-checks").stdout)
    assert status["processes"]["celery-worker"], status
    assert "postgres" not in status["processes"] or status["processes"]["postgres"] is None
    production_stack.elt("run", "--start", DAY, "--end", DAY)
    src = landing.source_frame("flights")
    day = src[(src.month == "3") & (src.day == "1")]
    rows = production_stack.query(
        f"select sum(flights), sum(cancelled) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE where flight_date = '{DAY}'"
    )
    assert (int(float(rows[0][0])), int(float(rows[0][1]))) == (len(day), int((day.dep_time == "NA").sum()))
    # The tasks really ran on the Celery worker: it logged each workload it executed, the day's
    # six tasks (write and gate of each of the three DAGs) at least.
    # (The worker logs a workload's end after the task has reported its state: wait for the line.)
    log_file = production_stack.home / "logs" / "celery-worker.log"
    deadline = time.monotonic() + 60
    while (worker_log := log_file.read_text(errors="replace")).count("succeeded in") < 6:
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    assert worker_log.count("succeeded in") >= 6, worker_log[-3000:]
