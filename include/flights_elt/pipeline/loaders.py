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
import functools
import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flights_elt.pipeline.faults import failpoint
from flights_elt.pipeline.spec import SourceTable

if TYPE_CHECKING:
    import pandas as pd

    from flights_elt.warehouse import Warehouse

log = logging.getLogger(__name__)

NULL_TOKENS = frozenset({"", "NA"})
# Integer fields pyarrow reads otherwise than pd.to_numeric: negative zero ("-0": pandas gives
# -0.0 among floats) and hexadecimal ("0x1F": pandas finds no number). Each pattern matches the
# end of such a field (and of a few text values, which then merely take the strict path); both
# are searched separately, which keeps the scan of a large file fast.
_MISREAD_INTEGERS = (r"-0+[ \t]*(?:[,\n]|$)", r"(?i)0x[0-9a-f]+[ \t]*(?:[,\n]|$)")


def _memory_pool() -> Any:
    """Arrow memory for parsing: malloc's. In a fresh process (a task parses one file), reading
    a large file into it took about half the time it took with pyarrow's default pool."""
    import pyarrow as pa

    return pa.system_memory_pool()


class BadFileError(ValueError):
    """The landing file cannot be read as the table it claims to be."""


@dataclass
class ParsedFile:
    # typed (numbers as int64/double[pyarrow], text as categoricals), RAW column names, accepted rows only
    accepted: pd.DataFrame
    quarantined: pd.DataFrame  # text, RAW column names + _ROW_NUMBER, _RULE, _REASON
    rows_in_file: int
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class _Fields:
    """A landing file cut into fields: well-formed rows column by column, malformed rows whole."""

    header: list[str]
    columns: dict[str, Any]  # source column -> Arrow (chunked) array: its text, or int64 (read by the fast path)
    line_numbers: Any  # numpy int64: the line of each well-formed row (the header is line 1)
    malformed: list[tuple[int, list[str], str, str]]  # (line, fields, rule, reason)
    rows: Callable[[Any], list[list[str]]]  # the verbatim fields of the well-formed rows at these positions


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


def _check_header(header: list[str], table: SourceTable, path: str) -> None:
    expected = [c.source_name for c in table.columns]
    missing = [c for c in expected if c not in header]
    if missing:
        extra = [h for h in header if h not in expected]
        detail = f"; unexpected columns: {extra}" if extra else ""
        raise BadFileError(f"{path}: missing columns {missing}{detail}")
    if len(set(header)) != len(header):
        raise BadFileError(f"{path}: duplicate column names in header {header}")


def _fields_strict(data: bytes, table: SourceTable, path: str) -> _Fields:
    """Split the file with ``csv.reader`` in strict mode, one row at a time (any well-formed UTF-8 CSV)."""
    import numpy as np
    import pyarrow as pa

    header, body = _split_rows(_decode(data, path), path)
    _check_header(header, table, path)
    width = len(header)
    good_rows: list[list[str]] = []
    good_lines: list[int] = []
    malformed = []
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
            malformed.append((i, row, "malformed_row", reason))
        else:
            good_rows.append(row)
            good_lines.append(i)
    by_position = list(zip(*good_rows, strict=True)) if good_rows else [()] * width
    columns = {c.source_name: pa.array(by_position[header.index(c.source_name)], pa.string()) for c in table.columns}
    return _Fields(
        header, columns, np.array(good_lines, dtype="int64"), malformed, lambda at: [good_rows[k] for k in at]
    )


