delete from {{ params.database }}.{{ params.versions }}.{{ params.table }}
where flight_date = {{ bind('partition') }}
