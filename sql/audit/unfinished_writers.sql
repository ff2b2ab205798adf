select
    writes,
    session_id,
    try_number,
    started_at
from {{ params.database }}.{{ params.audit }}.WRITER_SESSIONS
where
    writer = {{ bind('writer') }}
    and try_number < {{ bind('below_try') }}
