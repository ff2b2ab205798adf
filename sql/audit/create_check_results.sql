-- Every check outcome of every run: the history behind every gate decision.
create table if not exists {{ params.database }}.{{ params.audit }}.CHECK_RESULTS (
    RUN_ID varchar,
    DAG_ID varchar,
    TASK_ID varchar,
    TRY_NUMBER integer,
    PARTITION_KEY varchar,
    CHECK_SOURCE varchar,
    TABLE_NAME varchar,
    CHECK_NAME varchar,
    OBSERVED_VALUE varchar,
    THRESHOLD varchar,
    OUTCOME varchar,
    CHECKED_AT timestamp_ntz
)
