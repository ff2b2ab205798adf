insert into {{ params.database }}.{{ params.audit }}.FILE_LOADS (
    source, partition_key, source_file, batch_id, rows_in_file, rows_loaded, rows_quarantined,
    run_id, loaded_at
)
values (
    %(source)s, %(partition_key)s, %(source_file)s, %(batch_id)s, %(rows_in_file)s,
    %(rows_loaded)s, %(rows_quarantined)s, %(run_id)s, current_timestamp()
)
