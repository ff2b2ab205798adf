delete from {{ params.database }}.{{ params.schema }}.{{ params.table }}
where {{ params.partition_column }} = {{ bind('partition') }}
