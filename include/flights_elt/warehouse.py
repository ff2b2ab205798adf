"""Talking to the warehouse: connections, SQL files, transactions and the bulk load path.

The same code runs against real Snowflake and the embedded emulator: both are reached through
the Snowflake provider's ``SnowflakeHook`` and the connection named by ``WAREHOUSE_CONN_ID``.
SQL lives in ``sql/<layer>/<name>.sql``; identifiers come from config through Jinja ``params``;
values are always bind parameters (``%(name)s``), never formatted into the text.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flights_elt import driver
from flights_elt.config import SQL_DIR, WAREHOUSE_CONN_ID, ensure_warehouse_ca, settings

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

_IDENT = re.compile(r"^[A-Z_][A-Z0-9_$]*$")
PARQUET_ROW_GROUP_ROWS = 122_880  # DuckDB's row-group size (see bulk_load)


def ident(name: str) -> str:
    """Validate an unquoted upper-case Snowflake identifier (the only kind this project uses)."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain upper-case identifier: {name!r}")
    return name


def sql_params() -> dict[str, Any]:
    """Identifiers every SQL template may use: database and schema names."""
    s = settings()
    return {"database": ident(s.database), **{k: ident(v) for k, v in s.schemas.items()}}


@cache
def _template(path: str) -> Any:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals["bind"] = bind
    return env.from_string(Path(path).read_text())


def bind(name: str) -> str:
    """``{{ bind('partition') }}`` in a SQL file: a bind parameter, filled by the driver."""
    if not name.isidentifier():
        raise ValueError(f"bad bind parameter name {name!r}")
    return f"%({name})s"


