"""
### publish — CORE → MARTS with write-audit-publish

**When it runs.** Never on a clock: `PartitionedAssetTimetable` on `core.fct_flights` starts
one run per partition key after `transform` passed its gates. `max_active_runs=1`: each
publish clones the currently published mart version, so publishes are serialized to never
race from the same base (queued keys wait, none is lost or coalesced).

**`build_marts` (write).** Writes the next version of each mart aside
(`MARTS_VERSIONS.<MART>__V<n>`: the published version with this partition replaced). Nobody
reads it yet.

**`audit_and_publish` (audit, publish).** SQL checks on each new version (totals reconcile
with CORE, no null metrics, rates within [0, 1]) and the Soda scan of `checks/marts/` (also:
daily volume versus the published days, no other day changed). When all passed, it switches
each consumer view `MARTS.<MART>` to its new version in one `CREATE OR REPLACE VIEW` statement
and emits the `marts.*` asset events for the key. A failed audit drops the new versions
instead and fails the task: readers keep the previous version, exactly as it was.
"""

from __future__ import annotations

from airflow.sdk import DAG, PartitionedAssetTimetable, task
from flights_elt.pipeline import assets
from flights_elt.pipeline.dag_defaults import START_DATE, default_args
from flights_elt.quality.alerts import dag_failure_alert

with DAG(
    dag_id="publish",
    schedule=PartitionedAssetTimetable(assets=assets.CORE_FCT_FLIGHTS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("publish"),
    on_failure_callback=dag_failure_alert,
    doc_md=__doc__,
    tags=["flights", "publish", "marts"],
):

    @task
    def build_marts(**context) -> dict:
        from flights_elt.pipeline.days import of_run
        from flights_elt.pipeline.tasks import build_marts

        return build_marts(of_run(context), context["run_id"])

    @task(outlets=list(assets.MART_ASSETS))
    def audit_and_publish(built: dict, **context) -> dict:
        from flights_elt.pipeline.days import of_run
        from flights_elt.pipeline.tasks import audit_and_publish_marts

        versions = audit_and_publish_marts(built, context)
        for asset in assets.MART_ASSETS:
            context["outlet_events"][asset].extra = {**of_run(context).event_extra(), "versions": versions}
        return versions

    audit_and_publish(build_marts())
