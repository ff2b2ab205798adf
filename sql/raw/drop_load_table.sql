drop table if exists {{ params.database }}.{{ params.schema }}.{{ params.load_table }}
