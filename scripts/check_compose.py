#!/usr/bin/env python3
"""Structural checks of docker-compose.yaml that `docker compose config` does not make.

`docker compose config -q` proves the file is valid Compose; this proves it is the stack we
mean: CeleryExecutor, the shared `x-airflow-common` block, a health check on every
long-running service, scalable workers, no literal secrets, the embedded warehouse behind a
profile, and every interpolated variable documented in .env.example.

Usage: python scripts/check_compose.py [docker-compose.yaml] [.env.example]
Exit status 0 when clean, 1 with one line per finding otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

REQUIRED_SERVICES = {
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
    "warehouse",
}
AIRFLOW_SERVICES = {s for s in REQUIRED_SERVICES if s.startswith("airflow-")}
SECRET_SETTINGS = (
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
)
EXECUTION_API_URL = "http://airflow-apiserver:8080/execution/"
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}; $$ escapes.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?+])[^}]*)?\}")
BARE_INTERPOLATION = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return {name: (spec or {}) for name, spec in deps.items()}


def _healthcheck_ok(service: dict[str, Any]) -> bool:
    hc = service.get("healthcheck")
    if not isinstance(hc, dict) or hc.get("disable"):
        return False
    test = hc.get("test")
    if isinstance(test, str):
        return bool(test.strip())
    return isinstance(test, list) and len(test) >= 2 and test[0] in ("CMD", "CMD-SHELL")


def _env_example_keys(path: Path) -> set[str]:
    keys = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("#"):
            line = line.lstrip("#").strip()
            # Commented-out assignments document optional variables too.
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", line):
                continue
        match = re.match(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", line)
        if match:
            keys.add(match.group(1))
    return keys


def check(compose_path: Path, env_example: Path) -> list[str]:
    findings: list[str] = []
    raw = compose_path.read_text()
    doc = yaml.safe_load(raw)
    if not isinstance(doc, dict):
        return [f"{compose_path}: not a YAML mapping"]

    common = doc.get("x-airflow-common")
    if not isinstance(common, dict):
        findings.append("x-airflow-common: missing (the shared block of every Airflow service)")
        common = {}
    common_env = _env(common)
    if common_env.get("AIRFLOW__CORE__EXECUTOR") != "CeleryExecutor":
        findings.append("x-airflow-common: AIRFLOW__CORE__EXECUTOR must be CeleryExecutor")
    if common_env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") != EXECUTION_API_URL:
        findings.append(f"x-airflow-common: AIRFLOW__CORE__EXECUTION_API_SERVER_URL must be {EXECUTION_API_URL}")
    for name in SECRET_SETTINGS:
        value = common_env.get(name)
        if value is None:
            findings.append(f"x-airflow-common: {name} is not set (all components must share it)")
        elif not INTERPOLATION.fullmatch(value.strip()):
            findings.append(f"x-airflow-common: {name} must come from the environment (${{...}}), not a literal")
    if not str(common.get("image", "")).startswith("${AIRFLOW_IMAGE"):
        findings.append("x-airflow-common: image must be ${AIRFLOW_IMAGE:-...}")
    if "build" not in common:
        findings.append("x-airflow-common: build (the project Dockerfile) is missing")

    services = doc.get("services") or {}
    missing = REQUIRED_SERVICES - services.keys()
    if missing:
        findings.append(f"services: missing {', '.join(sorted(missing))}")

    # One-shot services: restart "no" and awaited by someone with service_completed_successfully.
    one_shot = set()
    for svc in services.values():
        for dep, spec in _depends_on(svc).items():
            if spec.get("condition") == "service_completed_successfully":
                one_shot.add(dep)
    for name in sorted(one_shot):
        svc = services.get(name, {})
        if str(svc.get("restart", "no")) not in ("no", "on-failure"):
            findings.append(f"{name}: one-shot service must not restart always")

    profiled = {name for name, svc in services.items() if svc.get("profiles")}
    for name, svc in sorted(services.items()):
        if name not in one_shot and not _healthcheck_ok(svc):
            findings.append(f"{name}: no usable healthcheck")
        if "container_name" in svc:
            findings.append(f"{name}: container_name prevents scaling and parallel projects; remove it")
        for dep, spec in _depends_on(svc).items():
            if dep not in services:
                findings.append(f"{name}: depends_on unknown service {dep}")
            elif (
                dep in profiled
                and spec.get("required", True)
                and not (set(svc.get("profiles") or []) & set(services[dep].get("profiles") or []))
            ):
                findings.append(f"{name}: depends_on profile-only service {dep} without required: false")
        if name in AIRFLOW_SERVICES:
            env = _env(svc)
            if env.get("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor") != "CeleryExecutor":
                findings.append(f"{name}: overrides the executor")
            if svc.get("image") != common.get("image"):
                findings.append(f"{name}: does not use the x-airflow-common image")

    worker = services.get("airflow-worker", {})
    if worker.get("ports"):
        findings.append("airflow-worker: published ports collide when scaled")
    command = worker.get("command")
    command = " ".join(command) if isinstance(command, list) else str(command)
    if "command" in worker and "celery worker" not in command:
        findings.append("airflow-worker: command must be `celery worker`")

    warehouse = services.get("warehouse", {})
    if warehouse and "embedded" not in (warehouse.get("profiles") or []):
        findings.append("warehouse: must only run with --profile embedded")
    if warehouse and not str(warehouse.get("image", "")).startswith("${WAREHOUSE_IMAGE"):
        findings.append("warehouse: image must be ${WAREHOUSE_IMAGE:-...} (the Dockerfile's embedded target)")
    if warehouse and (warehouse.get("build") or {}).get("target") != "embedded":
        findings.append("warehouse: must build the Dockerfile's embedded target")
    for name in sorted(AIRFLOW_SERVICES & services.keys()):
        mounts = [str(v) for v in services[name].get("volumes") or []]
        if not any(m.startswith("warehouse-tls:") and m.endswith(":ro") for m in mounts):
            findings.append(f"{name}: the warehouse-tls volume must be mounted read-only")
    for name in sorted(profiled - {"warehouse"}):
        if name in AIRFLOW_SERVICES or name in ("postgres", "redis"):
            findings.append(f"{name}: core services must not be behind a profile")

    # Every interpolated variable must be documented in .env.example.
    used = set(INTERPOLATION.findall(raw)) | set(BARE_INTERPOLATION.findall(raw))
    documented = _env_example_keys(env_example) if env_example.exists() else set()
    if not env_example.exists():
        findings.append(f"{env_example}: missing")
    for var in sorted(used - documented):
        findings.append(f"{env_example}: does not document ${{{var}}} used in {compose_path.name}")
    return findings


def main(argv: list[str]) -> int:
    compose_path = Path(argv[1]) if len(argv) > 1 else Path("docker-compose.yaml")
    env_example = Path(argv[2]) if len(argv) > 2 else compose_path.parent / ".env.example"
    findings = check(compose_path, env_example)
    for finding in findings:
        print(f"check_compose: {finding}")
    if not findings:
        print(f"check_compose: {compose_path} OK")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
