"""Runtime configuration: one switch (``ELT_ENV``) picks embedded or production.

Everything the DAGs, the CLI and the tests need to know about where things are lives here,
read from environment variables with defaults that make the embedded stack work on a laptop.
Nothing here touches the network or the Airflow metadata DB, so it is safe at DAG parse time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
CHECKS_DIR = PROJECT_ROOT / "checks"
# The embedded stack's connections, variables and pools: local only, never in the production image.
SETTINGS_FILE = Path(os.environ.get("ELT_AIRFLOW_SETTINGS", PROJECT_ROOT / "airflow_settings.yaml"))

# Connection ids are constants with environment overrides; credentials live only in connections.
WAREHOUSE_CONN_ID = os.environ.get("ELT_WAREHOUSE_CONN_ID", "snowflake_warehouse")
SLACK_CONN_ID = os.environ.get("ELT_SLACK_CONN_ID", "slack_alerts")
SMTP_CONN_ID = os.environ.get("ELT_SMTP_CONN_ID", "smtp_alerts")
ALERT_EMAIL_VARIABLE = "alert_email_to"


def _data_dir() -> Path:
    return Path(os.environ.get("ELT_HOME", PROJECT_ROOT / ".elt")).resolve()


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one process."""

    env: str = field(default_factory=lambda: os.environ.get("ELT_ENV", "embedded"))
    home: Path = field(default_factory=_data_dir)
    database: str = field(default_factory=lambda: os.environ.get("ELT_DATABASE", "FLIGHTS").upper())
    landing_url: str = field(default_factory=lambda: os.environ.get("ELT_LANDING_URL", ""))
    warehouse_host: str = field(default_factory=lambda: os.environ.get("ELT_WAREHOUSE_HOST", "localhost"))
    warehouse_port: int = field(default_factory=lambda: int(os.environ.get("ELT_WAREHOUSE_PORT", "8443")))
    api_port: int = field(default_factory=lambda: int(os.environ.get("ELT_API_PORT", "8080")))
    # How long one warehouse request may keep failing (the driver retries it) before it errors.
    warehouse_timeout_s: int = field(default_factory=lambda: int(os.environ.get("ELT_WAREHOUSE_TIMEOUT_S", "300")))

    @property
    def landing_root(self) -> str:
        """URL of the landing zone root (a local folder unless ``ELT_LANDING_URL`` says otherwise)."""
        if self.landing_url:
            return self.landing_url.rstrip("/")
        return f"file://{self.home / 'landing'}"

    @property
    def api_url(self) -> str:
        return os.environ.get("ELT_API_URL", f"http://localhost:{self.api_port}")

    @property
    def schemas(self) -> dict[str, str]:
        return {
            "raw": "RAW",
            "quarantine": "QUARANTINE",
            "staging": "STAGING",
            "core": "CORE",
            "marts": "MARTS",
            "versions": "MARTS_VERSIONS",
            "audit": "AUDIT",
        }


def settings() -> Settings:
    return Settings()


def write_ca_bundle(cert_path: Path, out_path: Path) -> Path:
    """System CA bundle + the emulator's certificate, for ``REQUESTS_CA_BUNDLE``."""
    import certifi

    base = os.environ.get("ELT_BASE_CA_BUNDLE") or certifi.where()
    parts = [Path(base).read_text()] if Path(base).exists() else []
    parts.append(cert_path.read_text())
    out_path.write_text("\n".join(parts))
    return out_path


def ensure_warehouse_ca() -> None:
    """Trust the embedded warehouse's self-signed certificate when ``ELT_WAREHOUSE_CA_FILE`` names it.

    Used where the process environment cannot be prepared before start (containers): writes
    the system bundle plus that certificate once and points ``REQUESTS_CA_BUNDLE`` at it
    before the first warehouse connection. An empty or unset variable changes nothing.
    """
    ca_file = os.environ.get("ELT_WAREHOUSE_CA_FILE", "").strip()
    if not ca_file or os.environ.get("ELT_WAREHOUSE_CA_BUNDLE_DONE") == ca_file:
        return
    bundle = Path(os.environ.get("TMPDIR", "/tmp")) / f"elt-ca-bundle-{os.getuid()}.pem"
    write_ca_bundle(Path(ca_file), bundle)
    os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
    os.environ["SSL_CERT_FILE"] = str(bundle)
    os.environ["ELT_WAREHOUSE_CA_BUNDLE_DONE"] = ca_file