def _fields_fast(data: bytes, table: SourceTable) -> _Fields | None:
    """Split the file with pyarrow's CSV reader, numeric columns read as integers on the way.

    Only for files where that gives exactly what ``_fields_strict`` and ``pd.to_numeric``
    would: no quotes, no CR, no blank lines, no field over csv's size limit, the expected
    columns once each, every row with as many fields as the header and every number a plain
    decimal integer (pyarrow also trims spaces and tabs around it, as ``str.strip`` does).
    Anything else returns None and goes through ``_fields_strict``.
    """
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    if b'"' in data or b"\r" in data:
        return None
    header_end = data.find(b"\n")
    raw_header = data[: max(header_end, 0)].decode("utf-8").split(",")
    header = [h.strip().lower() for h in raw_header]
    expected = [c.source_name for c in table.columns]
    if header_end <= 0 or len(set(header)) != len(header) or not set(expected) <= set(header):
        return None  # no header (or no row), or not the expected columns once each
    numeric = {c.source_name for c in table.columns if c.type in ("INTEGER", "FLOAT")}
    names = [f"f{j}" for j in range(len(header))]
    name_of = {c: names[header.index(c)] for c in expected}
    # The scans of the whole file run beside the read (each mostly outside the GIL); a file that
    # fails one of them was read for nothing, and goes the strict way.
    with ThreadPoolExecutor(max_workers=1 + len(_MISREAD_INTEGERS)) as pool:
        line_ends = pool.submit(_line_ends, data)
        misread = [pool.submit(_matches, data, p) for p in _MISREAD_INTEGERS] if numeric else []
        try:
            read = pa_csv.read_csv(
                pa.BufferReader(data),
                read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
                parse_options=pa_csv.ParseOptions(quote_char=False, newlines_in_values=False, ignore_empty_lines=False),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name_of[c]: pa.int64() if c in numeric else pa.string() for c in expected},
                    include_columns=[name_of[c] for c in expected],
                    null_values=sorted(NULL_TOKENS),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    check_utf8=False,  # parse() has checked the whole file
                ),
                memory_pool=_memory_pool(),
            )
        except pa.ArrowInvalid:  # a row with the wrong number of fields, or a field that is no plain integer
            read = None
        newlines = line_ends.result()
        if read is None or any(f.result() for f in misread):
            return None
    n_lines = len(newlines) + (0 if data.endswith(b"\n") else 1)  # the header and the rows
    if n_lines < 2:
        return None  # a header alone
    gaps = np.diff(newlines)  # a line's length + 1
    longest = max(header_end, int(gaps.max(initial=1)) - 1, len(data) - int(newlines[-1]) - 1)
    if gaps.min(initial=2) == 1 or longest > csv.field_size_limit():
        return None  # a blank line, or a line (so maybe a field) longer than csv.reader accepts
    if read.num_rows != n_lines - 1:
        return None

    def rows(at: Any) -> list[list[str]]:  # row k runs from newline k to newline k + 1 (or the end)
        last = len(newlines) - 1
        return [data[newlines[k] + 1 : newlines[k + 1] if k < last else len(data)].decode().split(",") for k in at]

    good = n_lines - 1
    malformed = []
    if not data.endswith(b"\n"):
        good -= 1
        reason = f"line {n_lines}: file ends without a newline, row may be truncated"
        malformed.append((n_lines, rows([good])[0], "malformed_row", reason))
    columns = {c: read.column(name_of[c])[:good] for c in expected}
    return _Fields(header, columns, np.arange(2, good + 2, dtype="int64"), malformed, rows)


def _line_ends(data: bytes) -> Any:
    """The offset of every newline in ``data``, a block at a time (one boolean array the size of
    a large file is slower)."""
    import numpy as np

    buf, block = np.frombuffer(data, dtype=np.uint8), 1 << 20
    return np.concatenate([np.flatnonzero(buf[i : i + block] == 10) + i for i in range(0, len(buf), block)])


