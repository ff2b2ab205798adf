delete from {{ params.database }}.{{ params.audit }}.WRITER_SESSIONS
where
    writer = {{ bind('writer') }}
    and try_number < {{ bind('below_try') }}
