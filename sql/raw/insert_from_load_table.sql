insert into {{ params.database }}.{{ params.schema }}.{{ params.table }}
select * from {{ params.database }}.{{ params.schema }}.{{ params.load_table }}
