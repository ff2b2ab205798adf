"""Write-audit-publish of the marts.

``build`` writes a new version of each mart aside (``MARTS_VERSIONS.<MART>__V<n>``: a clone of
the published version with the run's days replaced); the gates audit that version; ``switch``
then points ``MARTS.<MART>`` (a view) at it in one ``CREATE OR REPLACE VIEW`` statement, so a
reader sees either the old or the new version, never a mix. A failed audit leaves the view,
and therefore every reader, exactly where it was. Publishing is serialized (the publish DAG
runs one partition at a time) so two versions never race from the same base.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flights_elt.pipeline.days import Days
from flights_elt.warehouse import Warehouse, ident

log = logging.getLogger(__name__)

KEEP_VERSIONS = 3  # published versions kept for rollback


@dataclass(frozen=True)
class Mart:
    name: str
    key: tuple[str, ...]
    description: str

    def version_table(self, version: int) -> str:
        return ident(f"{self.name}__V{version}")


MARTS = (
    Mart(
        "CARRIER_DAILY_PERFORMANCE",
        ("FLIGHT_DATE", "CARRIER"),
        "Daily flights, cancellations, average delays and on-time rate per carrier.",
    ),
    Mart(
        "ROUTE_DAILY_DELAYS",
        ("FLIGHT_DATE", "ORIGIN", "DEST"),
        "Daily delays per route with the weather at the origin.",
    ),
)


def mart(name: str) -> Mart:
    for m in MARTS:
        if m.name == name:
            return m
    raise KeyError(name)


def ensure_initial_versions(wh: Warehouse) -> None:
    """Publish an empty version 0 of every mart once, so the consumer views always exist."""
    for m in MARTS:
        if published_version(wh, m) is not None:
            continue
        table = m.version_table(0)
        wh.run_file(f"marts/create_{m.name.lower()}", schema=_schema("versions"), table=table)
        switch(wh, m, 0, [""], "setup")


def published_version(wh: Warehouse, m: Mart) -> int | None:
    v = wh.scalar(_sql("audit/published_version"), {"mart": m.name})
    return int(v) if v is not None else None


def build(wh: Warehouse, m: Mart, days: Days, run_id: str) -> dict[str, object]:
    """Build the next version of one mart aside, with the run's days replaced. Not yet visible."""
    current = published_version(wh, m)
    version = int(wh.scalar(_sql("audit/max_version"), {"mart": m.name})) + 1
    table = m.version_table(version)
    if current is None:
        wh.run_file(f"marts/create_{m.name.lower()}", schema=_schema("versions"), table=table)
    else:
        wh.run_file(
            "marts/clone_version",
            new_version=table,
            current_version=m.version_table(current),
        )
    with wh.transaction():
        wh.run_file("marts/delete_partition", days.params(), table=table)
        wh.run_file(f"marts/{m.name.lower()}", days.params(), schema=_schema("versions"), table=table)
        _log(wh, m, version, days.keys, run_id, "built")
    log.info("built %s version %s for %s (published: %s)", m.name, version, days.label, current)
    return {"mart": m.name, "version": version, "table": table, "previous": current}


def switch(wh: Warehouse, m: Mart, version: int, keys: list[str], run_id: str) -> None:
    """Publish an audited version: one statement moves every reader to it."""
    table = m.version_table(version)
    wh.run_file("marts/switch_view", mart=ident(m.name), version=table)
    _log(wh, m, version, keys, run_id, "published")
    _drop_old_versions(wh, m, version)


def discard(wh: Warehouse, m: Mart, version: int, keys: list[str], run_id: str) -> None:
    """Drop a version that failed its audit; the published view never pointed at it."""
    wh.run_file("marts/drop_version", version=m.version_table(version))
    _log(wh, m, version, keys, run_id, "rejected")


def _log(wh: Warehouse, m: Mart, version: int, keys: list[str], run_id: str, status: str) -> None:
    """One PUBLICATIONS row per day the version was built for (one multi-row INSERT)."""
    rows = [
        {
            "mart": m.name,
            "version": version,
            "version_table": m.version_table(version),
            "partition_key": key,
            "run_id": run_id,
            "status": status,
        }
        for key in keys
    ]
    with wh.conn.cursor() as cur:
        cur.executemany(_sql("audit/insert_publication"), rows)


def _drop_old_versions(wh: Warehouse, m: Mart, published: int) -> None:
    _, rows = wh.query(
        "select table_name from information_schema.tables where table_schema = %(s)s and table_name like %(p)s",
        {"s": _schema("versions"), "p": f"{m.name}__V%"},
    )
    for (name,) in rows:
        suffix = name.rsplit("__V", 1)[-1]
        if suffix.isdigit() and int(suffix) <= published - KEEP_VERSIONS:
            wh.run_file("marts/drop_version", version=ident(name))


def _schema(key: str) -> str:
    from flights_elt.config import settings

    return settings().schemas[key]


def _sql(name: str) -> str:
    from flights_elt.warehouse import render_sql

    return render_sql(name)
