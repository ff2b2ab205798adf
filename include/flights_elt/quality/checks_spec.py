"""Structural checks for Airflow's SQLColumnCheckOperator / SQLTableCheckOperator, as data.

One entry per (layer, table). ``columns`` is the operator's ``column_mapping``; ``table`` is
its ``checks`` with one extra key the project adds, ``observed``: an aggregate whose value is
recorded in AUDIT.CHECK_RESULTS (and named in alerts) next to the boolean outcome. All are
``fail`` severity: they guard structure, and a failure stops the hop. Tables and statements are
written with ``{database}`` / ``{versions}`` / ``{version_table}`` / ``{first_day}`` /
``{last_day}`` / ``{days}`` placeholders that the gate resolves when it runs, and every check is
scoped to the run's days (``first_day..last_day``, inclusive; one day for a daily run) through
the operator's ``partition_clause`` (``<partition_column> BETWEEN first_day AND last_day``).

Every check keeps its per-day meaning over a batch: it fails if and only if at least one day of
the range would fail it alone. Row-level conditions (nulls, bounds, "no row matches") need
nothing more. Anything whose per-day verdict a total over the range could hide is written per
day: row counts compare the days with rows to ``{days}``, uniqueness keys include the day,
reconciliations add up each day's absolute difference (a scalar subquery grouped by day, so
days cannot cancel out), and file checks look at each file (AUDIT.FILE_LOADS has one row per
source and day). A day without any row at all is caught by the row-count checks
(``row_count_positive``; for AUDIT.FILE_LOADS inside each check).
"""

from __future__ import annotations

import datetime as dt
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


def _in_range(day_column: str) -> str:
    """``day_column`` within the run's days (the same range as the operator's partition clause)."""
    return f"{day_column} BETWEEN '{{first_day}}' AND '{{last_day}}'"


def _none(condition: str) -> dict[str, str]:
    """A table check that no row of the range matches ``condition``; the count is observed.
    Row by row, so a count over the range is zero exactly when it is zero on every day."""
    count = f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
    return {"check_statement": f"{count} = 0", "observed": count}


def _rows_every_day(day_column: str) -> dict[str, str]:
    """Every day of the range has rows; the number of days without any is observed."""
    return {
        "check_statement": f"COUNT(DISTINCT {day_column}) = {{days}}",
        "observed": f"{{days}} - COUNT(DISTINCT {day_column})",
    }


def _key_unique(day_column: str, key: str) -> dict[str, str]:
    """One row per day and key; the rows beyond the first of each (day, key) are observed.
    Snowflake's CONCAT_WS is null when any part is: a null key counts against uniqueness too."""
    distinct = f"COUNT(DISTINCT concat_ws('|', CAST({day_column} AS VARCHAR), {key}))"
    return {"check_statement": f"COUNT(*) = {distinct}", "observed": f"COUNT(*) - {distinct}"}


@dataclass(frozen=True)
class _DailyTotal:
    """One side of a reconciliation: ``total`` (an aggregate) per day of ``table``."""

    table: str
    day_column: str
    total: str
    where: str = ""

    def per_day(self, sign: str = "") -> str:
        where = " AND ".join([_in_range(self.day_column), *([self.where] if self.where else [])])
        return (
            f"SELECT {self.day_column} AS CHECK_DAY, {sign}{self.total} AS TOTAL "
            f"FROM {self.table} WHERE {where} GROUP BY {self.day_column}"
        )


def _reconciles(checked: _DailyTotal, reference: _DailyTotal) -> dict[str, str]:
    """Each day's ``checked`` total equals that day's ``reference`` total; the sum over the days
    of the absolute differences is observed (so one day's surplus cannot hide another's loss).

    The per-day difference is a scalar subquery; ``COUNT(*) * 0 +`` makes the expression an
    aggregate of the checked rows, so the operator's query returns exactly one row even when
    the range has no rows at all (a day missing from one side counts as a total of 0)."""
    difference = (
        "COUNT(*) * 0 + (SELECT COALESCE(SUM(ABS(DIFFERENCE)), 0) FROM ("
        "SELECT CHECK_DAY, SUM(TOTAL) AS DIFFERENCE FROM ("
        f"{checked.per_day()} UNION ALL {reference.per_day('-')}"
        ") AS BOTH_SIDES GROUP BY CHECK_DAY) AS PER_DAY)"
    )
    return {"check_statement": f"{difference} = 0", "observed": difference}


FLIGHT_KEY = "CARRIER, FLIGHT, ORIGIN, SCHED_DEP_TIME"
RAW_FLIGHTS = "{database}.RAW.FLIGHTS"
CORE_FLIGHTS = "{database}.CORE.FCT_FLIGHTS"
FILE_LOADS = "{database}.AUDIT.FILE_LOADS"
EVERY_DAY_HAS_FILES = "COUNT(DISTINCT PARTITION_KEY) = {days}"

