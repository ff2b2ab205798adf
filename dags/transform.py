"""
### transform — RAW → STAGING → CORE for the partition that just landed

**When it runs.** Never on a clock: `PartitionedAssetTimetable` on `raw.flights` and
`raw.weather` starts exactly one run per partition key once `ingest` has emitted both for that
key (i.e. after the RAW gates passed). Asset-triggered runs have no logical date; everything
keys on `dag_run.partition_key`.

**What it does.** Merges the dimensions from the RAW reference tables, then replaces the
partition in `STAGING.STG_FLIGHTS`, `STAGING.STG_WEATHER` and `CORE.FCT_FLIGHTS` (delete +
insert in one transaction each; idempotent).

**What it emits.** `core.fct_flights` for the key, after the CORE gates passed; that triggers
`publish`.
"""

from __future__ import annotations

from airflow.sdk import DAG, PartitionedAssetTimetable, task
from flights_elt import assets
from flights_elt.dag_defaults import START_DATE, default_args, partition_key

with DAG(
    dag_id="transform",
    schedule=PartitionedAssetTimetable(assets=assets.RAW_FLIGHTS & assets.RAW_WEATHER),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=4,
    default_args=default_args(),
    doc_md=__doc__,
    tags=["flights", "transform", "core"],
):

    @task
    def build_core_models(**context) -> dict:
        from flights_elt.pipeline import transform_partition

        return transform_partition(partition_key(context))

    @task(outlets=list(assets.CORE_ASSETS))
    def emit_core_assets(counts: dict, **context) -> None:
        context["outlet_events"][assets.CORE_FCT_FLIGHTS].extra = {
            "partition": partition_key(context),
            "rows": counts["FCT_FLIGHTS"],
        }

    emit_core_assets(build_core_models())
