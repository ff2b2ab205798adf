"""A whole embedded stack on free ports and its own ELT_HOME, driven through `elt`: started with
`elt up`, stopped with `elt down`, and then no process of it may be left.

What the end-to-end tests (``tests/e2e``, whose fixtures use it) and the benchmark
(``bench/run.py``) run the pipeline on. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
