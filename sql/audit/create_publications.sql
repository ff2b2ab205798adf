-- Which version of each mart is published, since when, by which run, for which partition.
create table if not exists {{ params.database }}.{{ params.audit }}.PUBLICATIONS (
    MART varchar,
    VERSION integer,
    VERSION_TABLE varchar,
    PARTITION_KEY varchar,
    RUN_ID varchar,
    STATUS varchar,
    CREATED_AT timestamp_ntz
)
