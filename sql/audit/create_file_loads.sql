-- One row per landing file loaded: what came in, what was accepted and what was quarantined.
create table if not exists {{ params.database }}.{{ params.audit }}.FILE_LOADS (
    SOURCE varchar,
    PARTITION_KEY varchar,
    SOURCE_FILE varchar,
    BATCH_ID varchar,
    ROWS_IN_FILE integer,
    ROWS_LOADED integer,
    ROWS_QUARANTINED integer,
    RUN_ID varchar,
    LOADED_AT timestamp_ntz,
    -- One row per file: concurrent loads of the same file cannot both record it (the
    -- emulator enforces the key at commit; on Snowflake it documents the grain).
    primary key (SOURCE, PARTITION_KEY)
)
