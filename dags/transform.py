"""
### transform — RAW → STAGING → CORE for the partition that just landed

**When it runs.** Never on a clock: `PartitionedAssetTimetable` on `raw.flights` and
`raw.weather` starts exactly one run per partition key once `ingest` has emitted both for that
key (i.e. after the RAW gates passed). Asset-triggered runs have no logical date; everything
keys on `dag_run.partition_key`.

**What it does.** Merges the dimensions from the RAW reference tables, then replaces the
partition in `STAGING.STG_FLIGHTS`, `STAGING.STG_WEATHER` and `CORE.FCT_FLIGHTS` (delete +
insert in one transaction each; idempotent).

**Gates.** SQL checks on `CORE.FCT_FLIGHTS` (keys, reconciliation with RAW, carriers in
`DIM_CARRIERS`) and the Soda scan of `checks/core/` (destinations and tail numbers missing
from the references are warnings: they are real defects of the 2013 data).

**What it emits.** `core.fct_flights` for the key, after the CORE gates passed; that triggers
`publish`.
"""

from __future__ import annotations

from airflow.sdk import DAG, PartitionedAssetTimetable, task
from flights_elt import assets
from flights_elt.alerts import dag_failure_alert
from flights_elt.dag_defaults import START_DATE, default_args, partition_key
from flights_elt.gates import sql_check_tasks

with DAG(
    dag_id="transform",
    schedule=PartitionedAssetTimetable(assets=assets.RAW_FLIGHTS & assets.RAW_WEATHER),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=4,
    default_args=default_args("transform"),
    on_failure_callback=dag_failure_alert,
    doc_md=__doc__,
    tags=["flights", "transform", "core"],
):

    @task
    def build_core_models(**context) -> dict:
        from flights_elt.pipeline import transform_partition

        return transform_partition(partition_key(context))

    @task
    def scan_core(**context) -> dict:
        from flights_elt.gates import scan_layer

        return scan_layer("core", context)

    @task(outlets=list(assets.CORE_ASSETS))
    def emit_core_assets(counts: dict, **context) -> None:
        context["outlet_events"][assets.CORE_FCT_FLIGHTS].extra = {
            "partition": partition_key(context),
            "rows": counts["FCT_FLIGHTS"],
        }

    counts = build_core_models()
    gates = [*sql_check_tasks("core"), scan_core()]
    counts >> gates >> emit_core_assets(counts)
