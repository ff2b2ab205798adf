"""Helpers shared by the test suites: free ports, child processes stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"port {port} not open after {timeout}s")


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a child started with start_new_session=True: SIGTERM its group, then SIGKILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        except ProcessLookupError:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def warehouse_connection_env(port: int, database: str) -> dict[str, str]:
    conn = {
        "conn_type": "snowflake",
        "login": "test",
        "password": "embedded-emulator",
        "schema": "RAW",
        "extra": {
            "account": "embedded",
            "database": database,
            "warehouse": "COMPUTE_WH",
            "host": "localhost",
            "port": port,
        },
    }
    return {"AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE": json.dumps(conn)}
