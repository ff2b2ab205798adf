delete from {{ params.database }}.{{ params.audit }}.FILE_LOADS
where
    source = {{ bind('source') }}
    and partition_key between {{ bind('first_key') }} and {{ bind('last_key') }}
