"""
### publish — CORE → MARTS with write-audit-publish

**When it runs.** Never on a clock: `PartitionedAssetTimetable` on `core.fct_flights` starts
one run per partition key after `transform` passed its gates. `max_active_runs=1`: each
publish clones the currently published mart version, so publishes are serialized to never
race from the same base (queued keys wait, none is lost or coalesced).

**What it does.** Builds the next version of each mart aside (`MARTS_VERSIONS.<MART>__V<n>`:
the published version with this partition replaced), audits it, then switches the consumer
view `MARTS.<MART>` to it in one `CREATE OR REPLACE VIEW` statement. A failed audit discards
the new version; readers keep the previous one.

**What it emits.** `marts.*` asset events for the key once the new versions are live.
"""

from __future__ import annotations

from airflow.sdk import DAG, PartitionedAssetTimetable, task
from flights_elt import assets
from flights_elt.dag_defaults import START_DATE, default_args, partition_key

with DAG(
    dag_id="publish",
    schedule=PartitionedAssetTimetable(assets=assets.CORE_FCT_FLIGHTS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=__doc__,
    tags=["flights", "publish", "marts"],
):

    @task
    def build_mart_versions(**context) -> dict:
        from flights_elt.pipeline import build_marts

        return build_marts(partition_key(context), context["run_id"])

    @task(outlets=list(assets.MART_ASSETS))
    def publish_mart_versions(built: dict, **context) -> dict:
        from flights_elt.pipeline import publish_marts

        key = partition_key(context)
        versions = publish_marts(built, key, context["run_id"])
        for asset in assets.MART_ASSETS:
            context["outlet_events"][asset].extra = {"partition": key, "versions": versions}
        return versions

    publish_mart_versions(build_mart_versions())
