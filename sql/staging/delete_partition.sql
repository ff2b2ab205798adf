delete from {{ params.database }}.{{ params.schema }}.{{ params.table }}
where {{ params.partition_column }} between {{ bind('first_day') }} and {{ bind('last_day') }}
