"""Fixtures: an isolated ELT_HOME per session and, for integration tests, a warehouse emulator.

Every process a fixture starts is stopped by its PID (process group) when the fixture ends.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import BIN, free_port, stop_process_group, wait_port, warehouse_connection_env


@pytest.fixture(scope="session")
def elt_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("elt-home")
    os.environ["ELT_HOME"] = str(home)
    os.environ.pop("ELT_LANDING_URL", None)
    return home


@pytest.fixture(scope="session")
def warehouse_server(elt_home: Path) -> Iterator[dict[str, object]]:
    """The fakesnow emulator over TLS on a free port, as `elt up` would start it."""
    from flights_elt.config import write_ca_bundle
    from flights_elt.embedded.warehouse_server import ensure_certificate

    port = free_port()
    tls = elt_home / "warehouse" / "tls"
    cert = ensure_certificate(tls)
    bundle = write_ca_bundle(cert, tls / "ca-bundle.pem")
    log = open(elt_home / "warehouse-test.log", "ab")  # noqa: SIM115
    query_log = elt_home / "warehouse-queries.tsv"
    proc = subprocess.Popen(
        [
            str(BIN / "elt"),
            "warehouse-serve",
            "--port",
            str(port),
            "--data-dir",
            str(elt_home / "warehouse" / "data"),
            "--tls-dir",
            str(tls),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore", ELT_WAREHOUSE_QUERY_LOG=str(query_log)),
    )
    try:
        wait_port(port, 60, proc)
        os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
        os.environ["ELT_WAREHOUSE_PORT"] = str(port)
        yield {"port": port, "ca_bundle": bundle, "proc": proc, "query_log": query_log}
    finally:
        stop_process_group(proc)
        log.close()


@pytest.fixture
def database(warehouse_server: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty warehouse database for one test (its own DuckDB file in the emulator)."""
    name = f"T_{uuid.uuid4().hex[:10].upper()}"
    monkeypatch.setenv("ELT_DATABASE", name)
    for k, v in warehouse_connection_env(int(warehouse_server["port"]), name).items():  # type: ignore[arg-type]
        monkeypatch.setenv(k, v)
    return name


@pytest.fixture
def wh(database: str):
    from flights_elt.pipeline import models
    from flights_elt.warehouse import Warehouse

    with Warehouse() as w:
        models.ensure_objects(w)
        yield w


@pytest.fixture
def landing_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A landing zone of its own for one test."""
    root = tmp_path / "landing"
    root.mkdir()
    monkeypatch.setenv("ELT_LANDING_URL", f"file://{root}")
    return root
