"""
### transform — RAW → STAGING → CORE for the partition that just landed

**When it runs.** Never on a clock: `PartitionedAssetTimetable` on `raw.flights` and
`raw.weather` starts exactly one run per partition key once `ingest` has emitted both for that
key (i.e. after the RAW gates passed). Asset-triggered runs have no logical date; everything
keys on `dag_run.partition_key`, and a batch run covers the days its triggering events name
(`flights_elt.pipeline.days`).

**`build_core`.** Merges the dimensions from the RAW reference tables, then replaces the
run's days in `STAGING.STG_FLIGHTS`, `STAGING.STG_WEATHER` and `CORE.FCT_FLIGHTS` (delete +
insert in one transaction each; idempotent).

**`gate_core`.** SQL checks on `CORE.FCT_FLIGHTS` (keys, reconciliation with RAW, carriers in
`DIM_CARRIERS`) and the Soda scan of `checks/core/` (destinations and tail numbers missing
from the references are warnings: they are real defects of the 2013 data). Only when all
passed does it emit `core.fct_flights` for the key, which triggers `publish`.
"""

from __future__ import annotations

from airflow.sdk import DAG, PartitionedAssetTimetable, task
from flights_elt.pipeline import assets
from flights_elt.pipeline.dag_defaults import START_DATE, default_args
from flights_elt.quality.alerts import dag_failure_alert

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
    def build_core(**context) -> dict:
        from flights_elt.pipeline.days import of_run
        from flights_elt.pipeline.tasks import transform

        return transform(of_run(context))

    @task(outlets=list(assets.CORE_ASSETS))
    def gate_core(counts: dict, **context) -> dict:
        """Emits `core.fct_flights` only when every CORE check passed."""
        from flights_elt.pipeline.days import of_run
        from flights_elt.quality.gates import run_gate

        result = run_gate("core", context)
        context["outlet_events"][assets.CORE_FCT_FLIGHTS].extra = {
            **of_run(context).event_extra(),
            "rows": counts["FCT_FLIGHTS"],
        }
        return result

    gate_core(build_core())
