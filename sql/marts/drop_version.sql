drop table if exists {{ params.database }}.{{ params.versions }}.{{ params.version }}
