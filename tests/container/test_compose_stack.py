"""The production path for real: the images built here, the Compose stack up with two Celery
workers, days moved through ingest → transform → publish by the containers' own scheduler.

Everything goes through scripts/compose-stack.sh, the entry point of `make image`,
`make compose-up` / `make compose-down` and cd.yml. Needs a Docker engine: without one the
module is skipped with the reason, except under CI (CI=true), where that is a failure.
The tests run in file order on one stack (module scope); each leaves what the next expects.
Service logs are kept in test-results/compose/ (CI artifacts), on failure too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flights_elt.cli import compose_stack
from flights_elt.cli.compose_stack import ComposeStack, docker
from flights_elt.config import PROJECT_ROOT

from tests.helpers import (
    free_port,
    mart_flight_counts,
    snapshot_changes,
    source_flight_counts,
    warehouse_snapshot,
    with_duplicates_and_null_carriers,
)

pytestmark = pytest.mark.container

HERE = Path(__file__).parent
ARTIFACTS = PROJECT_ROOT / "test-results" / "compose"
FIRST, LAST = "2013-01-01", "2013-01-03"
BAD_DAY, KILL_DAY, NEXT_DAY = "2013-01-04", "2013-01-05", "2013-01-06"
LANDING = "/opt/airflow/elt-data/landing"
FAILPOINTS = "/opt/airflow/elt-data/failpoints"
IMAGE_SIZE_LIMIT_MIB = 1200
# A PEM private key: the header followed by its base64 body (libraries only name the header).
PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40,}")
# Set low here so a task whose worker was killed is failed and retried within seconds.
HEARTBEAT_TIMEOUT_S = 20
TEST_SETTINGS = f"""
# Container test settings.
AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT={HEARTBEAT_TIMEOUT_S}
AIRFLOW_CONN_SLACK_ALERTS='{{"conn_type": "slackwebhook", "host": "http://alert-receiver:8000", \
"password": "/services/T0/B0/x"}}'
ELT_FAILPOINT_DIR={FAILPOINTS}
"""


def _require_docker() -> None:
    why = compose_stack.engine_answers()
    if why is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why}: the container test is mandatory under CI (.ci/run starts dockerd)")
    pytest.skip(f"{why}: the container test needs a Docker engine")


def wait_for(predicate, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[ComposeStack]:
    _require_docker()
    home = tmp_path_factory.mktemp("compose")
    s = ComposeStack(
        env_file=home / "stack.env",
        project="flights-elt-test",
        api_port=free_port(),
        workers=2,
        extra_files=(HERE / "compose.test.yaml",),
    )
    s.script("env")
    with s.env_file.open("a") as f:
        f.write(TEST_SETTINGS)
    s.down(volumes=True)  # what an interrupted earlier run may have left
    try:
        s.images()
        s.up()
        yield s
    finally:
        s.save_logs(ARTIFACTS)
        s.down(volumes=True)


def airflow_image(stack: ComposeStack) -> str:
    return stack.environ().get("AIRFLOW_IMAGE", "flights-elt:latest")


def test_every_service_is_healthy_and_the_api_needs_a_login(stack):
    running = stack.compose("ps", "--format", "json", timeout=60).stdout
    services = [json.loads(line) for line in running.splitlines() if line.strip()]
    by_service: dict[str, list[str]] = {}
    for svc in services:
        by_service.setdefault(svc["Service"], []).append(svc["Health"])
    assert len(by_service.pop("airflow-worker")) == 2
    assert set(by_service) >= {"airflow-apiserver", "airflow-scheduler", "postgres", "redis", "warehouse"}
    assert all(h == "healthy" for hs in by_service.values() for h in hs), by_service

    status, _ = stack.api("/api/v2/dags", auth=False)
    assert status == 401
    status, data = stack.api("/api/v2/dags")
    assert status == 200 and {d["dag_id"] for d in data["dags"]} >= {"ingest", "transform", "publish"}
    # Published on the host's loopback only.
    port = stack.compose("port", "airflow-apiserver", "8080", timeout=60).stdout.strip()
    assert port == f"127.0.0.1:{stack.api_port}"


def test_the_image_is_what_production_runs(stack):
    image = airflow_image(stack)
    lock = (PROJECT_ROOT / "requirements" / "runtime.lock").read_text()
    airflow_pin = re.search(r"^apache-airflow==(\S+)", lock, re.M).group(1)
    probe = docker(
        "run",
        "--rm",
        image,
        "bash",
        "-c",
        "echo uid=$(id -u) gid=$(id -g); airflow version; python3 -c '"
        "import importlib.util, json; from airflow.dag_processing.dagbag import DagBag; "
        'bag = DagBag(dag_folder="/opt/airflow/dags"); '
        'print(json.dumps({"dags": sorted(bag.dag_ids), "errors": bag.import_errors, '
        '"emulator": importlib.util.find_spec("fakesnow") is not None}))\'',
        timeout=300,
    ).stdout
    assert "uid=50000 gid=0" in probe
    assert re.search(rf"^{re.escape(airflow_pin)}$", probe, re.M), probe
    found = json.loads(probe.strip().splitlines()[-1])
    assert found["errors"] == {} and set(found["dags"]) >= {"ingest", "transform", "publish"}, found
    assert found["emulator"] is False, "the production image must not carry the warehouse emulator"

    inspect = json.loads(docker("image", "inspect", image).stdout)[0]
    labels = inspect["Config"]["Labels"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()
    for key in ("title", "version", "created", "source", "base.name"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.revision"] == (head or "unknown")
    assert inspect["Config"]["User"] == "50000:0"
    assert inspect["Size"] / 2**20 <= IMAGE_SIZE_LIMIT_MIB, f"{inspect['Size'] / 2**20:.0f} MiB"

    needles = build_machine_secrets(stack)
    leaks = image_leaks(image, needles)
    assert leaks == [], leaks
    # The scan finds what it looks for: a small image with this machine's CA bundle, an env file
    # and a private key planted in it.
    planted = planted_image(labels["org.opencontainers.image.base.name"], stack.env_file)
    try:
        found = image_leaks(planted, needles)
    finally:
        docker("rmi", "-f", planted)
    assert "planted/.env" in found and "planted/key.pem: private key" in found, found
    # Each certificate of this machine's own and each secret of the stack's env file is found.
    for what in (w for w in needles if not w.startswith(".env:")):
        assert any(f.endswith(f": {what}") for f in found), (what, found)


def planted_image(base: str, env_file: Path) -> str:
    """``base`` plus this machine's CA bundle, the stack's env file and a private key, in /planted."""
    context = Path(tempfile.mkdtemp(prefix="elt-planted-"))
    container = docker("create", base, "true").stdout.strip()
    try:
        planted = context / "planted"
        planted.mkdir()
        bundle = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
        (planted / "bundle.pem").write_bytes(bundle.read_bytes() if bundle.is_file() else b"")
        (planted / ".env").write_text(env_file.read_text())
        (planted / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n" + "A" * 64 + "\n-----END PRIVATE KEY-----\n")
        docker("cp", str(planted), f"{container}:/planted")
        tag = "flights-elt-test-planted:latest"
        docker("commit", container, tag)
        return tag
    finally:
        docker("rm", "-f", container)
        shutil.rmtree(context, ignore_errors=True)


def build_machine_secrets(stack: ComposeStack) -> dict[str, bytes]:
    """What of this machine must never be in an image: certificates its CA bundle trusts beyond
    Debian's (the build's TLS proxy), and the values of every env file here."""
    needles: dict[str, bytes] = {}
    bundle = Path(
        os.environ.get("BUILD_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    )
    debian = Path("/usr/share/ca-certificates")
    debian_bodies = b"".join(p.read_bytes() for p in debian.rglob("*.crt")) if debian.is_dir() else b""
    if bundle.is_file():
        for i, cert in enumerate(re.findall(rb"-----BEGIN CERTIFICATE-----\n(.+?)-----END", bundle.read_bytes(), re.S)):
            line = cert.splitlines()[min(2, len(cert.splitlines()) - 1)]
            if line not in debian_bodies:
                needles[f"{bundle}#{i}"] = line
    for env_file in (stack.env_file, PROJECT_ROOT / ".env"):
        if env_file.is_file():
            for line in env_file.read_text().splitlines():
                key, _, value = line.partition("=")
                value = value.strip().strip("'\"")
                if re.search(r"SECRET|PASSWORD|FERNET", key) and len(value) >= 16:
                    needles[f"{env_file.name}:{key}"] = value.encode()
    return needles


def image_leaks(image: str, needles: dict[str, bytes]) -> list[str]:
    """Files of the image that are env files or private keys, or hold one of the needles.

    A private key counts unless its file came, byte for byte, from a source this machine cannot
    touch: a Debian package (its checksum in dpkg's lists; GnuTLS carries self-test keys) or a
    wheel of the lock, whose hashes were checked at install (tornado ships a test key).
    """
    container = docker("create", image).stdout.strip()
    leaks: list[str] = []
    keys: dict[str, str] = {}  # file with a private key -> its MD5
    packaged: dict[str, str] = {}  # file -> MD5, from /var/lib/dpkg/info/*.md5sums
    try:
        proc = subprocess.Popen([compose_stack.docker_client(), "export", container], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                name = member.name
                if Path(name).name in (".env", "airflow_settings.yaml") or name.endswith((".p8", ".p12", ".pfx")):
                    leaks.append(name)
                if not member.isfile() or member.size > 200 * 2**20:
                    continue
                data = tar.extractfile(member).read()
                if name.startswith("var/lib/dpkg/info/") and name.endswith(".md5sums"):
                    for line in data.decode(errors="replace").splitlines():
                        digest, _, path = line.partition("  ")
                        packaged[path.strip()] = digest
                if PRIVATE_KEY.search(data) and not name.startswith("opt/venv/lib/python3.11/site-packages/"):
                    keys[name] = hashlib.md5(data).hexdigest()
                leaks.extend(f"{name}: {what}" for what, needle in needles.items() if needle in data)
        proc.wait(60)
    finally:
        docker("rm", "-f", container)
    leaks.extend(f"{name}: private key" for name, digest in keys.items() if packaged.get(name) != digest)
    return leaks


def test_three_days_publish_the_source_and_a_rerun_changes_nothing(stack):
    out = stack.elt("run", "--start", FIRST, "--end", LAST)
    assert "Partitions: 3  published: 3" in out.stdout, out.stdout
    assert mart_flight_counts(stack, FIRST, LAST) == source_flight_counts(FIRST, LAST)

    before = warehouse_snapshot(stack)
    stack.elt("run", "--start", "2013-01-02", "--end", "2013-01-02")
    assert snapshot_changes(before, warehouse_snapshot(stack)) == {}, "a rerun changed the warehouse"


def test_soda_scan_runs_inside_the_image_with_the_readme_command(stack):
    readme = (PROJECT_ROOT / "README.md").read_text()
    command = re.search(r"docker compose exec airflow-apiserver bash -c '(.+?)'\n", readme, re.S)
    assert command, "README shows no `soda scan` inside the image"
    out = stack.exec("airflow-apiserver", "bash", "-c", command.group(1).replace("\\\n", " "), check=False)
    text = out.stdout + out.stderr
    # soda's exit code: 0 all passed, 1 warnings only, 2 failures, 3 errors.
    assert out.returncode in (0, 1), text
    assert re.search(r"\d+/\d+ checks? (PASSED|WARNED)|All is good", text), text


def test_a_bad_file_stops_its_day_at_the_gate_and_the_alert_reaches_the_receiver(stack):
    stack.elt("seed", "--start", BAD_DAY, "--end", BAD_DAY)
    path = f"{LANDING}/flights/{BAD_DAY}.csv"
    bad = with_duplicates_and_null_carriers(stack.exec("airflow-apiserver", "cat", path).stdout)
    stack.exec_input("airflow-apiserver", bad, "bash", "-c", f"cat > {path}")

    out = stack.elt("run", "--start", BAD_DAY, "--end", BAD_DAY, "--no-seed", check=False)
    assert out.returncode != 0, out.stdout
    assert "failed in ingest" in out.stdout and "CARRIER.null_check" in out.stdout, out.stdout
    assert stack.query(f"select count(*) from FLIGHTS.CORE.FCT_FLIGHTS where flight_date = '{BAD_DAY}'") == [["0"]]
    assert stack.exec("airflow-apiserver", "cat", path).stdout == bad, "the landing file was altered"

    def alert() -> str | None:
        received = json.loads(stack.exec("alert-receiver", "curl", "--silent", "http://localhost:8000/").stdout)
        return next((m["body"] for m in received if "CARRIER.null_check" in m["body"]), None)

    body = wait_for(alert, timeout=120, interval=2)
    assert body and BAD_DAY in body and "observed 5" in body, body


def test_a_worker_killed_during_a_load_still_publishes_its_day_exactly_once(stack):
    # The load of KILL_DAY stops inside its transaction (a failpoint), so the kill lands there.
    stack.exec(
        "airflow-apiserver",
        "bash",
        "-c",
        f"mkdir -p {FAILPOINTS} && touch {FAILPOINTS}/load.flights.before_commit.armed",
    )
    run = stack.popen_exec("airflow-apiserver", "elt", "run", "--start", KILL_DAY, "--end", KILL_DAY)
    try:

        def loading_worker() -> str | None:
            hit = stack.exec(
                "airflow-apiserver", "test", "-e", f"{FAILPOINTS}/load.flights.before_commit.hit", check=False
            )
            ingest = stack.run_of("ingest", KILL_DAY) if hit.returncode == 0 else None
            ti = stack.task_instance("ingest", ingest["dag_run_id"], "load_raw") if ingest else None
            return ti.get("hostname") if ti and ti.get("state") == "running" else None

        hostname = wait_for(loading_worker, timeout=300, interval=1)
        assert hostname, "the load never reached the failpoint"
        workers = {stack.hostname(c): c for c in stack.containers("airflow-worker")}
        assert hostname in workers, (hostname, workers)
        stack.kill(workers[hostname])
        out, err = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(30)
    assert run.returncode == 0, out + err
    assert "Partitions: 1  published: 1" in out, out

    ingest = stack.run_of("ingest", KILL_DAY)
    ti = stack.task_instance("ingest", ingest["dag_run_id"], "load_raw")
    assert ti["try_number"] >= 2 and ti["hostname"] != hostname, ti
    expected = source_flight_counts(KILL_DAY, KILL_DAY)
    raw = stack.query(f"select count(*) from FLIGHTS.RAW.FLIGHTS where _partition = '{KILL_DAY}'")
    assert int(raw[0][0]) == expected[KILL_DAY][0]
    assert mart_flight_counts(stack, KILL_DAY, KILL_DAY) == expected


def test_down_and_up_keep_the_published_days_and_the_next_day_publishes(stack):
    stack.down()
    assert stack.containers("airflow-scheduler") == []
    stack.up()
    published = stack.query(
        "select distinct flight_date from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE "
        f"where flight_date between '{FIRST}' and '{NEXT_DAY}' order by 1"
    )
    assert [r[0] for r in published] == ["2013-01-01", "2013-01-02", "2013-01-03", KILL_DAY]
    out = stack.elt("run", "--start", NEXT_DAY, "--end", NEXT_DAY)
    assert "Partitions: 1  published: 1" in out.stdout, out.stdout
    assert mart_flight_counts(stack, FIRST, NEXT_DAY) == {
        d: c for d, c in source_flight_counts(FIRST, NEXT_DAY).items() if d != BAD_DAY
    }
