"""Start an Airflow component with the pipeline's task modules already imported.

LocalExecutor workers are forked from the scheduler and every task process is forked from a
worker (Celery workers fork their task processes the same way), so modules imported here are
inherited, copy-on-write, by every task instead of being imported again by each one: the
Snowflake connector, pandas, pyarrow, Soda and the project's own modules cost seconds of CPU
per task otherwise. Nothing here connects to anything.

    python -m flights_elt.warm_start scheduler
    python -m flights_elt.warm_start celery worker --concurrency 4
"""

from __future__ import annotations

import importlib
import logging
import sys

PRELOAD = (
    "pandas",
    "pyarrow.parquet",
    "snowflake.connector",
    "airflow.providers.snowflake.hooks.snowflake",
    "airflow.providers.common.sql.operators.sql",
    "airflow.providers.slack.notifications.slack_webhook",
    "airflow.providers.smtp.notifications.smtp",
    "soda.scan",
    "flights_elt.gates",
    "flights_elt.pipeline",
    "flights_elt.alerts",
)


def preload() -> list[str]:
    loaded = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # a missing optional module only costs the speed-up
            logging.getLogger(__name__).warning("could not preload %s", name, exc_info=True)
    return loaded


def main() -> None:
    preload()
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *sys.argv[1:]]
    airflow_main()


if __name__ == "__main__":
    main()
