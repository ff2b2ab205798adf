"""Quality gates: Soda scans and Airflow's SQL check operators, with every outcome recorded.

A gate task either passes (all ``fail``-severity checks pass), or raises ``GateFailed``, an
``AirflowFailException``: the task fails at once without retries (bad data does not get
better by retrying), the task that emits the asset never runs, and so the next DAG never
starts on that partition. Every outcome — pass, warn, fail — goes to ``AUDIT.CHECK_RESULTS``
with its observed value and threshold, and the failure message names each failed check with
its observed value, which is what the alerts carry.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator
from airflow.sdk.exceptions import AirflowFailException

from flights_elt.config import CHECKS_DIR, WAREHOUSE_CONN_ID, ensure_warehouse_ca

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckOutcome:
    source: str  # soda | sql_column | sql_table
    table: str
    name: str
    observed: Any
    threshold: str
    outcome: str  # pass | warn | fail

    def describe(self) -> str:
        return f"{self.table}: {self.name} — observed {self.observed!r}, expected {self.threshold}"


class GateFailed(AirflowFailException):
    """A data-quality gate stopped the partition (never retried)."""

    def __init__(self, gate: str, partition: str | None, failed: Sequence[CheckOutcome]) -> None:
        self.failed = list(failed)
        lines = "\n".join(f"  - {f.describe()}" for f in failed)
        super().__init__(f"gate {gate} failed for partition {partition}: {len(failed)} check(s)\n{lines}")


def run_context(context: Any) -> dict[str, Any]:
    ti = context["ti"]
    return {
        "run_id": context["run_id"],
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "try_number": int(getattr(ti, "try_number", 1) or 1),
        "partition_key": getattr(context["dag_run"], "partition_key", None),
    }


def record(outcomes: Iterable[CheckOutcome], ctx: dict[str, Any]) -> None:
    """Append outcomes to AUDIT.CHECK_RESULTS (one transaction)."""
    from flights_elt.warehouse import Warehouse, render_sql

    rows = list(outcomes)
    if not rows:
        return
    sql = render_sql("audit/insert_check_result")
    with Warehouse() as wh, wh.transaction(), wh.conn.cursor() as cur:
        for o in rows:
            cur.execute(
                sql,
                {
                    **ctx,
                    "check_source": o.source,
                    "table_name": o.table,
                    "check_name": o.name,
                    "observed_value": _text(o.observed),
                    "threshold": o.threshold,
                    "outcome": o.outcome,
                },
            )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(round(value, 6))
    return str(value)


def enforce(gate: str, outcomes: Sequence[CheckOutcome], context: Any) -> list[CheckOutcome]:
    """Record outcomes, surface warnings, raise GateFailed on any failure. Returns warnings."""
    ctx = run_context(context)
    record(outcomes, ctx)
    warnings = [o for o in outcomes if o.outcome == "warn"]
    failed = [o for o in outcomes if o.outcome == "fail"]
    for w in warnings:
        log.warning("gate %s warning: %s", gate, w.describe())
    if warnings:
        from flights_elt.alerts import send_warning_notice

        send_warning_notice(gate, warnings, context)
    if failed:
        raise GateFailed(gate, ctx["partition_key"], failed)
    log.info("gate %s passed: %d checks (%d warnings)", gate, len(outcomes), len(warnings))
    return warnings


# --------------------------------------------------------------------------- SQL check operators

_THRESHOLD_WORDS = {
    "equal_to": "=",
    "greater_than": ">",
    "geq_to": ">=",
    "less_than": "<",
    "leq_to": "<=",
}


class _AuditedCheck:
    """Shared by the audited check operators: record every outcome, fail fast on a failed check."""

    task_id: str

    def _outcomes(self) -> list[CheckOutcome]:
        raise NotImplementedError

    def _audited(self, run: Any, context: Any) -> None:
        ensure_warehouse_ca()
        try:
            run(context)
        except Exception:
            outcomes = self._outcomes()
            if not any(o.outcome == "fail" for o in outcomes):
                raise  # not a check verdict (e.g. the query could not run): retries apply
            enforce(self.task_id, outcomes, context)  # raises GateFailed
            raise
        enforce(self.task_id, self._outcomes(), context)


class AuditedSQLColumnCheckOperator(_AuditedCheck, SQLColumnCheckOperator):
    """SQLColumnCheckOperator that records every result and fails fast with observed values."""

    ui_color = "#f3e5ab"

    def execute(self, context: Any) -> None:
        self._audited(super().execute, context)

    def _outcomes(self) -> list[CheckOutcome]:
        out = []
        for column, checks in self.column_mapping.items():
            for check, values in checks.items():
                if "success" not in values:
                    continue
                threshold = " and ".join(
                    f"{_THRESHOLD_WORDS[k]} {v}" for k, v in values.items() if k in _THRESHOLD_WORDS
                )
                if values.get("tolerance") is not None:
                    threshold += f" (tolerance {values['tolerance']})"
                out.append(
                    CheckOutcome(
                        "sql_column",
                        self.table,
                        f"{column}.{check}",
                        values.get("result"),
                        threshold,
                        "pass" if values["success"] else "fail",
                    )
                )
        return out


class AuditedSQLTableCheckOperator(_AuditedCheck, SQLTableCheckOperator):
    """SQLTableCheckOperator that also records each check's observed value (the ``observed`` key)."""

    ui_color = "#f3e5ab"
    template_fields = (*SQLTableCheckOperator.template_fields, "checks")

    def execute(self, context: Any) -> None:
        # `checks` is templated (the observed expressions may use the partition key); rebuild
        # the operator's query from the rendered checks.
        self.sql = f"SELECT check_name, check_result FROM ({self._generate_sql_query()}) AS check_table"
        self._audited(super().execute, context)

    def _observed(self) -> dict[str, Any]:
        exprs = {name: c["observed"] for name, c in self.checks.items() if c.get("observed")}
        if not exprs:
            return {}
        where = f"WHERE {self.partition_clause}" if self.partition_clause else ""
        select = ", ".join(f"{expr} AS {name}" for name, expr in exprs.items())
        row = self.get_db_hook().get_first(f"SELECT {select} FROM {self.table} {where}")
        return dict(zip(exprs, row or (), strict=False))

    def _outcomes(self) -> list[CheckOutcome]:
        if not any("success" in c for c in self.checks.values()):
            return []
        observed = self._observed()
        return [
            CheckOutcome(
                "sql_table",
                self.table,
                name,
                observed.get(name, c.get("result")),
                c["check_statement"],
                "pass" if c.get("success") else "fail",
            )
            for name, c in self.checks.items()
        ]


