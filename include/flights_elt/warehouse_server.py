"""The embedded warehouse: the fakesnow emulator served over the real Snowflake protocol.

Stock clients (``SnowflakeHook``, Soda's Snowflake data source) pass host and port but not
``protocol``, so they always speak HTTPS: the server therefore serves TLS with a self-signed
certificate generated here, which clients trust through ``REQUESTS_CA_BUNDLE`` / the CA file
written next to it. Data persists in ``<data_dir>/<DATABASE>.db`` (one DuckDB file per
database); ``fakesnow -s`` ignores ``--db_path``, which is why this launcher exists.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
from pathlib import Path

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


def write_ca_bundle(cert_path: Path, out_path: Path) -> Path:
    """System CA bundle + the emulator's certificate, for ``REQUESTS_CA_BUNDLE``."""
    import certifi

    base = os.environ.get("ELT_BASE_CA_BUNDLE") or certifi.where()
    parts = [Path(base).read_text()] if Path(base).exists() else []
    parts.append(cert_path.read_text())
    out_path.write_text("\n".join(parts))
    return out_path


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
    uvicorn.run(
        server.app,
        host=host,
        port=port,
        ssl_certfile=str(cert_path),
        ssl_keyfile=str(tls_dir / KEY_NAME),
        log_level="warning",
    )
