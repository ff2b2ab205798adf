from __future__ import annotations

import pytest
from flights_elt.pipeline import assets, spec
from flights_elt.warehouse import ident, render_sql


def test_every_source_has_a_key_made_of_its_columns():
    for table in spec.SOURCES:
        assert table.key, table.name
        assert set(table.key) <= set(table.column_names), table.name
        for col in table.columns:
            assert col.name == col.name.upper() and ident(col.name)


def test_landing_paths_carry_the_partition_date():
    assert spec.FLIGHTS.landing_path("2013-01-05") == "flights/2013-01-05.csv"
    assert spec.AIRLINES.landing_path() == "reference/airlines.csv"
    with pytest.raises(ValueError, match="partition key is required"):
        spec.FLIGHTS.landing_path()


def test_asset_names_and_uris_follow_one_scheme():
    for a in (*assets.RAW_ASSETS, *assets.CORE_ASSETS, *assets.MART_ASSETS):
        layer, table = a.name.split(".")
        assert a.uri == f"warehouse://flights/{layer}/{table}"
    with pytest.raises(ValueError):
        assets.warehouse_asset("raw", "bad-name")


def test_identifiers_are_validated():
    assert ident("FCT_FLIGHTS") == "FCT_FLIGHTS"
    for bad in ("fct_flights", "X; drop table Y", "A B", ""):
        with pytest.raises(ValueError):
            ident(bad)


def test_sql_templates_take_identifiers_from_config(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ELT_DATABASE", "ANALYTICS")
    sql = render_sql("raw/delete_partition", schema="RAW", table="FLIGHTS")
    assert "ANALYTICS.RAW.FLIGHTS" in sql and "between %(first_day)s and %(last_day)s" in sql
    with pytest.raises(ValueError):
        monkeypatch.setenv("ELT_DATABASE", "bad name")
        render_sql("raw/delete_partition", schema="RAW", table="FLIGHTS")
