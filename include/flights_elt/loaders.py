"""Landing file → RAW: parse strictly, quarantine bad rows, bulk load the rest idempotently.

File-level defects (empty file, invalid UTF-8, broken CSV quoting, missing columns) raise
``BadFileError`` with a message naming the defect: the partition stops there and the landing
file stays where it is. Row-level defects (wrong types, out-of-range values, rows that belong
to another day, rows with the wrong number of fields) move the row to ``QUARANTINE.<TABLE>``
with the rule and reason. Everything else goes to RAW; key nulls and duplicates are left for
the RAW gate to stop, so ``rows in file = rows in RAW + rows quarantined`` always holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flights_elt.faults import failpoint
from flights_elt.spec import SourceTable

if TYPE_CHECKING:
    import pandas as pd

    from flights_elt.warehouse import Warehouse

log = logging.getLogger(__name__)

NULL_TOKENS = frozenset({"", "NA"})


class BadFileError(ValueError):
    """The landing file cannot be read as the table it claims to be."""


@dataclass
class ParsedFile:
    accepted: pd.DataFrame  # typed, RAW column names, accepted rows only
    quarantined: pd.DataFrame  # text, RAW column names + _ROW_NUMBER, _RULE, _REASON
    rows_in_file: int
    extra_columns: list[str] = field(default_factory=list)


def _decode(data: bytes, path: str) -> str:
    if not data:
        raise BadFileError(f"{path}: empty file (0 bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadFileError(f"{path}: invalid UTF-8 at byte {e.start}: {e.reason}") from e


def _split_rows(text: str, path: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as e:
        raise BadFileError(f"{path}: malformed CSV near line {reader.line_num}: {e}") from e
    if not rows or not any(rows[0]):
        raise BadFileError(f"{path}: no header row")
    return [h.strip().lower() for h in rows[0]], rows[1:]


def parse(data: bytes, table: SourceTable, partition: str | None, path: str = "<file>") -> ParsedFile:
    """Parse one landing file into accepted (typed) and quarantined (verbatim) rows."""
    import numpy as np
    import pandas as pd

    header, body = _split_rows(_decode(data, path), path)
    expected = [c.source_name for c in table.columns]
    missing = [c for c in expected if c not in header]
    if missing:
        extra = [h for h in header if h not in expected]
        detail = f"; unexpected columns: {extra}" if extra else ""
        raise BadFileError(f"{path}: missing columns {missing}{detail}")
    if len(set(header)) != len(header):
        raise BadFileError(f"{path}: duplicate column names in header {header}")
    extra_columns = [h for h in header if h not in expected]

    width = len(header)
    good_rows, bad_rows = [], []
    truncated = bool(body) and not data.endswith(b"\n")
    for i, row in enumerate(body, start=2):  # line 1 is the header
        if not row:
            continue  # blank line
        if len(row) != width or (truncated and i == len(body) + 1):
            reason = (
                f"line {i}: {len(row)} fields, header has {width}"
                if len(row) != width
                else f"line {i}: file ends without a newline, row may be truncated"
            )
            bad_rows.append((i, row, "malformed_row", reason))
        else:
            good_rows.append((i, row))

    frame = pd.DataFrame([r for _, r in good_rows], columns=header, dtype=object)
    frame = frame[expected] if len(frame) else pd.DataFrame(columns=expected, dtype=object)
    frame.columns = [c.name for c in table.columns]
    line_numbers = np.array([i for i, _ in good_rows], dtype="int64")

    text = frame.apply(lambda s: s.str.strip()) if len(frame) else frame
    is_null = text.isin(NULL_TOKENS) if len(frame) else text.astype(bool)
    rule = pd.Series([None] * len(frame), dtype=object)
    reason = pd.Series([None] * len(frame), dtype=object)

    def flag(mask: pd.Series, name: str, why: pd.Series | str) -> None:
        mask = mask & rule.isna()
        if mask.any():
            rule[mask] = name
            reason[mask] = why[mask] if isinstance(why, pd.Series) else why

    typed: dict[str, Any] = {}
    for col in table.columns:
        s = text[col.name].where(~is_null[col.name], None)
        if col.type in ("INTEGER", "FLOAT"):
            num = pd.to_numeric(s, errors="coerce")
            bad_type = s.notna() & num.isna()
            flag(bad_type, "wrong_type", col.name + " is not a number: '" + s.fillna("").astype(str) + "'")
            if col.type == "INTEGER":
                frac = num.notna() & (num != num.round())
                flag(frac, "wrong_type", col.name + " is not an integer: '" + s.fillna("").astype(str) + "'")
            lo = col.min if col.min is not None else -np.inf
            hi = col.max if col.max is not None else np.inf
            out = num.notna() & ((num < lo) | (num > hi))
            flag(out, "out_of_range", f"{col.name} outside [{col.min}, {col.max}]: " + num.astype(str))
            typed[col.name] = num
        elif col.type == "TIMESTAMP_NTZ":
            ts = pd.to_datetime(s, errors="coerce", utc=True, format="ISO8601")
            flag(
                s.notna() & ts.isna(),
                "wrong_type",
                col.name + " is not a timestamp: '" + s.fillna("").astype(str) + "'",
            )
            typed[col.name] = ts.dt.tz_localize(None).astype("datetime64[us]")
        else:
            typed[col.name] = s
        if not col.nullable and col.name not in table.key:
            flag(s.isna(), "missing_value", f"{col.name} is empty")

    if table.date_parts and partition is not None and len(frame):
        y, m, d = (typed[c] for c in table.date_parts)
        want = dt.date.fromisoformat(partition)
        other = y.notna() & m.notna() & d.notna() & ((y != want.year) | (m != want.month) | (d != want.day))
        flag(other, "wrong_partition", f"row date is not the partition {partition}")

    ok = rule.isna().to_numpy()
    accepted = pd.DataFrame(index=range(int(ok.sum())))
    for col in table.columns:
        values = typed[col.name][ok].reset_index(drop=True)
        if col.type == "INTEGER":
            accepted[col.name] = values.astype("Int64")
        elif col.type == "FLOAT":
            accepted[col.name] = values.astype("float64")
        elif col.type == "TIMESTAMP_NTZ":
            accepted[col.name] = values
        else:
            accepted[col.name] = values.astype(object)

    quarantined_rows = [
        {
            **dict(zip([c.name for c in table.columns], _pad(row, header, expected), strict=True)),
            "_ROW_NUMBER": i,
            "_RULE": r,
            "_REASON": why,
        }
        for i, row, r, why in bad_rows
    ]
    flagged = frame[~ok].copy()
    flagged["_ROW_NUMBER"] = line_numbers[~ok]
    flagged["_RULE"] = rule[~ok].to_numpy()
    flagged["_REASON"] = reason[~ok].to_numpy()
    quarantined = pd.concat([pd.DataFrame(quarantined_rows), flagged], ignore_index=True)
    if quarantined.empty:
        quarantined = pd.DataFrame(columns=[*table.column_names, "_ROW_NUMBER", "_RULE", "_REASON"])
    quarantined = quarantined.sort_values("_ROW_NUMBER", kind="stable").reset_index(drop=True)
    return ParsedFile(accepted, quarantined, rows_in_file=len(good_rows) + len(bad_rows), extra_columns=extra_columns)


def _pad(row: list[str], header: list[str], expected: list[str]) -> list[str | None]:
    """Map a malformed row's fields onto the expected columns as far as they go."""
    by_name = dict(zip(header, row, strict=False))
    values: list[str | None] = [by_name.get(c) for c in expected]
    if len(row) > len(header):
        tail = ",".join(row[len(header) :])
        values[-1] = f"{values[-1]},{tail}" if values[-1] is not None else tail
    return values