RAW = (
    TableChecks(
        name="flights",
        table=RAW_FLIGHTS,
        partition_column="_PARTITION",
        columns={
            **_not_null("CARRIER", "FLIGHT", "ORIGIN", "SCHED_DEP_TIME", "_BATCH_ID"),
            "MONTH": {"min": {"geq_to": 1}, "max": {"leq_to": 12}},
            "DISTANCE": {"min": {"greater_than": 0}},
        },
        table_checks={
            "row_count_positive": _rows_every_day("_PARTITION"),
            "flight_key_unique": _key_unique("_PARTITION", FLIGHT_KEY),
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
        table=FILE_LOADS,
        partition_column="PARTITION_KEY",
        table_checks={
            # Nothing lost: every line of each file is either in RAW or in QUARANTINE. Per file
            # (one row per source and day), so no file's loss can hide behind another's surplus;
            # the lines not accounted for, summed over the files, are observed. Every day of the
            # range must have its files recorded (null observed otherwise, as for one day).
            "file_rows_accounted_for": {
                "check_statement": f"{EVERY_DAY_HAS_FILES} AND "
                + _none("ROWS_IN_FILE IS DISTINCT FROM ROWS_LOADED + ROWS_QUARANTINED")["check_statement"],
                "observed": f"CASE WHEN {EVERY_DAY_HAS_FILES} THEN "
                "SUM(ABS(COALESCE(ROWS_IN_FILE, 0) - COALESCE(ROWS_LOADED + ROWS_QUARANTINED, 0))) END",
            },
            # A file where more than 5% of rows are rejected is broken, not merely dirty: every
            # file on its own. The worst file's share is observed.
            "quarantine_share_below_5pct": {
                "check_statement": f"{EVERY_DAY_HAS_FILES} AND "
                + _none("ROWS_QUARANTINED > 0.05 * ROWS_IN_FILE")["check_statement"],
                "observed": f"CASE WHEN {EVERY_DAY_HAS_FILES} THEN MAX(ROWS_QUARANTINED / NULLIF(ROWS_IN_FILE, 0)) END",
            },
        },
    ),
)

CORE = (
    TableChecks(
        name="fct_flights",
        table=CORE_FLIGHTS,
        partition_column="FLIGHT_DATE",
        columns={
            **_not_null("FLIGHT_DATE", "CARRIER", "FLIGHT", "ORIGIN", "DEST", "IS_CANCELLED", "IS_ON_TIME"),
            "DISTANCE": {"min": {"greater_than": 0}},
        },
        table_checks={
            "row_count_positive": _rows_every_day("FLIGHT_DATE"),
            "flight_key_unique": _key_unique("FLIGHT_DATE", FLIGHT_KEY),
            "reconciles_with_raw": _reconciles(
                _DailyTotal(CORE_FLIGHTS, "FLIGHT_DATE", "COUNT(*)"),
                _DailyTotal(RAW_FLIGHTS, "_PARTITION", "COUNT(*)"),
            ),
            "carriers_in_dim_carriers": _none("CARRIER NOT IN (SELECT CARRIER FROM {database}.CORE.DIM_CARRIERS)"),
        },
    ),
)

MART_TABLE = "{database}.{versions}.{version_table}"  # the new version, before it is published
CORE_DAILY_FLIGHTS = _DailyTotal(CORE_FLIGHTS, "FLIGHT_DATE", "COUNT(*)")
FLIGHTS_RECONCILE = _reconciles(_DailyTotal(MART_TABLE, "FLIGHT_DATE", "SUM(FLIGHTS)"), CORE_DAILY_FLIGHTS)

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
            "cancelled_reconcile_with_core": _reconciles(
                _DailyTotal(MART_TABLE, "FLIGHT_DATE", "SUM(CANCELLED)"),
                _DailyTotal(CORE_FLIGHTS, "FLIGHT_DATE", "COUNT(*)", where="IS_CANCELLED"),
            ),
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
    checks: TableChecks,
    database: str,
    versions: str,
    first_day: str,
    last_day: str,
    version_table: str | None = None,
) -> TableChecks:
    """Fill the placeholders: database and schema names from config, the days under check
    (``first_day..last_day``, inclusive; ``days`` is their number) and, for a mart, the version
    table under audit. The days are spliced into SQL: both must be ISO dates, in order."""
    try:
        first, last = dt.date.fromisoformat(first_day), dt.date.fromisoformat(last_day)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the days under check must be ISO dates (YYYY-MM-DD): {first_day!r}, {last_day!r}") from e
    if first.isoformat() != first_day or last.isoformat() != last_day:
        raise ValueError(f"the days under check must be ISO dates (YYYY-MM-DD): {first_day!r}, {last_day!r}")
    if first > last:
        raise ValueError(f"first day {first_day} is after last day {last_day}")
    if "{version_table}" in checks.table and not version_table:
        raise ValueError(f"checks of {checks.name} need the version table under audit")
    values = {
        "database": database,
        "versions": versions,
        "first_day": first_day,
        "last_day": last_day,
        "days": str((last - first).days + 1),
        "version_table": version_table,
    }

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
