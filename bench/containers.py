"""The container keys of `make bench`: the production path measured, not only tested.

- ``image_build_s_cold``: the production image from an empty build cache (the base image is
  kept: pulling or bootstrapping it is the machine's, not the build's);
- ``image_build_s_after_code_change``: the same build after a one-line change under
  ``include/``, with ``image_rebuild_layers`` saying how many layers were reused and rebuilt
  (only the project's small layers should be);
- ``image_size_mib``: the production image;
- ``compose_up_healthy_s``: `make compose-up` of the embedded profile until every service is
  healthy, images already built;
- ``compose_day_trigger_to_published_s``: one day triggered inside the containers until its
  publish run ends, by the containers' scheduler and Celery worker.

The builds run on a copy of the tracked files (the work tree is never touched) and tag
``flights-elt-bench:latest``; the stack is a Compose project of its own, removed with its
volumes at the end. Clears Docker's build cache first: the next `make image` rebuilds.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from flights_elt.cli import compose_stack
from flights_elt.cli.compose_stack import ComposeStack, docker
from flights_elt.config import PROJECT_ROOT
from flights_elt.embedded.testing import free_port

BENCH_TAG = "flights-elt-bench:latest"
DAY = "2013-01-01"


def _tracked_copy(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout.split(
        b"\0"
    )
    for name in filter(None, files):
        src = PROJECT_ROOT / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _layers(image: str) -> list[str]:
    return json.loads(docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", image).stdout)


def _timed_build(stack: ComposeStack, context: Path) -> float:
    start = time.monotonic()
    stack.extra_env["ELT_BUILD_CONTEXT"] = str(context)
    stack.script("build", "production", BENCH_TAG, timeout=3600)
    return round(time.monotonic() - start, 1)


def measure(work: Path) -> dict[str, object]:
    """Every container key, or ``containers_skipped`` with the reason."""
    why = compose_stack.engine_answers()
    if why is not None:
        return {"containers_skipped": why}
    result: dict[str, object] = {}
    context = Path(tempfile.mkdtemp(prefix="elt-bench-context-", dir=work))
    stack = ComposeStack(
        env_file=work / "bench-compose.env", project="flights-elt-bench", api_port=free_port(), workers=1
    )
    try:
        _tracked_copy(context)
        docker("builder", "prune", "--all", "--force", timeout=600)
        result["image_build_s_cold"] = _timed_build(stack, context)
        before = _layers(BENCH_TAG)
        result["image_size_mib"] = round(
            int(docker("image", "inspect", "--format", "{{.Size}}", BENCH_TAG).stdout) / 2**20
        )
        init = context / "include" / "flights_elt" / "__init__.py"
        init.write_text(init.read_text() + "# one-line change for the rebuild benchmark\n")
        result["image_build_s_after_code_change"] = _timed_build(stack, context)
        after = _layers(BENCH_TAG)
        reused = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), len(after))
        result["image_rebuild_layers"] = {"reused": reused, "rebuilt": len(after) - reused, "total": len(after)}
        stack.extra_env.pop("ELT_BUILD_CONTEXT")

        stack.script("env")
        stack.down(volumes=True)
        stack.images(timeout=3600)  # the stack's own images, from the cache just warmed
        result["compose_up_healthy_s"] = round(stack.up(), 1)
        stack.elt("run", "--start", DAY, "--end", DAY, "--json", "/tmp/bench-day.json", timeout=900)
        summary = json.loads(stack.exec("airflow-apiserver", "cat", "/tmp/bench-day.json").stdout)
        result["compose_day_trigger_to_published_s"] = summary["latency_median_s"]
        result["compose_day_published"] = summary["published"]
    finally:
        if stack.env_file.exists():
            stack.down(volumes=True)
            stack.env_file.unlink()
        shutil.rmtree(context, ignore_errors=True)
        with contextlib.suppress(compose_stack.ComposeError):
            docker("rmi", "-f", BENCH_TAG, timeout=120)
    return result
