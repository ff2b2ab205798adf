insert into {{ params.database }}.{{ params.audit }}.PUBLICATIONS (
    mart, version, version_table, partition_key, run_id, status, created_at
)
values (
    {{ bind('mart') }},
    {{ bind('version') }},
    {{ bind('version_table') }},
    {{ bind('partition_key') }},
    {{ bind('run_id') }},
    {{ bind('status') }},
    current_timestamp()
)
