insert into {{ params.database }}.{{ params.audit }}.WRITER_SESSIONS (
    writes, writer, try_number, session_id, started_at
)
values (
    {{ bind('writes') }},
    {{ bind('writer') }},
    {{ bind('try_number') }},
    {{ bind('session_id') }},
    current_timestamp()
)
