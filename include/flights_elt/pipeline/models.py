"""Warehouse objects and the transform step (RAW → STAGING → CORE) of a run's days."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flights_elt.config import settings
from flights_elt.pipeline.days import Days
from flights_elt.pipeline.spec import SOURCES
from flights_elt.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Model:
    name: str
    schema_key: str  # key into Settings.schemas
    partition_column: str | None  # None: a dimension rebuilt by MERGE


STAGING_MODELS = (
    Model("STG_FLIGHTS", "staging", "FLIGHT_DATE"),
    Model("STG_WEATHER", "staging", "OBSERVATION_DATE"),
)
DIMENSIONS = (
    Model("DIM_CARRIERS", "core", None),
    Model("DIM_AIRPORTS", "core", None),
    Model("DIM_PLANES", "core", None),
)
FACTS = (Model("FCT_FLIGHTS", "core", "FLIGHT_DATE"),)
MODELS = STAGING_MODELS + DIMENSIONS + FACTS


def expected_objects() -> set[tuple[str, str]]:
    """(schema, name) of every table and view the pipeline needs."""
    s = settings().schemas
    from flights_elt.pipeline.publish import MARTS

    out = {(s[k], t.name) for t in SOURCES for k in ("raw", "quarantine")}
    out |= {(s["audit"], n) for n in ("FILE_LOADS", "PUBLICATIONS", "CHECK_RESULTS", "WRITER_SESSIONS")}
    out |= {(s[m.schema_key], m.name) for m in MODELS}
    out |= {(s["marts"], m.name) for m in MARTS}
    return out


def missing_objects(wh: Warehouse) -> set[tuple[str, str]]:
    """What ``ensure_objects`` would have to create: one catalog query instead of ~40 DDLs."""
    from snowflake.connector.errors import ProgrammingError

    try:
        # Snowflake lists views among the tables as well; the emulator only under VIEWS.
        _, rows = wh.query(
            f"select table_schema, table_name from {wh.database}.information_schema.tables "
            f"union select table_schema, table_name from {wh.database}.information_schema.views"
        )
    except ProgrammingError:  # no database yet
        return expected_objects()
    return expected_objects() - {(str(a).upper(), str(b).upper()) for a, b in rows}


def ensure_objects(wh: Warehouse) -> None:
    """Create the database, schemas and tables if missing (idempotent, cheap when present)."""
    if not missing_objects(wh):
        return
    s = settings()
    wh.run_file("setup/create_database")
    for schema in s.schemas.values():
        wh.run_file("setup/create_schema", schema=schema)
    for table in SOURCES:
        cols = [{"name": c.name, "type": c.type} for c in table.columns]
        wh.run_file("raw/create_table", table=table.name, columns=cols)
        wh.run_file("raw/create_quarantine_table", table=table.name, columns=cols)
    for name in ("file_loads", "publications", "check_results", "writer_sessions"):
        wh.run_file(f"audit/create_{name}")
    for model in MODELS:
        wh.run_file(f"{model.schema_key}/create_{model.name.lower()}")
    from flights_elt.pipeline.publish import ensure_initial_versions

    ensure_initial_versions(wh)


def transform(wh: Warehouse, days: Days) -> dict[str, int]:
    """Rebuild STAGING and CORE for the run's days; dimensions are merged from RAW references.

    Each model is replaced for the days in its own transaction (delete + insert: one statement
    each, whatever the number of days), so a rerun converges to the same rows and a reader never
    sees a half-written day. Returns the rows of each model for the days.
    """
    s = settings()
    counts: dict[str, int] = {}
    for model in DIMENSIONS:
        wh.run_file(f"core/{model.name.lower()}")
    for model in STAGING_MODELS + FACTS:
        schema = s.schemas[model.schema_key]
        with wh.transaction(writes=f"{schema}.{model.name}/{days.label}"):
            wh.run_file(
                "staging/delete_partition",
                days.params(),
                schema=schema,
                table=model.name,
                partition_column=model.partition_column,
            )
            wh.run_file(f"{model.schema_key}/{model.name.lower()}", days.params())
        counts[model.name] = int(
            wh.scalar(
                f"select count(*) from {s.database}.{schema}.{model.name} "
                f"where {model.partition_column} between %(first_day)s and %(last_day)s",
                days.params(),
            )
        )
    log.info("transformed %s: %s", days.label, counts)
    return counts
