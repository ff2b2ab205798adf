insert into {{ params.database }}.{{ params.audit }}.PUBLICATIONS (
    mart, version, version_table, partition_key, run_id, status, created_at
)
values (
    %(mart)s, %(version)s, %(version_table)s, %(partition_key)s, %(run_id)s, %(status)s,
    current_timestamp()
)
