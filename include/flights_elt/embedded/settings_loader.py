"""Load ``airflow_settings.yaml`` (the Astro CLI format) into the Airflow metadata DB.

Airflow has no loader for this format (``airflow variables import`` would create one variable
holding the whole file), so this module reads it and upserts connections, variables and pools
through Airflow's models, in one process. Connections and variables set in the environment
(``AIRFLOW_CONN_*`` / ``AIRFLOW_VAR_*``) are looked up before the metadata DB by Airflow itself,
so the environment always wins. Local use only: production passes connections by environment
or a secrets backend.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def _expand(value: Any) -> Any:
    """Expand ``${NAME}`` / ``${NAME:-default}`` from the environment in string values.

    Lets the local file follow the stack's ports (``ELT_WAREHOUSE_PORT``) without secrets in it.
    """
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, str):
        out = _VAR.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
        return int(out) if out != value and out.isdigit() else out
    return value


def read(path: Path) -> dict[str, list[dict[str, Any]]]:
    doc = _expand(yaml.safe_load(path.read_text()) or {})
    section = doc.get("airflow", doc) or {}
    return {k: list(section.get(k) or []) for k in ("connections", "variables", "pools")}


def connection_uri_env(path: Path) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` JSON values for the file's connections (for non-Airflow processes)."""
    env: dict[str, str] = {}
    for c in read(path)["connections"]:
        env[f"AIRFLOW_CONN_{c['conn_id'].upper()}"] = json.dumps(_connection_dict(c))
    return env


def _connection_dict(c: dict[str, Any]) -> dict[str, Any]:
    extra = c.get("conn_extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    out = {
        "conn_type": c["conn_type"],
        "host": c.get("conn_host"),
        "schema": c.get("conn_schema"),
        "login": c.get("conn_login"),
        "password": c.get("conn_password"),
        "port": c.get("conn_port"),
        "extra": extra,
    }
    return {k: v for k, v in out.items() if v not in (None, "", {})}


def load(path: Path) -> dict[str, int]:
    """Upsert everything in the file into the metadata DB; returns counts."""
    # The ORM models, not the task SDK's read-only ones: this writes to the metadata DB.
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session

    spec = read(path)
    with create_session() as session:
        for c in spec["connections"]:
            d = _connection_dict(c)
            existing = session.query(Connection).filter(Connection.conn_id == c["conn_id"]).one_or_none()
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(
                Connection(
                    conn_id=c["conn_id"],
                    conn_type=d["conn_type"],
                    host=d.get("host"),
                    schema=d.get("schema"),
                    login=d.get("login"),
                    password=d.get("password"),
                    port=d.get("port"),
                    extra=json.dumps(d["extra"]) if d.get("extra") else None,
                )
            )
        for p in spec["pools"]:
            pool = session.query(Pool).filter(Pool.pool == p["pool_name"]).one_or_none()
            if pool is None:
                pool = Pool(pool=p["pool_name"], slots=int(p["pool_slot"]), include_deferred=False)
                session.add(pool)
            pool.slots = int(p["pool_slot"])
            pool.description = p.get("pool_description", "")
    for v in spec["variables"]:
        name = v["variable_name"]
        if f"AIRFLOW_VAR_{name.upper()}" in os.environ:
            continue  # the environment wins; don't shadow it in the DB
        Variable.set(name, v.get("variable_value", ""))
    return {k: len(v) for k, v in spec.items()}
