select batch_id, rows_loaded
from {{ params.database }}.{{ params.audit }}.FILE_LOADS
where source = %(source)s and partition_key = %(partition_key)s
