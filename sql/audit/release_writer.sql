delete from {{ params.database }}.{{ params.audit }}.WRITER_SESSIONS
where
    writes = {{ bind('writes') }}
    and writer = {{ bind('writer') }}
    and try_number < {{ bind('below_try') }}
