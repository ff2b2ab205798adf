"""Every Airflow Asset of the pipeline, built by one helper so names and URIs follow one scheme.

Name ``<layer>.<table>`` (lower case), URI ``warehouse://flights/<layer>/<table>``. The URI
names the logical table, not a Snowflake account: the same DAGs run against the emulator and
real Snowflake, and the Snowflake provider's URI sanitizer rejects ad hoc ``snowflake://``
URIs without an account.
"""

from __future__ import annotations

from airflow.sdk import Asset

SCHEME = "warehouse"
DOMAIN = "flights"


def warehouse_asset(layer: str, table: str) -> Asset:
    layer, table = layer.lower(), table.lower()
    if not layer.isidentifier() or not table.isidentifier():
        raise ValueError(f"bad asset parts: {layer!r}, {table!r}")
    return Asset(
        name=f"{layer}.{table}",
        uri=f"{SCHEME}://{DOMAIN}/{layer}/{table}",
        group="flights",
    )


RAW_FLIGHTS = warehouse_asset("raw", "flights")
RAW_WEATHER = warehouse_asset("raw", "weather")
CORE_FCT_FLIGHTS = warehouse_asset("core", "fct_flights")
MARTS_CARRIER_DAILY_PERFORMANCE = warehouse_asset("marts", "carrier_daily_performance")
MARTS_ROUTE_DAILY_DELAYS = warehouse_asset("marts", "route_daily_delays")

RAW_ASSETS = (RAW_FLIGHTS, RAW_WEATHER)
CORE_ASSETS = (CORE_FCT_FLIGHTS,)
MART_ASSETS = (MARTS_CARRIER_DAILY_PERFORMANCE, MARTS_ROUTE_DAILY_DELAYS)
