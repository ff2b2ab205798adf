"""Failpoints: named places where the fault tests stop a process in the middle of a write.

Inert unless ``ELT_FAILPOINT_DIR`` is set in the process's environment. A test arms the point
``name`` by creating ``<dir>/<name>.armed``. The first process to reach the point claims it by
renaming that file to ``<name>.hit`` (atomic, so one arming stops exactly one process), writes
its PID into it and waits there: to be killed, or released when the test deletes the
``.hit`` file (to go on against, say, a warehouse the test has just killed). Every later pass,
e.g. the retry of the killed task, goes straight through.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)
WAIT_S = 300.0


def failpoint(name: str) -> None:
    folder = os.environ.get("ELT_FAILPOINT_DIR")
    if not folder:
        return
    armed, hit = Path(folder) / f"{name}.armed", Path(folder) / f"{name}.hit"
    try:
        armed.rename(hit)
    except FileNotFoundError:
        return
    hit.write_text(f"{os.getpid()}\n")
    log.warning("failpoint %s: process %s waits here to be killed or released", name, os.getpid())
    deadline = time.monotonic() + WAIT_S
    while hit.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"failpoint {name}: process {os.getpid()} neither killed nor released in {WAIT_S:.0f}s")
        time.sleep(0.1)
    log.warning("failpoint %s: released", name)
