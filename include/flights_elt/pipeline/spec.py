"""The declarative spec of every source table: columns, types, keys, partitioning, row rules.

Adding a source = one ``SourceTable`` entry here, its SQL under ``sql/`` and a SodaCL file
under ``checks/``. Loaders, gates and DAG wiring are generated from these entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str  # upper-case warehouse identifier; the landing file uses the lower-case form
    type: str  # Snowflake type in RAW: INTEGER, FLOAT, VARCHAR, TIMESTAMP_NTZ (UTC)
    nullable: bool = True
    min: float | None = None  # plausible range; a value outside it quarantines the row
    max: float | None = None

    @property
    def source_name(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class SourceTable:
    name: str  # RAW table name, upper case
    landing_prefix: str  # folder in the landing zone
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key (within a partition for partitioned tables)
    partitioned: bool  # one landing file per day: <prefix>/YYYY-MM-DD.csv
    # Columns (year, month, day) that must match the partition date for a row to belong to it.
    date_parts: tuple[str, str, str] | None = None
    description: str = ""
    extra_checks: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def landing_path(self, partition: str | None = None) -> str:
        if self.partitioned:
            if partition is None:
                raise ValueError(f"{self.name} is partitioned: a partition key is required")
            return f"{self.landing_prefix}/{partition}.csv"
        return f"{self.landing_prefix}/{self.name.lower()}.csv"


def _int(name: str, nullable: bool = True, lo: float | None = None, hi: float | None = None) -> Column:
    return Column(name, "INTEGER", nullable, lo, hi)


def _float(name: str, lo: float | None = None, hi: float | None = None) -> Column:
    return Column(name, "FLOAT", True, lo, hi)


def _str(name: str, nullable: bool = True) -> Column:
    return Column(name, "VARCHAR", nullable)


def _ts(name: str, nullable: bool = True) -> Column:
    return Column(name, "TIMESTAMP_NTZ", nullable)


FLIGHTS = SourceTable(
    name="FLIGHTS",
    landing_prefix="flights",
    partitioned=True,
    date_parts=("YEAR", "MONTH", "DAY"),
    description="Every flight that departed NYC (EWR, JFK, LGA), one landing file per day.",
    columns=(
        _int("YEAR", False, 2000, 2100),
        _int("MONTH", False, 1, 12),
        _int("DAY", False, 1, 31),
        _int("DEP_TIME", True, 0, 2400),
        _int("SCHED_DEP_TIME", False, 0, 2359),
        _float("DEP_DELAY", -1440, 1440 * 2),
        _int("ARR_TIME", True, 0, 2400),
        _int("SCHED_ARR_TIME", False, 0, 2359),
        _float("ARR_DELAY", -1440, 1440 * 2),
        _str("CARRIER", False),
        _int("FLIGHT", False, 1, 99999),
        _str("TAILNUM"),
        _str("ORIGIN", False),
        _str("DEST", False),
        _float("AIR_TIME", 0, 24 * 60),
        _float("DISTANCE", 1, 10000),
        _int("HOUR", False, 0, 23),
        _int("MINUTE", False, 0, 59),
        _ts("TIME_HOUR", False),
    ),
    key=("CARRIER", "FLIGHT", "ORIGIN", "SCHED_DEP_TIME"),
)

WEATHER = SourceTable(
    name="WEATHER",
    landing_prefix="weather",
    partitioned=True,
    date_parts=("YEAR", "MONTH", "DAY"),
    description="Hourly weather at the three NYC airports, one landing file per day.",
    columns=(
        _str("ORIGIN", False),
        _int("YEAR", False, 2000, 2100),
        _int("MONTH", False, 1, 12),
        _int("DAY", False, 1, 31),
        _int("HOUR", False, 0, 23),
        _float("TEMP", -60, 130),
        _float("DEWP", -80, 100),
        _float("HUMID", 0, 100),
        _float("WIND_DIR", 0, 360),
        _float("WIND_SPEED", 0, 200),  # the source has one 1048 mph reading: quarantined
        _float("WIND_GUST", 0, 250),
        _float("PRECIP", 0, 20),
        _float("PRESSURE", 850, 1100),
        _float("VISIB", 0, 100),
        _ts("TIME_HOUR", False),
    ),
    # The source repeats three (origin, hour) readings around the DST change; staging dedupes.
    key=("ORIGIN", "HOUR"),
)

AIRLINES = SourceTable(
    name="AIRLINES",
    landing_prefix="reference",
    partitioned=False,
    description="Carrier codes and names.",
    columns=(_str("CARRIER", False), _str("NAME")),
    key=("CARRIER",),
)

AIRPORTS = SourceTable(
    name="AIRPORTS",
    landing_prefix="reference",
    partitioned=False,
    description="FAA airport codes with location.",
    columns=(
        _str("FAA", False),
        _str("NAME"),
        _float("LAT", -90, 90),
        _float("LON", -180, 180),
        _float("ALT", -1500, 30000),
        _float("TZ", -12, 14),
        _str("DST"),
        _str("TZONE"),
    ),
    key=("FAA",),
)

PLANES = SourceTable(
    name="PLANES",
    landing_prefix="reference",
    partitioned=False,
    description="Aircraft registry by tail number.",
    columns=(
        _str("TAILNUM", False),
        _int("YEAR", True, 1900, 2100),
        _str("TYPE"),
        _str("MANUFACTURER"),
        _str("MODEL"),
        _int("ENGINES", True, 0, 16),
        _int("SEATS", True, 0, 1000),
        _float("SPEED", 0, 1000),
        _str("ENGINE"),
    ),
    key=("TAILNUM",),
)

PARTITIONED_SOURCES: tuple[SourceTable, ...] = (FLIGHTS, WEATHER)
REFERENCE_SOURCES: tuple[SourceTable, ...] = (AIRLINES, AIRPORTS, PLANES)
SOURCES: tuple[SourceTable, ...] = PARTITIONED_SOURCES + REFERENCE_SOURCES

# Metadata columns every RAW table carries after the source columns.
RAW_METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_PARTITION", "DATE"),
    ("_SOURCE_FILE", "VARCHAR"),
    ("_LOADED_AT", "TIMESTAMP_NTZ"),
    ("_BATCH_ID", "VARCHAR"),
)

FIRST_DAY = "2013-01-01"
LAST_DAY = "2013-12-31"
