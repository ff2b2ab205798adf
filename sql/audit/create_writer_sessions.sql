-- Sessions inside a named write transaction, by task try: a row left behind is a try that died
-- mid-transaction, whose session the next try aborts (see Warehouse.transaction).
create table if not exists {{ params.database }}.{{ params.audit }}.WRITER_SESSIONS (
    WRITES varchar,
    WRITER varchar,
    TRY_NUMBER integer,
    SESSION_ID varchar,
    STARTED_AT timestamp_ntz
)
