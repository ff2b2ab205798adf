delete from {{ params.database }}.{{ params.versions }}.{{ params.table }}
where flight_date between {{ bind('first_day') }} and {{ bind('last_day') }}
