"""The embedded warehouse: the fakesnow emulator served over the real Snowflake protocol.

Stock clients (``SnowflakeHook``, Soda's Snowflake data source) pass host and port but not
``protocol``, so they always speak HTTPS: the server therefore serves TLS with a self-signed
certificate generated here, which clients trust through ``REQUESTS_CA_BUNDLE`` / the CA file
written next to it. Data persists in ``<data_dir>/<DATABASE>.db`` (one DuckDB file per
database); ``fakesnow -s`` ignores ``--db_path``, which is why this launcher exists. It also
adds the two session functions the emulator lacks and writers rely on (see
``Warehouse.transaction``): ``CURRENT_SESSION()`` and ``SYSTEM$ABORT_SESSION(id)``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import logging
import os
import re
import shutil
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
CA_BUNDLE_NAME = "ca-bundle.pem"


def ensure_certificate(tls_dir: Path, hostnames: tuple[str, ...] = ("localhost", "warehouse")) -> Path:
    """Create a self-signed certificate for the emulator once; return the certificate path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    tls_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = tls_dir / CERT_NAME, tls_dir / KEY_NAME
    if cert_path.exists() and key_path.exists():
        return cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flights-elt embedded warehouse")])
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(h) for h in hostnames]
    alt_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


_CURRENT_SESSION = re.compile(r"^\s*select\s+current_session\(\s*\)\s*;?\s*$", re.IGNORECASE)
_ABORT_SESSION = re.compile(r"^\s*select\s+system\$abort_session\(\s*'?(\d+)'?\s*\)\s*;?\s*$", re.IGNORECASE)


def install_session_control(server: Any) -> None:
    """Serve ``CURRENT_SESSION()`` and ``SYSTEM$ABORT_SESSION(id)`` as Snowflake does.

    Each login gets a numeric session id. Aborting a session logs it out and closes its DuckDB
    connection, which rolls back its open transaction, as Snowflake rolls back the transaction
    of an aborted session; the dead client's token is then refused.
    """
    import duckdb
    import snowflake.connector.errors
    from fakesnow.cursor import FakeSnowflakeCursor

    counter = itertools.count(1)
    execute = FakeSnowflakeCursor.execute
    query_log = _open_query_log()

    def session_id(conn: Any) -> int:
        if getattr(conn, "_elt_session_id", None) is None:
            conn._elt_session_id = next(counter)
        return conn._elt_session_id

    def abort(target: int) -> bool:
        for token, conn in list(server.sessions.items()):
            if getattr(conn, "_elt_session_id", None) == target:
                server.sessions.pop(token, None)
                conn.close()
                log.warning("session %s aborted: its open transaction was rolled back", target)
                return True
        return False

    def execute_with_sessions(self: Any, command: str, *args: Any, **kwargs: Any) -> Any:
        if _CURRENT_SESSION.match(command):
            command = f"select '{session_id(self._conn)}' as \"CURRENT_SESSION()\""
        elif m := _ABORT_SESSION.match(command):
            target = int(m.group(1))
            if not abort(target):
                raise snowflake.connector.errors.ProgrammingError(
                    msg=f"Session {target} does not exist or not authorized.", errno=2003, sqlstate="02000"
                )
            command = "select 'Session aborted' as \"SYSTEM$ABORT_SESSION\""
        started = time.perf_counter()
        try:
            return execute(self, command, *args, **kwargs)
        except duckdb.TransactionException as e:
            # Another session's open transaction holds these rows. Snowflake fails such a
            # statement with a lock error the client can act on; unhandled, it would be an HTTP
            # 500, which the connector keeps retrying for minutes.
            raise snowflake.connector.errors.ProgrammingError(
                msg=f"Statement aborted: the rows are locked by another transaction ({e})",
                errno=625,
                sqlstate="57014",
            ) from None
        finally:
            if query_log is not None:
                ms = (time.perf_counter() - started) * 1000
                query_log.write(f"{ms:.1f}\t{session_id(self._conn)}\t{' '.join(command.split())[:500]}\n")

    FakeSnowflakeCursor.execute = execute_with_sessions


def _open_query_log() -> Any:
    """With ``ELT_WAREHOUSE_QUERY_LOG=<file>``, every statement is appended to it with its
    duration in ms and session id (tab-separated): where the warehouse's time goes."""
    path = os.environ.get("ELT_WAREHOUSE_QUERY_LOG")
    return open(path, "a", buffering=1) if path else None  # stays open for the life of the server


RESULTS_KEPT = 256


class RecentResults(OrderedDict):
    """A dict that keeps only its ``limit`` most recently stored entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


def bound_memory(duck_conn: Any, spill_dir: Path) -> None:
    """Cap the emulator's DuckDB buffer pool (by default it may grow to 80 % of the machine's
    memory); what does not fit spills to ``spill_dir``. ``ELT_WAREHOUSE_MEMORY_LIMIT`` sets
    the cap (DuckDB syntax)."""
    limit = os.environ.get("ELT_WAREHOUSE_MEMORY_LIMIT", "768MB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit, re.IGNORECASE):
        raise ValueError(f"ELT_WAREHOUSE_MEMORY_LIMIT must look like 768MB or 2GiB, not {limit!r}")
    spill_dir.mkdir(parents=True, exist_ok=True)
    duck_conn.execute(f"SET GLOBAL memory_limit = '{limit}'")
    duck_conn.execute(f"SET GLOBAL temp_directory = '{spill_dir}'")


def serve(host: str, port: int, data_dir: Path, tls_dir: Path) -> None:
    """Run the emulator in the foreground until SIGTERM/SIGINT."""
    import importlib

    import uvicorn
    from fakesnow.instance import FakeSnow
    from fakesnow.transforms import stage

    # ``fakesnow.server`` is shadowed by a function of the same name in the package namespace.
    server = importlib.import_module("fakesnow.server")

    data_dir.mkdir(parents=True, exist_ok=True)
    cert_path = ensure_certificate(tls_dir)
    # Keep staged files inside the data dir instead of a fresh /tmp folder per start.
    bucket = data_dir / "stages"
    bucket.mkdir(exist_ok=True)
    default_bucket = stage.LOCAL_BUCKET_PATH
    stage.LOCAL_BUCKET_PATH = str(bucket)
    shutil.rmtree(default_bucket, ignore_errors=True)
    server.shared_fs = FakeSnow(db_path=str(data_dir))
    # fakesnow keeps every statement's result, for the life of the server, so that a later
    # RESULT_SCAN or fetch by query id finds it: a year of statements held the results of all
    # of them (3.5 GiB). Only the most recent ones are kept; sessions are given this cache at login.
    server.shared_fs.results_cache = RecentResults(RESULTS_KEPT)
    bound_memory(server.shared_fs.duck_conn, data_dir / "spill")
    install_session_control(server)
    uvicorn.run(
        server.app,
        host=host,
        port=port,
        ssl_certfile=str(cert_path),
        ssl_keyfile=str(tls_dir / KEY_NAME),
        log_level="warning",
    )
