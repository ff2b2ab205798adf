delete from {{ params.database }}.{{ params.schema }}.{{ params.table }}
where _partition between {{ bind('first_day') }} and {{ bind('last_day') }}
