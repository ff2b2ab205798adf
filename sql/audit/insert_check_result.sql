insert into {{ params.database }}.{{ params.audit }}.CHECK_RESULTS (
    run_id, dag_id, task_id, try_number, partition_key, check_source, table_name, check_name,
    observed_value, threshold, outcome, checked_at
)
values (
    {{ bind('run_id') }}, {{ bind('dag_id') }}, {{ bind('task_id') }}, {{ bind('try_number') }},
    {{ bind('partition_key') }}, {{ bind('check_source') }}, {{ bind('table_name') }},
    {{ bind('check_name') }}, {{ bind('observed_value') }}, {{ bind('threshold') }},
    {{ bind('outcome') }}, current_timestamp()
)
