"""
### ingest — landing files → RAW, one daily partition per run

**When it runs.** The only DAG on a clock: `CronPartitionTimetable` creates one run per day of
2013 with partition key `YYYY-MM-DD` (`end_date` stops it at the end of the data set, and
`catchup=False` means starting the scheduler creates no runs by itself). Partitions are
triggered explicitly with `elt run`, the REST API (`{"logical_date": null, "partition_key":
"2013-01-05"}`) or `airflow backfill create`. Up to 4 partitions load side by side.

**What it does.** Creates missing warehouse objects and refreshes the reference tables
(airlines, airports, planes; skipped when their files did not change), then for each
partitioned source (flights, weather) parses the day's landing file, quarantines rejected
rows with the rule that rejected them, and bulk-loads the rest (Parquet → `PUT` → `COPY
INTO`), replacing the partition in one transaction. Reruns are idempotent.

**Gates.** SQL column/table checks per RAW table (scoped to the partition) and the Soda scan
of `checks/raw/`. A failed check fails its task at once (no retry), is recorded in
`AUDIT.CHECK_RESULTS` and alerted.

**What it emits.** `raw.flights` and `raw.weather` asset events for the partition, only after
every RAW gate passed; that is what triggers `transform` for the same key.
"""

from __future__ import annotations

from airflow.sdk import DAG, CronPartitionTimetable, task
from flights_elt import assets
from flights_elt.alerts import dag_failure_alert
from flights_elt.dag_defaults import END_DATE, PARTITION_KEY_FORMAT, START_DATE, default_args, partition_key
from flights_elt.gates import sql_check_tasks
from flights_elt.spec import PARTITIONED_SOURCES

with DAG(
    dag_id="ingest",
    schedule=CronPartitionTimetable("0 0 * * *", timezone="UTC", key_format=PARTITION_KEY_FORMAT),
    start_date=START_DATE,
    end_date=END_DATE,
    catchup=False,
    max_active_runs=4,
    default_args=default_args("ingest"),
    on_failure_callback=dag_failure_alert,
    doc_md=__doc__,
    tags=["flights", "ingest", "raw"],
):

    @task
    def load_reference_tables(**context) -> dict:
        from flights_elt.pipeline import prepare_and_load_references

        return prepare_and_load_references(context["run_id"])

    @task
    def scan_raw(**context) -> dict:
        from flights_elt.gates import scan_layer

        return scan_layer("raw", context)

    @task(outlets=list(assets.RAW_ASSETS))
    def emit_raw_assets(loads: list[dict], **context) -> None:
        """Runs only when every RAW gate passed: the asset events carry the partition key."""
        key = partition_key(context)
        for asset, load in zip(assets.RAW_ASSETS, loads, strict=True):
            context["outlet_events"][asset].extra = {
                "partition": key,
                "rows_loaded": load["rows_loaded"],
                "rows_quarantined": load["rows_quarantined"],
                "batch_id": load["batch_id"],
            }

    references = load_reference_tables()
    loads = []
    for source in PARTITIONED_SOURCES:

        @task(task_id=f"load_raw_{source.name.lower()}")
        def load_raw(source_name: str = source.name, **context) -> dict:
            from flights_elt.pipeline import load_partition

            return load_partition(source_name, partition_key(context), context["run_id"])

        load = load_raw()
        references >> load
        loads.append(load)

    gates = [*sql_check_tasks("raw"), scan_raw()]
    emit = emit_raw_assets(loads)
    for load in loads:
        load >> gates
    gates >> emit