@dataclass
class LoadResult:
    source: str
    partition: str | None
    source_file: str
    batch_id: str
    rows_in_file: int
    rows_loaded: int
    rows_quarantined: int
    skipped: bool = False
    extra_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_table(
    wh: Warehouse, table: SourceTable, partition: str | None, run_id: str, force: bool = False
) -> LoadResult:
    """Load one landing file (a day of a partitioned source, or a whole reference table).

    Idempotent: the partition (or the whole reference table) and its quarantine rows are
    replaced in one transaction, together with the FILE_LOADS record. If the same file
    (same content hash) was already loaded, nothing is written at all.
    """
    import pandas as pd

    from flights_elt import landing
    from flights_elt.warehouse import ident

    path = landing.path_for(table, partition)
    if not path.exists():
        raise FileNotFoundError(f"landing file {path} does not exist")
    data = landing.read_bytes(path)
    batch_id = landing.checksum(data)[:32]
    partition_key = partition or "*"
    source_file = str(path)

    previous = wh.query(_sql("audit/last_file_load"), {"source": table.name, "partition_key": partition_key})[1]
    if previous and previous[0][0] == batch_id and not force:
        log.info(
            "%s %s: file unchanged since its last load (batch %s): nothing to do", table.name, partition_key, batch_id
        )
        counts = (int(n) for n in previous[0][1:])
        return LoadResult(table.name, partition, source_file, batch_id, *counts, skipped=True)

    parsed = parse(data, table, partition, source_file)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")
    part_value = dt.date.fromisoformat(partition) if partition else None

    accepted = parsed.accepted
    accepted["_PARTITION"] = part_value
    accepted["_SOURCE_FILE"] = source_file
    accepted["_LOADED_AT"] = now
    accepted["_BATCH_ID"] = batch_id

    quarantined = parsed.quarantined.astype(object).where(parsed.quarantined.notna(), None)
    for c in table.column_names:
        quarantined[c] = quarantined[c].astype(object)
    quarantined["_PARTITION"] = part_value
    quarantined["_SOURCE_FILE"] = source_file
    quarantined["_RUN_ID"] = run_id
    quarantined["_BATCH_ID"] = batch_id
    quarantined["_QUARANTINED_AT"] = now
    quarantined["_ROW_NUMBER"] = quarantined["_ROW_NUMBER"].astype("Int64")

    t = ident(table.name)
    load = f"_LOAD_{t}_{batch_id[:12].upper()}"  # one per schema: RAW and QUARANTINE
    # Stage both frames into load tables first (outside the transaction: COPY is the slow part).
    for schema, frame in (("RAW", accepted), ("QUARANTINE", quarantined)):
        wh.run_file("raw/create_load_table", schema=schema, table=t, load_table=load)
        wh.bulk_load(frame, schema, load)
    delete = "raw/delete_partition" if partition else "raw/delete_all"
    try:
        with wh.transaction(writes=f"RAW.{t}/{partition_key}"):
            for schema in ("RAW", "QUARANTINE"):
                wh.run_file(delete, {"partition": part_value}, schema=schema, table=t)
                wh.run_file("raw/insert_from_load_table", schema=schema, table=t, load_table=load)
            failpoint(f"load.{t.lower()}.before_commit")
            wh.run_file("audit/delete_file_load", {"source": table.name, "partition_key": partition_key})
            wh.run_file(
                "audit/insert_file_load",
                {
                    "source": table.name,
                    "partition_key": partition_key,
                    "source_file": source_file,
                    "batch_id": batch_id,
                    "rows_in_file": parsed.rows_in_file,
                    "rows_loaded": len(accepted),
                    "rows_quarantined": len(quarantined),
                    "run_id": run_id,
                },
            )
    finally:
        for schema in ("RAW", "QUARANTINE"):
            wh.run_file("raw/drop_load_table", schema=schema, load_table=load)
    result = LoadResult(
        table.name,
        partition,
        source_file,
        batch_id,
        parsed.rows_in_file,
        len(accepted),
        len(quarantined),
        extra_columns=parsed.extra_columns,
    )
    log.info("loaded %s", result)
    return result


def _sql(name: str) -> str:
    from flights_elt.warehouse import render_sql

    return render_sql(name)
