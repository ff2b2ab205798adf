create table if not exists {{ params.database }}.{{ params.schema }}.{{ params.table }} (
    FLIGHT_DATE date,
    CARRIER varchar,
    CARRIER_NAME varchar,
    FLIGHTS integer,
    CANCELLED integer,
    AVG_DEP_DELAY float,
    AVG_ARR_DELAY float,
    ON_TIME_RATE float
)
