"""
### ingest — landing files → RAW, one daily partition per run

**When it runs.** The only DAG on a clock: `CronPartitionTimetable` creates one run per day of
2013 with partition key `YYYY-MM-DD` (`end_date` stops it at the end of the data set, and
`catchup=False` means starting the scheduler creates no runs by itself). Partitions are
triggered explicitly with `elt run`, the REST API (`{"logical_date": null, "partition_key":
"2013-01-05"}`) or `airflow backfill create`. Up to 4 partitions load side by side. A backfill
can run as batches: a run triggered with conf `{"through": "2013-01-31"}` covers every day from
its key through that day, as one load, one gate and one asset event per asset (the extra names
the days), so transform and publish cover the same days (see `flights_elt.pipeline.days`).

**`load_raw`.** Creates missing warehouse objects and refreshes the reference tables
(airlines, airports, planes; skipped when their files did not change), then for each
partitioned source (flights, weather) parses the landing file of each day of the run,
quarantines rejected rows with the rule that rejected them, and bulk-loads the rest (Parquet →
`PUT` → `COPY INTO`), replacing the days in one transaction per table. Reruns are idempotent.

**`gate_raw`.** `SQLColumnCheckOperator` / `SQLTableCheckOperator` checks of every RAW table
scoped to the run's days (each check fails if any one day fails it), then the Soda scan of
`checks/raw/`. Every outcome is recorded in `AUDIT.CHECK_RESULTS`; a failed check fails the
task at once (no retry) and is alerted. Only when all passed does the task emit `raw.flights`
and `raw.weather` for the partition,
which is what triggers `transform` for the same key.
"""

from __future__ import annotations

from airflow.sdk import DAG, CronPartitionTimetable, task
from flights_elt.pipeline import assets
from flights_elt.pipeline.dag_defaults import END_DATE, PARTITION_KEY_FORMAT, START_DATE, default_args
from flights_elt.pipeline.spec import PARTITIONED_SOURCES
from flights_elt.quality.alerts import dag_failure_alert

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
    def load_raw(**context) -> dict:
        from flights_elt.pipeline.days import of_run
        from flights_elt.pipeline.tasks import load_raw

        return load_raw(of_run(context), context["run_id"])

    @task(outlets=list(assets.RAW_ASSETS))
    def gate_raw(loads: dict, **context) -> dict:
        """Emits the RAW assets, with the load's days and counts, only when every RAW check passed."""
        from flights_elt.pipeline.days import of_run
        from flights_elt.quality.gates import run_gate

        result = run_gate("raw", context)
        days = of_run(context)
        for asset, source in zip(assets.RAW_ASSETS, PARTITIONED_SOURCES, strict=True):
            load = loads[source.name]
            context["outlet_events"][asset].extra = {
                **days.event_extra(),
                "rows_loaded": load["rows_loaded"],
                "rows_quarantined": load["rows_quarantined"],
                "batch_ids": load["batch_ids"],
            }
        return result

    gate_raw(load_raw())
