select
    partition_key,
    dag_id,
    task_id,
    check_name,
    outcome,
    observed_value,
    threshold,
    checked_at
from {{ params.database }}.{{ params.audit }}.CHECK_RESULTS
qualify row_number() over (partition by check_name, dag_id order by checked_at desc) = 1
order by checked_at desc
limit 30