def render_sql(name: str, **params: Any) -> str:
    """Render ``sql/<name>.sql`` with identifier ``params`` (never values)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL file {path}")
    return _template(str(path)).render(params={**sql_params(), **params}).strip().rstrip(";")


class Warehouse:
    """One session on the warehouse; use as a context manager."""

    def __init__(self, conn_id: str = WAREHOUSE_CONN_ID) -> None:
        from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

        self.hook = SnowflakeHook(snowflake_conn_id=conn_id)
        self.conn = bounded_connect(self.hook)
        self.database = ident(settings().database)
        self._session_id: str | None = None  # CURRENT_SESSION(), asked once
        self._stages: set[str] = set()  # stages this session has made sure exist
        # Sessions run in autocommit; multi-statement writes use explicit BEGIN/COMMIT
        # (the emulator does not roll back a failed autocommit=False batch the way Snowflake does).
        self.conn.autocommit(True)
        writer = _task_try()
        if writer and writer[1] > 1 and writer not in _fenced:
            self._abort_earlier_tries(*writer)
            _fenced.add(writer)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> int:
        """Run one statement; return the affected row count (or -1)."""
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount if cur.rowcount is not None else -1

    def query(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            columns = [d[0] for d in cur.description or []]
            return columns, [tuple(r) for r in cur.fetchall()]

    def scalar(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Any:
        _, rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def run_file(self, name: str, values: Mapping[str, Any] | None = None, **ident_params: Any) -> int:
        return self.execute(render_sql(name, **ident_params), values)

    @contextlib.contextmanager
    def transaction(self, writes: str | None = None) -> Iterator[Warehouse]:
        """Explicit BEGIN ... COMMIT; ROLLBACK on any error.

        ``writes`` names what the transaction replaces (``RAW.FLIGHTS/2013-01-05``). A task
        killed mid-transaction (SIGKILL, OOM, a lost worker) never sends ROLLBACK: its session
        stays open with the transaction detached, holding the rows it deleted, and the retry's
        own delete of the same partition conflicts with it until the session expires (hours, on
        Snowflake). So inside an Airflow task, a named write registers its session until it
        commits, and a retry's first connection aborts every session that earlier tries of the
        same task instance left registered (those tries are over by definition). Writers of
        other runs are never aborted: a conflict with a live writer fails the statement and the
        task retries.
        """
        writer = _task_try()
        if writes and writer:
            self._register(writes, *writer)
        self.execute("begin")
        try:
            yield self
        except BaseException:
            with contextlib.suppress(Exception):
                self.execute("rollback")
            raise
        self.execute("commit")
        if writes and writer:
            self.run_file("audit/release_writer", {"writes": writes, "writer": writer[0], "below_try": writer[1] + 1})

    def _abort_earlier_tries(self, writer: str, try_number: int) -> None:
        """Abort every session that earlier tries of this task left registered, whatever they
        were writing, and forget them. Done once per try, at its first connection: a retry may
        never write what its killed try was writing (e.g. the file was loaded meanwhile by
        another run), and what that try left open must not outlive it."""
        from snowflake.connector.errors import ProgrammingError

        ids = {"writer": writer, "below_try": try_number}
        try:
            earlier = self.query(render_sql("audit/unfinished_writers"), ids)[1]
        except ProgrammingError:  # no AUDIT schema yet: nothing was ever registered
            return
        for writes, session_id, earlier_try, started_at in earlier:
            log.warning(
                "%s: aborting session %s left open by try %s of this task (started %s, never finished)",
                writes,
                session_id,
                earlier_try,
                started_at,
            )
            try:
                self.execute("select system$abort_session(%(session_id)s)", {"session_id": int(session_id)})
            except Exception as e:  # the session is gone already: it holds nothing any more
                log.info("session %s: %s", session_id, e)
        if earlier:
            self.run_file("audit/release_earlier_tries", ids)

    def _register(self, writes: str, writer: str, try_number: int) -> None:
        """Register this session as the writer of ``writes`` for this try, until it commits."""
        if self._session_id is None:
            self._session_id = str(self.scalar("select current_session()"))
        ids = {"writes": writes, "writer": writer, "try_number": try_number, "session_id": self._session_id}
        self.run_file("audit/register_writer", ids)

    def bulk_load(self, df: pd.DataFrame, schema: str, table: str, stage: str = "LOAD_STAGE") -> int:
        """Load a DataFrame into an existing table through the bulk path: Parquet, PUT, COPY INTO.

        Columns are matched by name; the staged file is purged by the COPY.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        if df.empty:
            return 0
        target = f"{self.database}.{ident(schema)}.{ident(table)}"
        stage_ref = f"@{self.database}.{ident(schema)}.{ident(stage)}"
        folder = f"{table.lower()}/{uuid.uuid4().hex}"
        with tempfile.TemporaryDirectory(prefix="elt-load-") as tmp:
            path = Path(tmp) / f"{table.lower()}.parquet"
            # What df.to_parquet writes, minus column statistics: the file is read once, whole,
            # by the COPY and then purged, so min/max per column would only cost time to compute.
            # Row groups of DuckDB's own row-group size let the emulator's COPY read and write
            # them on every core at once (one large group is one thread's work): the full year
            # of flights loads in about 0.2 s instead of 0.33 s. Smaller groups only add a few
            # bytes of metadata each.
            pq.write_table(
                pa.Table.from_pandas(df, preserve_index=False),
                path,
                write_statistics=False,
                row_group_size=PARQUET_ROW_GROUP_ROWS,
            )
            if stage_ref not in self._stages:
                self.execute(f"create stage if not exists {stage_ref[1:]}")
                self._stages.add(stage_ref)
            self.execute(f"put file://{path} {stage_ref}/{folder}/ overwrite = true auto_compress = false")
        _, rows = self.query(
            f"copy into {target} from {stage_ref}/{folder}/ "
            "file_format = (type = parquet) match_by_column_name = case_insensitive purge = true"
        )
        loaded = sum(int(r[3]) for r in rows if r[1] == "LOADED")
        if loaded != len(df):
            raise RuntimeError(f"COPY INTO {target} loaded {loaded} rows, expected {len(df)}: {rows}")
        return loaded


def bounded_connect(hook: Any) -> Any:
    """A new session with what ``hook.get_conn()`` would connect with, plus a bound on how long
    the driver retries a request against a warehouse that went away (unbounded, a task would
    hang until its timeout)."""
    from snowflake.connector import connect

    ensure_warehouse_ca()
    driver.install()
    timeout = settings().warehouse_timeout_s
    return connect(**hook._get_conn_params(), network_timeout=timeout, login_timeout=timeout)


_fenced: set[tuple[str, int]] = set()  # the task tries this process has already fenced


def _task_try() -> tuple[str, int] | None:
    """``dag/run/task`` and the try number of the Airflow task this process runs, if any."""
    env = os.environ
    parts = [env.get(f"AIRFLOW_CTX_{k}") for k in ("DAG_ID", "DAG_RUN_ID", "TASK_ID")]
    try_number = env.get("AIRFLOW_CTX_TRY_NUMBER")
    if not all(parts) or not try_number:
        return None
    return "/".join(parts), int(try_number)  # type: ignore[arg-type]
