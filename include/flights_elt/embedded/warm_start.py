"""Start an Airflow component with the pipeline's task modules already imported.

LocalExecutor workers are forked from the scheduler and every task process is forked from a
worker (Celery workers fork their task processes the same way), so modules imported here are
inherited, copy-on-write, by every task instead of being imported again by each one: the
Snowflake connector, pandas, pyarrow, Soda and the project's own modules cost seconds of CPU
per task otherwise. Nothing here connects to anything.

    python -m flights_elt.embedded.warm_start scheduler
    python -m flights_elt.embedded.warm_start celery worker --concurrency 4
"""

from __future__ import annotations

import importlib
import logging
import sys

PRELOAD = (
    "pandas",
    "pyarrow.parquet",
    "snowflake.connector",
    "snowflake.connector.ocsp_asn1crypto",  # imported on the first TLS connection otherwise
    "airflow.providers.snowflake.hooks.snowflake",
    "airflow.providers.common.sql.operators.sql",
    "airflow.providers.slack.notifications.slack_webhook",
    "airflow.providers.smtp.notifications.smtp",
    "soda.scan",
    # What Soda otherwise imports lazily during every task's first scan (~0.3 s of CPU each).
    "soda.sodacl.sodacl_parser",
    "soda.configuration.configuration_parser",
    "soda.execution.data_source_manager",
    "soda.data_sources.snowflake_data_source",
    "soda.execution.check.metric_check",
    "soda.execution.check.schema_check",
    "soda.execution.check.freshness_check",
    "soda.execution.query.aggregation_query",
    "soda.execution.query.duplicates_query",
    "soda.execution.metric.column_metrics",
    "soda.sampler.soda_cloud_sampler",
    "flights_elt.quality.gates",
    "flights_elt.pipeline.tasks",
    "flights_elt.quality.alerts",
    "flights_elt.pipeline.assets",
    "flights_elt.pipeline.dag_defaults",
)


def preload() -> list[str]:
    loaded = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # a missing optional module only costs the speed-up
            logging.getLogger(__name__).warning("could not preload %s", name, exc_info=True)
    # airflow.sdk resolves its names lazily: the DAG files' imports would pay for it per task.
    import airflow.sdk

    for name in ("DAG", "task", "Asset", "CronPartitionTimetable", "PartitionedAssetTimetable"):
        getattr(airflow.sdk, name)
    from flights_elt import driver

    driver.install()  # inherited by every forked task, like the modules
    return loaded


def main() -> None:
    preload()
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *sys.argv[1:]]
    airflow_main()


if __name__ == "__main__":
    main()
