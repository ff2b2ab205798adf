"""Quality gates: Airflow's SQL check operators and Soda scans, with every outcome recorded.

Each hop has one gate task, the only task of its DAG that emits assets. It runs the layer's
``SQLColumnCheckOperator`` / ``SQLTableCheckOperator`` checks (built from ``checks_spec`` and
scoped to the run's days through ``partition_clause``; over a batch, each check fails if any
one day would fail it alone) and the layer's Soda scan, records every
outcome — pass, warn, fail — in ``AUDIT.CHECK_RESULTS`` with its observed value and threshold,
and either passes or raises ``GateFailed``, an ``AirflowFailException``: the task fails at once
without retries (bad data does not get better by retrying), so the asset event is never emitted
and the next DAG never starts on those days. The failure message names each failed check
with its observed value, which is what the alerts carry. Checks that could not run at all (the
warehouse is unreachable) raise ordinary errors instead, and retries apply.

One task per hop instead of one per check: each Airflow task costs close to a second of CPU in
process start, scheduling and API calls, which on a small machine dominated the checks
themselves (see the README's performance section).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator
from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

from flights_elt import driver
from flights_elt.config import CHECKS_DIR, WAREHOUSE_CONN_ID, ensure_warehouse_ca
from flights_elt.pipeline.days import Days
from flights_elt.quality.outcomes import CheckOutcome, GateFailed

log = logging.getLogger(__name__)


def run_context(context: Any) -> dict[str, Any]:
    """Who checked what: the run, task, try and the days (``2013-01-05``, or a batch's range)."""
    from flights_elt.pipeline.days import of_run

    ti = context["ti"]
    return {
        "run_id": context["run_id"],
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "try_number": int(getattr(ti, "try_number", 1) or 1),
        "partition_key": of_run(context).label,
    }


def record(outcomes: Iterable[CheckOutcome], ctx: dict[str, Any]) -> None:
    """Append outcomes to AUDIT.CHECK_RESULTS in one multi-row INSERT statement."""
    from flights_elt.warehouse import Warehouse, render_sql

    rows = [
        {
            **ctx,
            "check_source": o.source,
            "table_name": o.table,
            "check_name": o.name,
            "observed_value": _text(o.observed),
            "threshold": o.threshold,
            "outcome": o.outcome,
        }
        for o in outcomes
    ]
    if not rows:
        return
    with Warehouse() as wh, wh.conn.cursor() as cur:
        cur.executemany(render_sql("audit/insert_check_result"), rows)  # the driver sends one INSERT


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
        from flights_elt.quality.alerts import send_warning_notice

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
    """Shared by the audited check operators: the operator's own verdict, as CheckOutcomes."""

    task_id: str

    def _outcomes(self) -> list[CheckOutcome]:
        raise NotImplementedError

    def _run_checks(self, operator_class: type, context: Any) -> list[CheckOutcome]:
        """Run ``operator_class``'s own check logic and turn its verdict into outcomes.

        Inside a gate task the operator is a check engine, not a task of its own: its
        ``execute`` is called unwrapped from Airflow's safeguard, which otherwise logs that an
        operator is being executed outside the task runner."""
        execute = getattr(operator_class.execute, "__wrapped__", operator_class.execute)
        ensure_warehouse_ca()
        driver.install()
        try:
            execute(self, context)
        except Exception:
            outcomes = self._outcomes()
            if not any(o.outcome == "fail" for o in outcomes):
                raise  # not a check verdict (e.g. the query could not run): retries apply
            return outcomes
        return self._outcomes()


class AuditedSQLColumnCheckOperator(_AuditedCheck, SQLColumnCheckOperator):
    """SQLColumnCheckOperator that records every result and fails fast with observed values."""

    ui_color = "#f3e5ab"

    def execute(self, context: Any) -> None:
        enforce(self.task_id, self.run_checks(context), context)

    def run_checks(self, context: Any) -> list[CheckOutcome]:
        return self._run_checks(SQLColumnCheckOperator, context)

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
        enforce(self.task_id, self.run_checks(context), context)

    def run_checks(self, context: Any) -> list[CheckOutcome]:
        # `checks` may have been templated after __init__ built the query: rebuild it.
        self.sql = f"SELECT check_name, check_result FROM ({self._generate_sql_query()}) AS check_table"
        return self._run_checks(SQLTableCheckOperator, context)

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
    driver.install()
    os.environ.update(soda_environment())
    os.environ["SODA_SCHEMA"] = schema
    scan = Scan()
    scan.disable_telemetry()
    scan.set_scan_definition_name(f"{layer}-{variables.get('first_day', '')}-{variables.get('last_day', '')}")
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


def soda_variables(days: Days, **extra: str) -> dict[str, str]:
    """The variables of every scan: the run's days (``first_day``, ``last_day``, ``days``)."""
    deadline = os.environ.get("ELT_PUBLISH_DEADLINE_MINUTES", "60")
    return {**days.params(), "days": str(len(days)), "PUBLISH_DEADLINE_MINUTES": deadline, **extra}


# --------------------------------------------------------------------------- the gate of a hop


def sql_check_operators(layer: str, days: Days, version_tables: dict[str, str] | None = None) -> list[Any]:
    """One SQLColumnCheckOperator and/or SQLTableCheckOperator per table of ``layer``, built from
    checks_spec and scoped to ``days``. ``version_tables`` names the mart versions under audit."""
    from flights_elt.config import settings
    from flights_elt.quality import checks_spec

    s = settings()
    ops: list[Any] = []
    for spec in checks_spec.LAYERS[layer]:
        version_table = (version_tables or {}).get(spec.name.upper())
        c = checks_spec.resolve(spec, s.database, s.schemas["versions"], days.first, days.last, version_table)
        common = {
            "conn_id": WAREHOUSE_CONN_ID,
            # Days holds two ISO dates (validated): safe to splice into SQL.
            "partition_clause": f"{c.partition_column} BETWEEN '{days.first}' AND '{days.last}'",
            "table": c.table,
        }
        prefix = f"check_{layer}_{c.name}"
        if c.columns:
            ops.append(AuditedSQLColumnCheckOperator(task_id=f"{prefix}_columns", column_mapping=c.columns, **common))
        if c.table_checks:
            ops.append(AuditedSQLTableCheckOperator(task_id=f"{prefix}_table", checks=c.table_checks, **common))
    return ops


def layer_scan(layer: str, days: Days, extra_variables: dict[str, str] | None = None) -> list[CheckOutcome]:
    """The Soda scan of one layer (checks/<layer>/*.yml) for the run's days."""
    from flights_elt.config import settings

    s = settings()
    schema = {"raw": s.schemas["raw"], "core": s.schemas["core"], "marts": s.schemas["versions"]}[layer]
    variables = soda_variables(days, DATABASE=s.database, **(extra_variables or {}))
    return soda_scan(layer, variables, schema)


class _Borrowed:
    """A connection lent to a hook: the hook's ``close()`` leaves it open for the next check."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class GateSessionHook(SnowflakeHook):
    """The warehouse hook of one gate: every check operator of the gate runs on one session
    (a login costs more than most checks), bounded by ``ELT_WAREHOUSE_TIMEOUT_S`` like every
    other session of the pipeline. Use as a context manager; leaving it closes the session."""

    _session: Any = None

    def get_conn(self) -> Any:
        if self._session is None:
            from flights_elt.warehouse import bounded_connect

            self._session = bounded_connect(self)
        return _Borrowed(self._session)

    def __enter__(self) -> GateSessionHook:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def run_gate(
    layer: str,
    context: Any,
    version_tables: dict[str, str] | None = None,
    extra_variables: dict[str, str] | None = None,
) -> dict[str, int]:
    """The whole gate of one hop for the run's days: SQL checks, then the Soda scan.

    Every check runs even when an earlier one failed, so the record and the alert show the
    whole picture; then GateFailed is raised if any ``fail`` outcome was seen."""
    from flights_elt.pipeline.days import of_run

    days = of_run(context)
    outcomes: list[CheckOutcome] = []
    with GateSessionHook(snowflake_conn_id=WAREHOUSE_CONN_ID) as hook:
        for op in sql_check_operators(layer, days, version_tables):
            op._hook = hook  # the operator's own hook would log in again for every check
            outcomes += op.run_checks(context)
    outcomes += layer_scan(layer, days, extra_variables)
    warnings = enforce(context["ti"].task_id, outcomes, context)
    return {"checks": len(outcomes), "warnings": len(warnings)}
