"""The Docker Compose stack driven from the host: images, up, exec, the REST API, down.

Used by the container test (``tests/container``) and the benchmark (``bench/run.py``). It runs
``scripts/compose-stack.sh``, the entry point of ``make image`` / ``make compose-up`` and of
``cd.yml``, so every path that starts the stack starts it the same way. Standard library only,
and never imported by task code: it talks to Docker on the host, not to the warehouse.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flights_elt.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "compose-stack.sh"


class ComposeError(RuntimeError):
    """A command of the stack failed; the message holds its output."""


def docker_client() -> str:
    """A docker client for plain engine calls (kill, inspect, info): ``DOCKER`` or the first found."""
    for candidate in (os.environ.get("DOCKER"), "docker", "/usr/bin/docker"):
        if candidate and shutil.which(candidate):
            return candidate
    raise ComposeError("no docker client found")


def docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """One plain docker call; its output, or ComposeError with what it printed."""
    out = subprocess.run([docker_client(), *args], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise ComposeError(f"docker {' '.join(args)} exited {out.returncode}: {out.stderr[-2000:]}")
    return out


def engine_answers() -> str | None:
    """None when a Docker engine answers, else why not (for a skip or a failure message)."""
    try:
        client = docker_client()
    except ComposeError as e:
        return str(e)
    try:
        out = subprocess.run(
            [client, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"docker info failed: {e}"
    if out.returncode != 0 or not out.stdout.strip():
        return f"no Docker engine answers ({(out.stderr or out.stdout).strip()[:200]})"
    return None


@dataclass
class ComposeStack:
    """One Compose project: its env file, host port, number of workers and extra compose files."""

    env_file: Path
    project: str = "flights-elt"
    api_port: int = 8080
    workers: int = 1
    extra_files: tuple[Path, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)
    healthy_after_s: float | None = field(default=None, init=False)
    _token: str | None = field(default=None, init=False, repr=False)

    # -- the entry point ---------------------------------------------------------------------
    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            COMPOSE_PROJECT_NAME=self.project,
            ELT_COMPOSE_ENV_FILE=str(self.env_file),
            ELT_COMPOSE_WORKERS=str(self.workers),
            AIRFLOW_API_PORT=str(self.api_port),
        )
        if self.extra_files:
            files = [PROJECT_ROOT / "docker-compose.yaml", *self.extra_files]
            env["COMPOSE_FILE"] = os.pathsep.join(str(f) for f in files)
        env.update(self.extra_env)
        return env

    def script(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(
            ["bash", str(SCRIPT), *args],
            cwd=PROJECT_ROOT,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and out.returncode != 0:
            raise ComposeError(
                f"compose-stack.sh {' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
            )
        return out

    def images(self, timeout: float = 1800) -> subprocess.CompletedProcess:
        return self.script("images", timeout=timeout)

    def up(self, timeout: float = 900) -> float:
        """Bring the stack up; seconds until every service was healthy."""
        start = time.monotonic()
        self.script("up", timeout=timeout)
        self.healthy_after_s = time.monotonic() - start
        return self.healthy_after_s

    def down(self, *, volumes: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
        return self.script("destroy" if volumes else "down", timeout=timeout, check=False)

    def compose(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        return self.script("compose", *args, timeout=timeout, check=check)

    # -- inside the containers ---------------------------------------------------------------
    # `docker exec` on the service's container, not `docker compose exec`: with Docker Engine
    # 20.10 (Debian 12's), Compose 2.40's exec reports 0 whatever the command's exit status was.
    def _exec_argv(self, service: str, cmd: tuple[str, ...], stdin: bool = False) -> list[str]:
        running = self.containers(service)
        if not running:
            raise ComposeError(f"no running container of {service}")
        return [docker_client(), "exec", *(["-i"] if stdin else []), running[0], *cmd]

    def exec(self, service: str, *cmd: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(
            self._exec_argv(service, cmd), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        if check and out.returncode != 0:
            raise ComposeError(f"{service}: {' '.join(cmd)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
        return out

    def exec_input(self, service: str, text: str, *cmd: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run ``cmd`` in ``service`` with ``text`` on its standard input."""
        return subprocess.run(
            self._exec_argv(service, cmd, stdin=True),
            input=text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def popen_exec(self, service: str, *cmd: str) -> subprocess.Popen:
        """``cmd`` in ``service``, in the background."""
        return subprocess.Popen(
            self._exec_argv(service, cmd),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    def elt(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
        return self.exec("airflow-apiserver", "elt", *args, timeout=timeout, check=check)

    def query(self, sql: str) -> list[list[str]]:
        """Rows of one statement on the stack's warehouse (header dropped), as text."""
        out = self.elt("query", sql, timeout=120)
        return list(csv.reader(io.StringIO(out.stdout)))[1:]

    def containers(self, service: str) -> list[str]:
        """IDs of the running containers of one service."""
        out = self.compose("ps", "--quiet", "--status", "running", service, timeout=60)
        return out.stdout.split()

    def hostname(self, container: str) -> str:
        return docker("inspect", "--format", "{{.Config.Hostname}}", container, timeout=60).stdout.strip()

    def kill(self, container: str) -> None:
        docker("kill", container, timeout=60)

    # -- the REST API, from the host -----------------------------------------------------------
    def env_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in self.env_file.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
        return values

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def api(self, path: str, method: str = "GET", body: Any = None, *, auth: bool = True) -> tuple[int, Any]:
        """(HTTP status, decoded JSON or text) of one REST call; logs in once with the admin user."""
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.api_url + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def token(self) -> str:
        if self._token is None:
            env = self.env_values()
            creds = {"username": env["_AIRFLOW_WWW_USER_USERNAME"], "password": env["_AIRFLOW_WWW_USER_PASSWORD"]}
            status, data = self.api("/auth/token", "POST", creds, auth=False)
            if status not in (200, 201):
                raise ComposeError(f"login failed: HTTP {status} {data}")
            self._token = data["access_token"]
        return self._token

    def run_of(self, dag_id: str, partition_key: str) -> dict[str, Any] | None:
        """The latest run of a DAG for one partition key, if any."""
        status, data = self.api(f"/api/v2/dags/{dag_id}/dagRuns?order_by=-run_after&limit=50")
        if status != 200:
            raise ComposeError(f"listing runs of {dag_id}: HTTP {status} {data}")
        runs = [r for r in data["dag_runs"] if r.get("partition_key") == partition_key]
        return runs[0] if runs else None

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any] | None:
        q = urllib.request.quote(run_id, safe="")
        status, data = self.api(f"/api/v2/dags/{dag_id}/dagRuns/{q}/taskInstances/{task_id}")
        return data if status == 200 else None

    # -- evidence --------------------------------------------------------------------------------
    def save_logs(self, dest: Path) -> None:
        """Each service's log, one file per service, for CI artifacts."""
        dest.mkdir(parents=True, exist_ok=True)
        services = self.compose("config", "--services", timeout=60, check=False).stdout.split()
        for service in services:
            out = self.compose("logs", "--no-color", "--timestamps", service, timeout=120, check=False)
            (dest / f"{service}.log").write_text(out.stdout + out.stderr)
