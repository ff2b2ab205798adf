insert into {{ params.database }}.{{ params.audit }}.FILE_LOADS (
    source, partition_key, source_file, batch_id, rows_in_file, rows_loaded, rows_quarantined,
    run_id, loaded_at
)
values (
    {{ bind('source') }},
    {{ bind('partition_key') }},
    {{ bind('source_file') }},
    {{ bind('batch_id') }},
    {{ bind('rows_in_file') }},
    {{ bind('rows_loaded') }}, {{ bind('rows_quarantined') }}, {{ bind('run_id') }}, current_timestamp()
)