def _matches(data: bytes, pattern: str) -> bool:
    """Whether the regular expression ``pattern`` matches anywhere in ``data`` (one scan, by RE2)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    return bool(pc.match_substring_regex(whole, pattern)[0].as_py())


def _text(raw: Any) -> tuple[Any, Any, Any]:
    """A text column as ``(codes, distinct, is_null)``: row i holds ``distinct[codes[i]]``.

    Values are stripped as ``str.strip`` does and NULL_TOKENS become None. Each distinct value
    is one str object, so conversions can run once per distinct value instead of once per row.
    The column is encoded as it is read and only its distinct values are stripped: values that
    differ only in the whitespace around them then share one code.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(raw, memory_pool=_memory_pool())
    if isinstance(encoded, pa.ChunkedArray):  # the fast path's columns come in blocks of rows
        encoded = encoded.combine_chunks(memory_pool=_memory_pool())  # one dictionary; indices joined
    words = [w.strip() for w in encoded.dictionary.to_pylist()]
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    if len(set(words)) < len(words):  # " UA" and "UA": one value, one code
        words, first_code = np.unique(np.array(words, dtype=object), return_inverse=True)
        codes = first_code.astype(codes.dtype)[codes]
    distinct = np.empty(len(words), dtype=object)
    distinct[:] = list(words)
    nulls = np.fromiter((w in NULL_TOKENS for w in distinct), dtype=bool, count=len(distinct))
    distinct[nulls] = None
    return codes, distinct, nulls[codes]


def _categorical(codes: Any, distinct: Any) -> Any:
    """A text column of ``_text`` as a pandas categorical: its distinct values are found already,
    so this costs one lookup per row, and the bulk load hands the codes and values to Arrow and
    Parquet as they are instead of converting (and hashing) one str object per row."""
    import numpy as np
    import pandas as pd

    present = np.fromiter((v is not None for v in distinct), dtype=bool, count=len(distinct))
    position = np.where(present, np.cumsum(present) - 1, -1)  # -1: a NULL_TOKEN, missing
    position = position.astype(np.result_type(np.int8, np.min_scalar_type(len(distinct))))  # as pandas keeps codes
    return pd.Series(pd.Categorical.from_codes(position[codes], categories=pd.Index(distinct[present], dtype=object)))


