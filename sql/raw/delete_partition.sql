delete from {{ params.database }}.{{ params.schema }}.{{ params.table }}
where _partition = {{ bind('partition') }}
