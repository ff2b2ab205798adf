"""A whole embedded stack (warehouse emulator, embedded PostgreSQL, Airflow processes) on free
ports and its own ELT_HOME, started with `elt up` and stopped with `elt down`."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import BIN, free_port
from tests.receivers import SmtpReceiver, WebhookReceiver


class Stack:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env

    def elt(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([str(BIN / "elt"), *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"elt {' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr[-4000:]}")
        return out

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def failpoints(self) -> Path:
        """Where the fault tests arm failpoints (``ELT_FAILPOINT_DIR`` of every stack process)."""
        return self.home / "failpoints"

    def pid(self, component: str) -> int:
        return int((self.home / "pids" / f"{component}.pid").read_text())

    def query(self, sql: str) -> list[list[str]]:
        lines = self.elt("query", sql).stdout.strip().splitlines()
        return [line.split(",") for line in lines[1:]]


def stack_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW__", "ELT_"))}
    env.update(
        ELT_HOME=str(home),
        ELT_API_PORT=str(free_port()),
        ELT_WAREHOUSE_PORT=str(free_port()),
        ELT_SCHEDULER_HEALTH_PORT=str(free_port()),
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


def surviving_processes(home: Path) -> list[int]:
    needle = f"ELT_STACK_HOME={home}".encode()
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if stat != "Z":
                        alive.append(int(entry.name))
            except OSError:
                continue
    return alive


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


def alert_env(webhook: WebhookReceiver, smtp: SmtpReceiver) -> dict[str, str]:
    """Alert channels as a user would configure them: connections and a variable, by environment."""
    return {
        "AIRFLOW_CONN_SLACK_ALERTS": json.dumps(
            {"conn_type": "slackwebhook", "host": f"http://127.0.0.1:{webhook.port}", "password": "/services/T0/B0/x"}
        ),
        "AIRFLOW_CONN_SMTP_ALERTS": json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp.port,
                "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "alerts@flights.test"},
            }
        ),
        "AIRFLOW_VAR_ALERT_EMAIL_TO": "oncall@flights.test",
    }


def stack_home(prefix: str) -> Path:
    """A home outside pytest's tmp tree: the embedded PostgreSQL runs as its own unprivileged
    user and needs to traverse the path, which pytest keeps at mode 0700 (and resets to it)."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    return home


@contextlib.contextmanager
def running_stack(home: Path, env: dict[str, str]) -> Iterator[Stack]:
    """`elt up` … `elt down`, then no process of the stack may be left."""
    stack = Stack(home, env)
    try:
        stack.elt("up", timeout=600)
        yield stack
    finally:
        stack.elt("down", check=False, timeout=120)
        leftover = surviving_processes(home)
        if not leftover:
            shutil.rmtree(home, ignore_errors=True)
        assert leftover == [], f"`elt down` left processes behind: {leftover}"


@pytest.fixture(scope="session")
def embedded_stack(webhook: WebhookReceiver, smtp: SmtpReceiver) -> Iterator[Stack]:
    home = stack_home("elt-e2e-")
    (home / "failpoints").mkdir()
    env = stack_env(
        home, **alert_env(webhook, smtp), ELT_FAILPOINT_DIR=str(home / "failpoints"), ELT_WAREHOUSE_TIMEOUT_S="20"
    )
    with running_stack(home, env) as stack:
        yield stack
