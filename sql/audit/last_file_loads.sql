select
    partition_key,
    batch_id,
    rows_in_file,
    rows_loaded,
    rows_quarantined
from {{ params.database }}.{{ params.audit }}.FILE_LOADS
where
    source = {{ bind('source') }}
    and partition_key between {{ bind('first_key') }} and {{ bind('last_key') }}
