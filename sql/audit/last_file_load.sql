select
    batch_id,
    rows_loaded
from {{ params.database }}.{{ params.audit }}.FILE_LOADS
where source = {{ bind('source') }} and partition_key = {{ bind('partition_key') }}
