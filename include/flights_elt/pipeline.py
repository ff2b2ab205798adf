"""The work each DAG task does, as plain functions of (partition, run id).

DAG files only wire these together; tests call them directly against the embedded warehouse.
"""

from __future__ import annotations

import logging
from typing import Any

from flights_elt import loaders, models, publish, spec
from flights_elt.warehouse import Warehouse

log = logging.getLogger(__name__)


def prepare_and_load_references(run_id: str) -> dict[str, Any]:
    """Create missing warehouse objects, then (re)load reference tables whose files changed."""
    with Warehouse() as wh:
        models.ensure_objects(wh)
        return {t.name: loaders.load_table(wh, t, None, run_id).as_dict() for t in spec.REFERENCE_SOURCES}


def load_partition(source: str, partition: str, run_id: str) -> dict[str, Any]:
    """Landing file of one day → RAW (+ QUARANTINE)."""
    with Warehouse() as wh:
        return loaders.load_table(wh, spec.source(source), partition, run_id).as_dict()


def transform_partition(partition: str) -> dict[str, int]:
    with Warehouse() as wh:
        return models.transform_partition(wh, partition)


def build_marts(partition: str, run_id: str) -> dict[str, dict[str, Any]]:
    """Build the next version of every mart aside; returns {mart: {version, table, previous}}."""
    with Warehouse() as wh:
        return {m.name: publish.build(wh, m, partition, run_id) for m in publish.MARTS}


def publish_marts(built: dict[str, dict[str, Any]], partition: str, run_id: str) -> dict[str, int]:
    with Warehouse() as wh:
        for name, info in built.items():
            publish.switch(wh, publish.mart(name), int(info["version"]), partition, run_id)
    return {name: int(info["version"]) for name, info in built.items()}


def discard_marts(built: dict[str, dict[str, Any]], partition: str, run_id: str) -> None:
    with Warehouse() as wh:
        for name, info in built.items():
            publish.discard(wh, publish.mart(name), int(info["version"]), partition, run_id)


def mart_scan_variables(built: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Soda variables naming each new version table and the view it is about to replace."""
    from flights_elt.config import settings

    s = settings()
    out: dict[str, str] = {}
    for name, info in built.items():
        out[f"{name}_TABLE"] = str(info["table"])
        out[f"{name}_VIEW"] = f"{s.database}.{s.schemas['marts']}.{name}"
    return out