def parse(data: bytes, table: SourceTable, partition: str | None, path: str = "<file>") -> ParsedFile:
    """Parse one landing file into accepted (typed) and quarantined (verbatim) rows.

    A plain file (no quotes, every row complete, integers as integers) is split by pyarrow's CSV
    reader; any other goes through ``csv.reader`` in strict mode. Both give the same result: the
    checks below run on either, column by column.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if not data or not data.isascii():
        _decode(data, path)  # empty file, invalid UTF-8: stop here
    fields = _fields_fast(data, table) or _fields_strict(data, table, path)
    expected = [c.source_name for c in table.columns]
    extra_columns = [h for h in fields.header if h not in expected]

    n = len(fields.line_numbers)
    rule = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    flagged = np.zeros(n, dtype=bool)

    def flag(mask: Any, name: str, why: str | tuple[str, pd.Series, str]) -> None:
        """Give the rows of ``mask`` not flagged yet this rule and a reason (``prefix + value + suffix``)."""
        new = np.asarray(mask, dtype=bool) & ~flagged
        if new.any():
            rule[new] = name
            if isinstance(why, str):
                reason[new] = why
            else:
                prefix, shown, suffix = why
                reason[new] = (prefix + shown[new].astype(str) + suffix).to_numpy(dtype=object)
            flagged[new] = True

    typed: dict[str, Any] = {}  # column -> pandas Series, one value per row
    numbers: dict[str, Any] = {}  # numeric column -> its values as an Arrow array (what typed holds)
    for col in table.columns:
        raw = fields.columns[col.source_name]
        if col.type in ("INTEGER", "FLOAT"):
            if pa.types.is_integer(raw.type):  # read by the fast path: plain integers, nulls for NULL_TOKENS
                values = raw
            else:
                codes, distinct, is_null = _text(raw)
                s = pd.Series(distinct[codes], dtype=object)
                num = pd.to_numeric(s, errors="coerce")
                num = num if num.dtype.kind == "i" else num.astype("float64")  # int64 if every value is one
                flag(~is_null & num.isna().to_numpy(), "wrong_type", (f"{col.name} is not a number: '", s, "'"))
                if col.type == "INTEGER" and num.dtype.kind == "f":
                    whole = num.isna() | ((num == num.round()) & (num.abs() < 2.0**63)).to_numpy()
                    flag(~whole, "wrong_type", (f"{col.name} is not an integer: '", s, "'"))
                    num = num.where(whole)
                values = pa.array(num.to_numpy(), from_pandas=True)  # NaN: null
            target = pa.int64() if col.type == "INTEGER" else pa.float64()
            values = values if values.type == target else pc.cast(values, target)
            shown = pd.Series(pd.arrays.ArrowExtensionArray(values))
            is_null = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else np.zeros(n, bool)
            lo = col.min if col.min is not None else -np.inf
            hi = col.max if col.max is not None else np.inf
            least, most = pc.min_max(values).values()  # one pass; row by row only if some are out
            if least.is_valid and (least.as_py() < lo or most.as_py() > hi):
                out = pc.fill_null(pc.or_(pc.less(values, lo), pc.greater(values, hi)), False)
                why = (f"{col.name} outside [{col.min}, {col.max}]: ", shown, "")
                flag(out.to_numpy(zero_copy_only=False), "out_of_range", why)
            typed[col.name], numbers[col.name] = shown, values
        elif col.type == "TIMESTAMP_NTZ":
            codes, distinct, is_null = _text(raw)
            # Each distinct value parsed (as UTC, then naive) once, as pd.to_datetime's cache would; then per row.
            utc = pd.to_datetime(pd.Series(distinct, dtype=object), errors="coerce", utc=True, format="ISO8601")
            parsed = utc.dt.tz_localize(None).astype("datetime64[us]").to_numpy()
            bad = ~is_null & np.isnat(parsed)[codes]
            if bad.any():
                s = pd.Series(distinct[codes], dtype=object)
                flag(bad, "wrong_type", (f"{col.name} is not a timestamp: '", s, "'"))
            typed[col.name] = pd.Series(parsed[codes])
        else:
            codes, distinct, is_null = _text(raw)
            typed[col.name] = _categorical(codes, distinct)
        if not col.nullable and col.name not in table.key:
            flag(is_null, "missing_value", f"{col.name} is empty")

    if table.date_parts and partition is not None and n:
        want = dt.date.fromisoformat(partition)
        parts = [(numbers[c], v) for c, v in zip(table.date_parts, (want.year, want.month, want.day), strict=True)]
        if any(pc.min_max(a).as_py() != {"min": v, "max": v} for a, v in parts):  # row by row only if some differ
            differs = functools.reduce(pc.or_, (pc.not_equal(a, v) for a, v in parts))
            other = pc.fill_null(differs, False)  # a missing part is the missing_value rule's
            flag(other.to_numpy(zero_copy_only=False), "wrong_partition", f"row date is not the partition {partition}")

    ok = ~flagged
    keep = None if ok.all() else np.flatnonzero(ok)
    accepted = pd.DataFrame(
        {
            c.name: typed[c.name] if keep is None else typed[c.name].take(keep).reset_index(drop=True)
            for c in table.columns
        }
    )

    quarantined_rows = [
        {
            **dict(zip([c.name for c in table.columns], _pad(row, fields.header, expected), strict=True)),
            "_ROW_NUMBER": i,
            "_RULE": r,
            "_REASON": why,
        }
        for i, row, r, why in fields.malformed
    ]
    at = np.flatnonzero(flagged)
    flagged_rows = pd.DataFrame(fields.rows(at), columns=fields.header, dtype=object)[expected]
    flagged_rows.columns = [c.name for c in table.columns]
    flagged_rows["_ROW_NUMBER"] = fields.line_numbers[at]
    flagged_rows["_RULE"] = rule[at]
    flagged_rows["_REASON"] = reason[at]
    quarantined = pd.concat([pd.DataFrame(quarantined_rows), flagged_rows], ignore_index=True)
    if quarantined.empty:
        quarantined = pd.DataFrame(columns=[*table.column_names, "_ROW_NUMBER", "_RULE", "_REASON"])
    quarantined = quarantined.sort_values("_ROW_NUMBER", kind="stable").reset_index(drop=True)
    return ParsedFile(accepted, quarantined, rows_in_file=n + len(fields.malformed), extra_columns=extra_columns)


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


def with_load_columns(
    accepted: pd.DataFrame, partition: dt.date | None, source_file: str, loaded_at: Any, batch_id: str
) -> pd.DataFrame:
    """``parse``'s accepted rows with RAW's load columns added (in place): one value each, for
    every row, so each is a categorical of that one value (Arrow and Parquet then take one value
    and a code per row, not one object per row)."""
    import numpy as np
    import pandas as pd

    zeros = np.zeros(len(accepted), dtype=np.int8)
    for name, value in (("_PARTITION", partition), ("_SOURCE_FILE", source_file), ("_BATCH_ID", batch_id)):
        accepted[name] = pd.Categorical.from_codes(zeros, categories=pd.Index([value], dtype=object)) if value else None
    accepted["_LOADED_AT"] = loaded_at
    return accepted


def load_table(
    wh: Warehouse, table: SourceTable, partition: str | None, run_id: str, force: bool = False
) -> LoadResult:
    """Load one landing file (a day of a partitioned source, or a whole reference table)."""
    return load_files(wh, table, [partition], run_id, force)[0]


def load_files(
    wh: Warehouse, table: SourceTable, partitions: Sequence[str | None], run_id: str, force: bool = False
) -> list[LoadResult]:
    """Load the landing files of some days of one source (or ``[None]``: the whole
    reference table) as one bulk load: every file is parsed and checked on its own, the rows
    of all of them go to the warehouse in one ``COPY`` per schema, and the days (or the whole
    reference table), their quarantine rows and their FILE_LOADS records are replaced in one
    transaction. Idempotent: a file whose content hash is the one last loaded for its day is
    skipped, and when every file is, nothing is written at all. Returns one result per file.
    """
    import pandas as pd

    from flights_elt.pipeline import landing
    from flights_elt.warehouse import ident

    partitions = list(partitions)
    if not partitions:
        return []
    reference = partitions == [None]
    if not reference and (None in partitions or len(set(partitions)) != len(partitions)):
        raise ValueError(f"{table.name}: days to load must be distinct dates: {partitions}")
    files = []
    for partition in partitions:
        path = landing.path_for(table, partition)
        if not path.exists():
            raise FileNotFoundError(f"landing file {path} does not exist")
        data = landing.read_bytes(path)
        files.append((partition, str(path), data, landing.checksum(data)[:32]))
    previous = _previous_loads(wh, table, [p for p, *_ in files])
    results: dict[str | None, LoadResult] = {}
    for partition, source_file, _, batch_id in files:
        before = previous.get(partition or "*")
        if before and before[0] == batch_id and not force:
            log.info(
                "%s %s: file unchanged since its last load (batch %s): nothing to do", table.name, partition, batch_id
            )
            counts = (int(n) for n in before[1:])
            results[partition] = LoadResult(table.name, partition, source_file, batch_id, *counts, skipped=True)
    todo = [f for f in files if f[0] not in results]
    if not todo:
        return [results[p] for p in partitions]
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")
    accepted_frames, quarantined_frames = [], []
    for partition, source_file, data, batch_id in todo:
        parsed = parse(data, table, partition, source_file)
        part_value = dt.date.fromisoformat(partition) if partition else None
        accepted = with_load_columns(parsed.accepted, part_value, source_file, now, batch_id)
        quarantined = parsed.quarantined.astype(object).where(parsed.quarantined.notna(), None)
        for c in table.column_names:
            quarantined[c] = quarantined[c].astype(object)
        quarantined["_PARTITION"] = part_value
        quarantined["_SOURCE_FILE"] = source_file
        quarantined["_RUN_ID"] = run_id
        quarantined["_BATCH_ID"] = batch_id
        quarantined["_QUARANTINED_AT"] = now
        quarantined["_ROW_NUMBER"] = quarantined["_ROW_NUMBER"].astype("Int64")
        accepted_frames.append(accepted)
        quarantined_frames.append(quarantined)
        results[partition] = LoadResult(
            table.name,
            partition,
            source_file,
            batch_id,
            parsed.rows_in_file,
            len(accepted),
            len(quarantined),
            extra_columns=parsed.extra_columns,
        )
    frames = {
        "RAW": _concat(accepted_frames),
        "QUARANTINE": _concat(quarantined_frames),
    }
    t = ident(table.name)
    # One load table per schema (RAW, QUARANTINE) and per run: runs of other days load the same
    # reference files at the same time and must never share one; a retry of this run replaces
    # what its killed try left.
    tokens = "/".join(f"{p}:{b}" for p, _, _, b in todo)
    run_token = hashlib.sha256(f"{run_id}/{tokens}".encode()).hexdigest()[:12].upper()
    load = f"_LOAD_{t}_{run_token}"
    # Stage both frames into load tables first (outside the transaction: COPY is the slow part).
    for schema, frame in frames.items():
        wh.run_file("raw/create_load_table", schema=schema, table=t, load_table=load)
        wh.bulk_load(frame, schema, load)
    days = [p for p, *_ in todo]
    label = "*" if reference else days[0] if len(days) == 1 else f"{days[0]}..{days[-1]}"
    try:
        with wh.transaction(writes=f"RAW.{t}/{label}"):
            for schema in ("RAW", "QUARANTINE"):
                if reference:
                    wh.run_file("raw/delete_all", schema=schema, table=t)
                else:
                    for first, last in _spans(days):
                        wh.run_file(
                            "raw/delete_partition", {"first_day": first, "last_day": last}, schema=schema, table=t
                        )
                wh.run_file("raw/insert_from_load_table", schema=schema, table=t, load_table=load)
            failpoint(f"load.{t.lower()}.before_commit")
            for first, last in [("*", "*")] if reference else _spans(days):
                wh.run_file("audit/delete_file_load", {"source": table.name, "first_key": first, "last_key": last})
            with wh.conn.cursor() as cur:  # the driver sends one multi-row INSERT
                cur.executemany(
                    _sql("audit/insert_file_load"),
                    [
                        {
                            "source": table.name,
                            "partition_key": r.partition or "*",
                            "source_file": r.source_file,
                            "batch_id": r.batch_id,
                            "rows_in_file": r.rows_in_file,
                            "rows_loaded": r.rows_loaded,
                            "rows_quarantined": r.rows_quarantined,
                            "run_id": run_id,
                        }
                        for r in (results[p] for p in days)
                    ],
                )
    finally:
        for schema in frames:
            wh.run_file("raw/drop_load_table", schema=schema, load_table=load)
    for p in days:
        log.info("loaded %s", results[p])
    return [results[p] for p in partitions]


def _previous_loads(wh: Warehouse, table: SourceTable, partitions: list[str | None]) -> dict[str, tuple]:
    """{partition key: (batch id, rows in file, loaded, quarantined)} of the last load of each file."""
    keys = sorted(p or "*" for p in partitions)
    _, rows = wh.query(
        _sql("audit/last_file_loads"), {"source": table.name, "first_key": keys[0], "last_key": keys[-1]}
    )
    return {str(r[0]): tuple(r[1:]) for r in rows if str(r[0]) in keys}


def _spans(days: list[str]) -> list[tuple[str, str]]:
    """Consecutive days as (first, last) spans: one DELETE per span, not one per day."""
    spans: list[tuple[str, str]] = []
    for day in sorted(days):
        if spans and dt.date.fromisoformat(day) - dt.date.fromisoformat(spans[-1][1]) == dt.timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _sql(name: str) -> str:
    from flights_elt.warehouse import render_sql

    return render_sql(name)
