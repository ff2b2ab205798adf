"""
### bench_ingest → bench_transform → bench_publish — the same shape, tasks that do nothing

Airflow's own floor on this machine for `make bench`: same timetables, same number of tasks
per DAG, same partitioned-asset chain, but every task is a no-op. Loaded only by the bench
(its stack's DAG folder holds these next to the real DAGs).
"""

from __future__ import annotations

from airflow.sdk import DAG, Asset, CronPartitionTimetable, PartitionedAssetTimetable, task
from flights_elt.pipeline.dag_defaults import END_DATE, PARTITION_KEY_FORMAT, START_DATE

RAW = Asset(name="bench.raw", uri="warehouse://bench/raw/flights")
CORE = Asset(name="bench.core", uri="warehouse://bench/core/fct_flights")
MARTS = Asset(name="bench.marts", uri="warehouse://bench/marts/carrier_daily_performance")


@task
def noop() -> None:
    return None


def _chain(outlet: Asset) -> None:
    """write → gate, the gate emitting the asset: the shape of each pipeline DAG."""
    noop.override(task_id="write")() >> noop.override(task_id="gate", outlets=[outlet])()


common = {"start_date": START_DATE, "catchup": False, "doc_md": __doc__, "tags": ["bench"]}

with DAG(
    dag_id="bench_ingest",
    schedule=CronPartitionTimetable("0 0 * * *", timezone="UTC", key_format=PARTITION_KEY_FORMAT),
    end_date=END_DATE,
    max_active_runs=4,
    **common,
):
    _chain(RAW)

with DAG(dag_id="bench_transform", schedule=PartitionedAssetTimetable(assets=RAW), max_active_runs=4, **common):
    _chain(CORE)

with DAG(dag_id="bench_publish", schedule=PartitionedAssetTimetable(assets=CORE), max_active_runs=1, **common):
    _chain(MARTS)
