create table if not exists {{ params.database }}.{{ params.schema }}.{{ params.table }} (
    FLIGHT_DATE date,
    ORIGIN varchar,
    DEST varchar,
    DEST_NAME varchar,
    FLIGHTS integer,
    CANCELLED integer,
    AVG_DEP_DELAY float,
    AVG_ARR_DELAY float,
    MAX_ARR_DELAY float,
    AVG_ORIGIN_WIND_SPEED float,
    AVG_ORIGIN_VISIB float
)
