from __future__ import annotations

import json
from pathlib import Path

import pytest
from flights_elt.config import PROJECT_ROOT
from flights_elt.embedded import settings_loader
from flights_elt.pipeline import landing


def test_days_is_inclusive():
    assert list(landing.days("2013-01-30", "2013-02-02")) == [
        "2013-01-30",
        "2013-01-31",
        "2013-02-01",
        "2013-02-02",
    ]
    with pytest.raises(ValueError):
        list(landing.days("2013-01-02", "2013-01-01"))


def test_seed_writes_one_file_per_day_with_the_source_rows(landing_dir: Path):
    written = landing.seed("2013-01-01", "2013-01-02")
    assert written["FLIGHTS"] == 2 and written["WEATHER"] == 2 and written["AIRLINES"] == 1
    src = landing.source_frame("flights")
    jan1 = src[(src.month == "1") & (src.day == "1")]
    text = (landing_dir / "flights" / "2013-01-01.csv").read_text()
    assert text.count("\n") == len(jan1) + 1  # header + one line per flight
    assert (landing_dir / "reference" / "planes.csv").exists()
    # A second seed leaves landed files alone.
    assert landing.seed("2013-01-01", "2013-01-02")["FLIGHTS"] == 0


def test_settings_file_converts_to_connection_env():
    env = settings_loader.connection_uri_env(PROJECT_ROOT / "airflow_settings.yaml")
    conn = json.loads(env["AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE"])
    assert conn["conn_type"] == "snowflake"
    assert conn["extra"]["database"] == "FLIGHTS"


def test_settings_reader_handles_astro_format(tmp_path: Path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "airflow:\n  connections:\n    - conn_id: x\n      conn_type: http\n      conn_host: h\n"
        "      conn_extra: '{\"a\": 1}'\n  variables:\n    - variable_name: v\n      variable_value: '1'\n"
        "  pools:\n    - pool_name: p\n      pool_slot: 2\n"
    )
    spec = settings_loader.read(f)
    assert [c["conn_id"] for c in spec["connections"]] == ["x"]
    assert json.loads(settings_loader.connection_uri_env(f)["AIRFLOW_CONN_X"]) == {
        "conn_type": "http",
        "host": "h",
        "extra": {"a": 1},
    }
    assert spec["pools"][0]["pool_slot"] == 2


def test_settings_values_expand_environment_variables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ELT_WAREHOUSE_PORT", "18443")
    env = settings_loader.connection_uri_env(PROJECT_ROOT / "airflow_settings.yaml")
    assert json.loads(env["AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE"])["extra"]["port"] == 18443
    monkeypatch.delenv("ELT_WAREHOUSE_PORT")
    env = settings_loader.connection_uri_env(PROJECT_ROOT / "airflow_settings.yaml")
    assert json.loads(env["AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE"])["extra"]["port"] == 8443


def test_a_day_without_source_rows_is_delivered_header_only(landing_dir: Path):
    landing.seed("2013-12-31", "2013-12-31")
    weather = (landing_dir / "weather" / "2013-12-31.csv").read_text()
    assert weather.splitlines() == [weather.splitlines()[0]] and weather.startswith("origin,")
    assert len((landing_dir / "flights" / "2013-12-31.csv").read_text().splitlines()) > 700
