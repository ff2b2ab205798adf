delete from {{ params.database }}.{{ params.schema }}.{{ params.table }}
