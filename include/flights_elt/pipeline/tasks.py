"""The work each DAG task does, as plain functions of (the run's days, run id).

DAG files only wire these together; tests call them directly against the embedded warehouse.
"""

from __future__ import annotations

import logging
from typing import Any

from flights_elt.pipeline import loaders, models, publish, spec
from flights_elt.pipeline.days import Days, of_run
from flights_elt.warehouse import Warehouse

log = logging.getLogger(__name__)


def load_raw(days: Days, run_id: str) -> dict[str, dict[str, Any]]:
    """Everything ingest writes for the run's days, on one connection: missing warehouse
    objects, reference tables whose files changed, then the landing files of each partitioned
    source → RAW (+ QUARANTINE), all days of a source in one bulk load. Each table is replaced
    in its own transaction, so a retry after a crash redoes only what did not commit. Returns
    {table: what was loaded}, with each partitioned source's counts summed over the days."""
    with Warehouse() as wh:
        models.ensure_objects(wh)
        out = {t.name: loaders.load_table(wh, t, None, run_id).as_dict() for t in spec.REFERENCE_SOURCES}
        for t in spec.PARTITIONED_SOURCES:
            results = loaders.load_files(wh, t, days.keys, run_id)
            out[t.name] = {
                "source": t.name,
                "days": days.label,
                "rows_in_file": sum(r.rows_in_file for r in results),
                "rows_loaded": sum(r.rows_loaded for r in results),
                "rows_quarantined": sum(r.rows_quarantined for r in results),
                "skipped": all(r.skipped for r in results),
                "batch_ids": {str(r.partition): r.batch_id for r in results},
            }
        return out


def transform(days: Days) -> dict[str, int]:
    with Warehouse() as wh:
        return models.transform(wh, days)


def build_marts(days: Days, run_id: str) -> dict[str, dict[str, Any]]:
    """Build the next version of every mart aside; returns {mart: {version, table, previous}}."""
    with Warehouse() as wh:
        return {m.name: publish.build(wh, m, days, run_id) for m in publish.MARTS}


def audit_and_publish_marts(built: dict[str, dict[str, Any]], context: Any) -> dict[str, int]:
    """Write-audit-publish, second half: audit the versions built aside, then switch every
    consumer view to them; a failed audit drops them instead, and the published views never
    move. A check that could not run raises a plain error: the versions stay for the retry."""
    from flights_elt.quality.gates import GateFailed, run_gate

    days, run_id = of_run(context), context["run_id"]
    tables = {name: str(info["table"]) for name, info in built.items()}
    try:
        run_gate("marts", context, version_tables=tables, extra_variables=mart_scan_variables(built))
    except GateFailed:
        discard_marts(built, days, run_id)
        raise
    with Warehouse() as wh:
        for name, info in built.items():
            publish.switch(wh, publish.mart(name), int(info["version"]), days.keys, run_id)
    return {name: int(info["version"]) for name, info in built.items()}


def discard_marts(built: dict[str, dict[str, Any]], days: Days, run_id: str) -> None:
    with Warehouse() as wh:
        for name, info in built.items():
            publish.discard(wh, publish.mart(name), int(info["version"]), days.keys, run_id)


def mart_scan_variables(built: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Soda variables naming each new version table and the view it is about to replace."""
    from flights_elt.config import settings

    s = settings()
    out: dict[str, str] = {}
    for name, info in built.items():
        out[f"{name}_TABLE"] = str(info["table"])
        out[f"{name}_VIEW"] = f"{s.database}.{s.schemas['marts']}.{name}"
    return out
