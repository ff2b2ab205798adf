"""Structural checks for Airflow's SQLColumnCheckOperator / SQLTableCheckOperator, as data.

One entry per (layer, table). ``columns`` is the operator's ``column_mapping``; ``table`` is
its ``checks`` with one extra key the project adds, ``observed``: an aggregate whose value is
recorded in AUDIT.CHECK_RESULTS (and named in alerts) next to the boolean outcome. All are
``fail`` severity: they guard structure, and a failure stops the hop. Tables and statements are
written with ``{database}`` / ``{versions}`` / ``{partition}`` / ``{version_table}`` placeholders
that the gate resolves when it runs, and every check is scoped to the partition through the
operator's ``partition_clause``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TableChecks:
    name: str  # short name, used in task ids: check_<layer>_<name>
    table: str  # "{database}.RAW.FLIGHTS"; marts: "{database}.{versions}.{version_table}"
    partition_column: str
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    table_checks: dict[str, dict[str, Any]] = field(default_factory=dict)


def _not_null(*cols: str) -> dict[str, dict[str, Any]]:
    return {c: {"null_check": {"equal_to": 0}} for c in cols}


def _equal(left: str, right: str) -> dict[str, str]:
    """A table check ``left = right``; the difference is the observed value."""
    return {"check_statement": f"{left} = ({right})", "observed": f"{left} - ({right})"}


def _none(condition: str) -> dict[str, str]:
    """A table check that no row of the partition matches ``condition``; the count is observed."""
    count = f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
    return {"check_statement": f"{count} = 0", "observed": count}


KEY = "'{partition}'"  # the partition under check
FLIGHT_KEY = "concat_ws('|', CARRIER, FLIGHT, ORIGIN, SCHED_DEP_TIME)"
ROW_COUNT_POSITIVE = {"check_statement": "COUNT(*) > 0", "observed": "COUNT(*)"}
KEY_UNIQUE = _equal("COUNT(*)", f"COUNT(DISTINCT {FLIGHT_KEY})")
CORE_FLIGHTS = f"SELECT COUNT(*) FROM {{database}}.CORE.FCT_FLIGHTS WHERE FLIGHT_DATE = {KEY}"

RAW = (
    TableChecks(
        name="flights",
        table="{database}.RAW.FLIGHTS",
        partition_column="_PARTITION",
        columns={
            **_not_null("CARRIER", "FLIGHT", "ORIGIN", "SCHED_DEP_TIME", "_BATCH_ID"),
            "MONTH": {"min": {"geq_to": 1}, "max": {"leq_to": 12}},
            "DISTANCE": {"min": {"greater_than": 0}},
        },
        table_checks={
            "row_count_positive": ROW_COUNT_POSITIVE,
            "flight_key_unique": KEY_UNIQUE,
            "rows_in_partition": _none("DATE_FROM_PARTS(YEAR, MONTH, DAY) <> _PARTITION"),
        },
    ),
    TableChecks(
        name="weather",
        table="{database}.RAW.WEATHER",
        partition_column="_PARTITION",
        columns={
            "ORIGIN": {"null_check": {"equal_to": 0}},
            "HOUR": {"null_check": {"equal_to": 0}, "max": {"leq_to": 23}},
        },
        # No row-count stop: weather only enriches flights, and a day without readings (the
        # source ends on 2013-12-30) warns in the Soda scan instead.
    ),
    TableChecks(
        name="file_loads",
        table="{database}.AUDIT.FILE_LOADS",
        partition_column="PARTITION_KEY",
        table_checks={
            # Nothing lost: every line of the file is either in RAW or in QUARANTINE.
            "file_rows_accounted_for": _equal("SUM(ROWS_IN_FILE)", "SUM(ROWS_LOADED + ROWS_QUARANTINED)"),
            # A file where more than 5% of rows are rejected is broken, not merely dirty.
            "quarantine_share_below_5pct": {
                "check_statement": "SUM(ROWS_QUARANTINED) <= 0.05 * SUM(ROWS_IN_FILE)",
                "observed": "SUM(ROWS_QUARANTINED) / NULLIF(SUM(ROWS_IN_FILE), 0)",
            },
        },
    ),
)

CORE = (
    TableChecks(
        name="fct_flights",
        table="{database}.CORE.FCT_FLIGHTS",
        partition_column="FLIGHT_DATE",
        columns={
            **_not_null("FLIGHT_DATE", "CARRIER", "FLIGHT", "ORIGIN", "DEST", "IS_CANCELLED", "IS_ON_TIME"),
            "DISTANCE": {"min": {"greater_than": 0}},
        },
        table_checks={
            "row_count_positive": ROW_COUNT_POSITIVE,
            "flight_key_unique": KEY_UNIQUE,
            "reconciles_with_raw": _equal(
                "COUNT(*)", f"SELECT COUNT(*) FROM {{database}}.RAW.FLIGHTS WHERE _PARTITION = {KEY}"
            ),
            "carriers_in_dim_carriers": _none("CARRIER NOT IN (SELECT CARRIER FROM {database}.CORE.DIM_CARRIERS)"),
        },
    ),
)

MART_TABLE = "{database}.{versions}.{version_table}"  # the new version, before it is published
FLIGHTS_RECONCILE = _equal("SUM(FLIGHTS)", CORE_FLIGHTS)

MARTS = (
    TableChecks(
        name="carrier_daily_performance",
        table=MART_TABLE,
        partition_column="FLIGHT_DATE",
        columns={
            **_not_null("FLIGHT_DATE", "CARRIER", "CANCELLED"),
            "ON_TIME_RATE": {"null_check": {"equal_to": 0}, "min": {"geq_to": 0}, "max": {"leq_to": 1}},
            "FLIGHTS": {"null_check": {"equal_to": 0}, "min": {"greater_than": 0}},
        },
        table_checks={
            "flights_reconcile_with_core": FLIGHTS_RECONCILE,
            "cancelled_reconcile_with_core": _equal("SUM(CANCELLED)", f"{CORE_FLIGHTS} AND IS_CANCELLED"),
            "cancelled_within_flights": _none("CANCELLED > FLIGHTS"),
        },
    ),
    TableChecks(
        name="route_daily_delays",
        table=MART_TABLE,
        partition_column="FLIGHT_DATE",
        columns=_not_null("FLIGHT_DATE", "ORIGIN", "DEST", "FLIGHTS", "CANCELLED"),
        table_checks={"flights_reconcile_with_core": FLIGHTS_RECONCILE},
    ),
)

LAYERS = {"raw": RAW, "core": CORE, "marts": MARTS}


def resolve(
    checks: TableChecks, database: str, versions: str, partition: str, version_table: str | None = None
) -> TableChecks:
    """Fill the placeholders: database and schema names from config, the partition under check
    and, for a mart, the version table under audit."""
    values = {"database": database, "versions": versions, "partition": partition, "version_table": version_table}
    if "{version_table}" in checks.table and not version_table:
        raise ValueError(f"checks of {checks.name} need the version table under audit")

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**values)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return TableChecks(
        name=checks.name,
        table=fill(checks.table),
        partition_column=checks.partition_column,
        columns={c: {k: dict(v) for k, v in m.items()} for c, m in checks.columns.items()},
        table_checks=fill(checks.table_checks),
    )
