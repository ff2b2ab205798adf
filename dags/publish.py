"""
### publish — CORE → MARTS with write-audit-publish

**When it runs.** Never on a clock: `PartitionedAssetTimetable` on `core.fct_flights` starts
one run per partition key after `transform` passed its gates. `max_active_runs=1`: each
publish clones the currently published mart version, so publishes are serialized to never
race from the same base (queued keys wait, none is lost or coalesced).

**What it does.** Writes the next version of each mart aside (`MARTS_VERSIONS.<MART>__V<n>`:
the published version with this partition replaced), audits it, then switches the consumer
view `MARTS.<MART>` to it in one `CREATE OR REPLACE VIEW` statement.

**Gates (the audit).** SQL checks on each new version (totals reconcile with CORE, no null
metrics, rates within [0, 1]) and the Soda scan of `checks/marts/` (also: daily volume versus
the published days, no other day changed). A failed audit discards the new version; readers
keep the previous one, exactly as it was.

**What it emits.** `marts.*` asset events for the key once the new versions are live.
"""

from __future__ import annotations

from airflow.sdk import DAG, PartitionedAssetTimetable, TriggerRule, task
from flights_elt import assets
from flights_elt.alerts import dag_failure_alert
from flights_elt.dag_defaults import START_DATE, default_args, partition_key
from flights_elt.gates import sql_check_tasks

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
    def build_mart_versions(**context) -> dict:
        from flights_elt.pipeline import build_marts

        return build_marts(partition_key(context), context["run_id"])

    @task
    def scan_marts(built: dict, **context) -> dict:
        from flights_elt.gates import scan_layer
        from flights_elt.pipeline import mart_scan_variables

        return scan_layer("marts", context, mart_scan_variables(built))

    @task(outlets=list(assets.MART_ASSETS))
    def publish_mart_versions(built: dict, **context) -> dict:
        from flights_elt.pipeline import publish_marts

        key = partition_key(context)
        versions = publish_marts(built, key, context["run_id"])
        for asset in assets.MART_ASSETS:
            context["outlet_events"][asset].extra = {"partition": key, "versions": versions}
        return versions

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def discard_rejected_versions(built: dict, **context) -> None:
        """The audit failed: drop the new versions. The published views never pointed at them."""
        from flights_elt.pipeline import discard_marts

        discard_marts(built, partition_key(context), context["run_id"])

    built = build_mart_versions()
    gates = [*sql_check_tasks("marts"), scan_marts(built)]
    built >> gates
    gates >> publish_mart_versions(built)
    gates >> discard_rejected_versions(built)