# --------------------------------------------------------------------------- Soda


def ensure_soda_telemetry_off() -> None:
    """Soda reads its telemetry switch from ~/.soda/config.yml (not configuration.yml).

    The machines this runs on are offline: without this, every CLI scan spends seconds
    retrying the telemetry endpoint. In-process scans also call ``scan.disable_telemetry()``.
    """
    cfg = Path.home() / ".soda" / "config.yml"
    try:
        text = cfg.read_text() if cfg.exists() else ""
        if "send_anonymous_usage_stats" not in text:
            cfg.parent.mkdir(parents=True, exist_ok=True)
            cfg.write_text(
                text + ("\n" if text and not text.endswith("\n") else "") + "send_anonymous_usage_stats: false\n"
            )
    except OSError:
        log.warning("could not write %s; Soda CLI telemetry stays on", cfg)


def soda_environment(conn_id: str = WAREHOUSE_CONN_ID) -> dict[str, str]:
    """The variables checks/configuration.yml reads, taken from the Airflow warehouse connection."""
    from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

    hook = SnowflakeHook(snowflake_conn_id=conn_id)
    p = hook._get_conn_params  # resolves account, database, key-pair auth, host/port overrides
    params = p() if callable(p) else p
    env = {
        "SODA_SNOWFLAKE_ACCOUNT": str(params.get("account") or ""),
        "SODA_SNOWFLAKE_USER": str(params.get("user") or ""),
        "SODA_SNOWFLAKE_PASSWORD": str(params.get("password") or ""),
        "SODA_SNOWFLAKE_DATABASE": str(params.get("database") or ""),
        "SODA_SNOWFLAKE_WAREHOUSE": str(params.get("warehouse") or ""),
        "SODA_SNOWFLAKE_ROLE": str(params.get("role") or ""),
        "SODA_SNOWFLAKE_HOST": str(params.get("host") or f"{params.get('account')}.snowflakecomputing.com"),
        "SODA_SNOWFLAKE_PORT": str(params.get("port") or 443),
    }
    return env


