create table if not exists {{ params.database }}.{{ params.staging }}.STG_FLIGHTS (
    FLIGHT_DATE date,
    CARRIER varchar,
    FLIGHT integer,
    ORIGIN varchar,
    DEST varchar,
    TAILNUM varchar,
    SCHED_DEP_TIME integer,
    DEP_TIME integer,
    DEP_DELAY float,
    SCHED_ARR_TIME integer,
    ARR_TIME integer,
    ARR_DELAY float,
    AIR_TIME float,
    DISTANCE float,
    SCHED_HOUR integer,
    IS_CANCELLED boolean,
    _BATCH_ID varchar
)