def soda_scan(
    layer: str, variables: dict[str, str], schema: str, files: Sequence[Path] | None = None
) -> list[CheckOutcome]:
    """Run the SodaCL files of one layer (checks/<layer>/*.yml) and return their outcomes."""
    from soda.scan import Scan

    ensure_warehouse_ca()
    os.environ.update(soda_environment())
    os.environ["SODA_SCHEMA"] = schema
    scan = Scan()
    scan.disable_telemetry()
    scan.set_scan_definition_name(f"{layer}-{variables.get('partition', '')}")
    scan.set_data_source_name("warehouse")
    scan.add_configuration_yaml_file(str(CHECKS_DIR / "configuration.yml"))
    scan.add_variables(variables)
    for f in files or sorted((CHECKS_DIR / layer).glob("*.yml")):
        scan.add_sodacl_yaml_file(str(f))
    scan.execute()
    if scan.has_error_logs():
        # A scan that could not run is an error, not a data verdict: let retries apply.
        raise RuntimeError(f"soda scan of {layer} could not run:\n{scan.get_error_logs_text()}")
    outcomes = []
    for c in scan.get_scan_results().get("checks", []):
        diag = c.get("diagnostics") or {}
        threshold = {k: diag[k] for k in ("warn", "fail") if diag.get(k)}
        outcomes.append(
            CheckOutcome(
                "soda",
                str(c.get("table")),
                str(c.get("name")),
                diag.get("value"),
                json.dumps(threshold, default=str) if threshold else str(c.get("definition", "")).strip(),
                str(c.get("outcome") or "fail"),  # not evaluated counts as failed
            )
        )
    return outcomes


def soda_variables(partition: str, **extra: str) -> dict[str, str]:
    day = dt.date.fromisoformat(partition)
    # Freshness is measured against the end of the partition's day, not the wall clock:
    # a day of 2013 data is "fresh" when it covers that day.
    now = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12, 0))
    deadline = os.environ.get("ELT_PUBLISH_DEADLINE_MINUTES", "60")
    return {"partition": partition, "NOW": now.isoformat(), "PUBLISH_DEADLINE_MINUTES": deadline, **extra}


# --------------------------------------------------------------------------- DAG wiring helpers


def sql_check_tasks(layer: str) -> list[Any]:
    """One SQLColumnCheckOperator and/or SQLTableCheckOperator per table of ``layer``, built from
    checks_spec, scoped to the run's partition. Call inside a ``with DAG(...)`` block."""
    from flights_elt import checks_spec
    from flights_elt.config import settings

    s = settings()
    tasks: list[Any] = []
    for spec in checks_spec.LAYERS[layer]:
        c = checks_spec.resolve(spec, s.database, s.schemas["versions"])
        clause = f"{c.partition_column} = '{{{{ dag_run.partition_key }}}}'"
        common = {"conn_id": WAREHOUSE_CONN_ID, "partition_clause": clause, "table": c.table}
        if c.columns:
            tasks.append(
                AuditedSQLColumnCheckOperator(
                    task_id=f"check_{layer}_{c.name}_columns", column_mapping=c.columns, **common
                )
            )
        if c.table_checks:
            tasks.append(
                AuditedSQLTableCheckOperator(task_id=f"check_{layer}_{c.name}_table", checks=c.table_checks, **common)
            )
    return tasks


def scan_layer(layer: str, context: Any, extra_variables: dict[str, str] | None = None) -> dict[str, int]:
    """The Soda gate of one layer for the run's partition."""
    from flights_elt.config import settings
    from flights_elt.dag_defaults import partition_key

    s = settings()
    schema = {"raw": s.schemas["raw"], "core": s.schemas["core"], "marts": s.schemas["versions"]}[layer]
    key = partition_key(context)
    variables = soda_variables(key, DATABASE=s.database, **(extra_variables or {}))
    outcomes = soda_scan(layer, variables, schema)
    warnings = enforce(f"scan_{layer}", outcomes, context)
    return {"checks": len(outcomes), "warnings": len(warnings)}
